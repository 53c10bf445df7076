"""A small, typed layer over the generated `weft.v1.WorkflowService` stubs.

    from weft.client import Client

    with Client("127.0.0.1:50051") as client:
        workflow_id = client.submit([{"id": "hello", "executor": "queue:render", "input": "{}"}]).workflow_id
        for event in client.watch(workflow_id):
            print(event.sequence, event.WhichOneof("payload"))

`watch` is a generator that survives a lost connection: it reconnects and resumes with `after_sequence`, so every
event is seen exactly once, in order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Optional, Union

import grpc
from google.protobuf import json_format

from weft.v1 import workflow_pb2 as pb
from weft.v1 import workflow_pb2_grpc as pbg

__all__ = ["Client", "TERMINAL_EVENTS", "make_channel", "call_metadata"]

#: The payloads that end a workflow's event stream.
TERMINAL_EVENTS = frozenset({"workflow_completed", "workflow_failed", "workflow_cancelled"})

#: Status codes after which `watch` reconnects and resumes: the server went away or the connection broke.
_RECONNECT_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN,
                              grpc.StatusCode.CANCELLED})

TaskLike = Union[pb.TaskSpec, Mapping[str, Any]]


def make_channel(target: str, *, credentials: Optional[grpc.ChannelCredentials] = None,
                 options: Optional[Sequence[tuple[str, Any]]] = None) -> grpc.Channel:
    """A channel to `target` (`host:port`): TLS with `credentials`, plaintext h2c without."""
    if credentials is not None:
        return grpc.secure_channel(target, credentials, options=list(options or []))
    return grpc.insecure_channel(target, options=list(options or []))


def call_metadata(token: Optional[str]) -> tuple[tuple[str, str], ...]:
    """The per-call metadata carrying a bearer token (`--auth-tokens` on the server), or none."""
    return (("authorization", f"Bearer {token}"),) if token else ()


def _task(task: TaskLike) -> pb.TaskSpec:
    if isinstance(task, pb.TaskSpec):
        return task
    # proto3 JSON names: "depends_on" or "dependsOn", enum names such as "COMPLEXITY_SIMPLE".
    return json_format.ParseDict(dict(task), pb.TaskSpec())


class Client:
    """Submits, watches, inspects and cancels workflows on a Weft server.

    Args:
        target: The server's `host:port`. Ignored when `channel` is given.
        token: A client bearer token, when the server requires one.
        credentials: TLS channel credentials; plaintext (h2c) when omitted.
        channel: An existing channel to use; the client then does not close it.
        timeout: Deadline in seconds of each unary call.
    """

    def __init__(self, target: str = "127.0.0.1:50051", *, token: Optional[str] = None,
                 credentials: Optional[grpc.ChannelCredentials] = None, channel: Optional[grpc.Channel] = None,
                 timeout: float = 30.0) -> None:
        self._owns_channel = channel is None
        self._channel = channel if channel is not None else make_channel(target, credentials=credentials)
        self._stub = pbg.WorkflowServiceStub(self._channel)
        self._metadata = call_metadata(token)
        self.timeout = timeout

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel, unless it was handed in."""
        if self._owns_channel:
            self._channel.close()

    def submit(self, tasks: Union[pb.SubmitWorkflowRequest, Sequence[TaskLike]], *, description: str = "",
               requirements: str = "", constraints: Optional[Mapping[str, str]] = None,
               options: Optional[pb.ExecutionOptions] = None, request_id: str = "") -> pb.SubmitWorkflowResponse:
        """Submits a workflow and returns its id and plan.

        Args:
            tasks: The task DAG, as `TaskSpec` messages or dicts in proto3 JSON form (`{"id": "a",
                "depends_on": ["b"], "executor": "queue:gpu", "input": "..."}`), or a whole `SubmitWorkflowRequest`
                (then the other arguments are ignored).
            request_id: Makes resubmission idempotent: the same id returns the first workflow.

        Raises:
            grpc.RpcError: INVALID_ARGUMENT naming the problem (a cycle, an unknown dependency or executor, ...).
        """
        if isinstance(tasks, pb.SubmitWorkflowRequest):
            request = tasks
        else:
            request = pb.SubmitWorkflowRequest(
                description=description, requirements=requirements, constraints=dict(constraints or {}),
                tasks=[_task(t) for t in tasks], options=options, request_id=request_id)
        return self._stub.SubmitWorkflow(request, timeout=self.timeout, metadata=self._metadata)

    def watch(self, workflow_id: str, *, after_sequence: int = 0, max_reconnects: int = 10,
              reconnect_delay: float = 0.2) -> Iterator[pb.WorkflowEvent]:
        """Yields the workflow's events after `after_sequence`, live, until its terminal event.

        A broken stream (server restart, lost connection) is reopened with the last sequence seen, so no event is
        missed or repeated; after `max_reconnects` failures in a row without a new event the last error is raised.

        Raises:
            grpc.RpcError: NOT_FOUND for an unknown workflow; the last error once reconnecting gives up.
        """
        last = after_sequence
        failures = 0
        while True:
            request = pb.WatchWorkflowRequest(workflow_id=workflow_id, after_sequence=last)
            stream = self._stub.WatchWorkflow(request, metadata=self._metadata)
            try:
                for event in stream:
                    failures = 0
                    last = event.sequence
                    yield event
                    if event.WhichOneof("payload") in TERMINAL_EVENTS:
                        return
                return  # the server ended the stream with OK: the workflow is over
            except grpc.RpcError as error:
                if error.code() not in _RECONNECT_CODES or failures >= max_reconnects:  # type: ignore[attr-defined]
                    raise
                failures += 1
                time.sleep(reconnect_delay * failures)
            finally:
                stream.cancel()

    def get(self, workflow_id: str) -> pb.GetWorkflowResponse:
        """The workflow's snapshot: status, progress, each task's state and result."""
        return self._stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=self.timeout,
                                      metadata=self._metadata)

    def cancel(self, workflow_id: str, reason: str = "") -> int:
        """Cancels the workflow (its running activities are told through heartbeats); returns its status, a
        `WorkflowStatus` value such as `workflow_pb2.WORKFLOW_STATUS_CANCELLED`."""
        response = self._stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=workflow_id, reason=reason),
                                             timeout=self.timeout, metadata=self._metadata)
        return response.status

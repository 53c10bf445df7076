"""Overload against a real weftd with grpcio: past --max-running-workflows or --max-pending-tasks, SubmitWorkflow
answers RESOURCE_EXHAUSTED naming the limit, accepted workflows carry on, submissions are accepted again once work
finishes, and /metrics shows the limits and their use."""

from __future__ import annotations

import json
import time

import grpc
import pytest
from conftest import WeftdProcess, make_channel
from test_metrics import free_port, sample, scrape
from weft.v1 import workflow_pb2 as pb
from weft.v1 import workflow_pb2_grpc as pbg

RPC_TIMEOUT = 10.0


def long_tasks(count: int, ms: int = 60_000) -> pb.SubmitWorkflowRequest:
    tasks = [pb.TaskSpec(id=f"t{i}", type="work", complexity=pb.COMPLEXITY_MEDIUM, description=f"overload {i}",
                         executor="sim", input=json.dumps({"duration_ms": ms})) for i in range(count)]
    return pb.SubmitWorkflowRequest(description="overload", tasks=tasks,
                                    options=pb.ExecutionOptions(cache=pb.CacheOptions(disabled=True)))


def refused(stub: pbg.WorkflowServiceStub, request: pb.SubmitWorkflowRequest) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        stub.SubmitWorkflow(request, timeout=RPC_TIMEOUT)
    return info.value


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def test_overload_returns_resource_exhausted_and_recovers(weftd_factory) -> None:
    port = free_port()
    server: WeftdProcess = weftd_factory("--max-running-workflows", "2", "--max-pending-tasks", "5",
                                         "--metrics-listen", f"127.0.0.1:{port}")
    channel = make_channel(server.address)
    try:
        stub = pbg.WorkflowServiceStub(channel)
        first = stub.SubmitWorkflow(long_tasks(3), timeout=RPC_TIMEOUT)
        # 3 pending + 3 submitted > 5.
        error = refused(stub, long_tasks(3))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "--max-pending-tasks is 5" in error.details() and "3 tasks pending" in error.details()
        second = stub.SubmitWorkflow(long_tasks(1), timeout=RPC_TIMEOUT)
        error = refused(stub, long_tasks(1))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "--max-running-workflows is 2" in error.details(), error.details()

        _, samples = scrape(port)
        assert sample(samples, "weft_overload_limit", resource="running_workflows") == 2
        assert sample(samples, "weft_overload_in_use", resource="running_workflows") == 2
        assert sample(samples, "weft_overload_limit", resource="pending_tasks") == 5
        assert sample(samples, "weft_overload_in_use", resource="pending_tasks") == 4
        assert sample(samples, "weft_overload_rejected_total", resource="running_workflows") == 1
        assert sample(samples, "weft_overload_rejected_total", resource="pending_tasks") == 1

        # Nothing accepted was affected: both still run.
        for reply in (first, second):
            snapshot = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
            assert snapshot.status == pb.WORKFLOW_STATUS_RUNNING

        stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=first.workflow_id), timeout=RPC_TIMEOUT)

        def accepted() -> bool:
            try:
                stub.SubmitWorkflow(long_tasks(3), timeout=RPC_TIMEOUT)
                return True
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e
                return False

        wait_until(accepted, "a submission accepted after the cancelled workflow ended")
        _, samples = scrape(port)
        assert sample(samples, "weft_overload_in_use", resource="running_workflows") == 2
        assert sample(samples, "weft_overload_in_use", resource="pending_tasks") == 4
    finally:
        channel.close()


def test_queued_activities_limit_refuses_then_recovers_when_a_worker_drains_the_queue(weftd_factory) -> None:
    """Activities waiting for a worker count against --max-queued-activities: at the limit SubmitWorkflow is
    RESOURCE_EXHAUSTED naming it, the queued work is kept, and once a worker takes it submissions pass again."""
    from weft.v1 import worker_pb2 as wpb
    from weft.v1 import worker_pb2_grpc as wpbg

    port = free_port()
    server: WeftdProcess = weftd_factory("--max-queued-activities", "2", "--worker-poll-timeout", "1s",
                                         "--metrics-listen", f"127.0.0.1:{port}")
    channel = make_channel(server.address)
    try:
        stub = pbg.WorkflowServiceStub(channel)
        queued = pb.SubmitWorkflowRequest(
            description="queued", options=pb.ExecutionOptions(cache=pb.CacheOptions(disabled=True)),
            tasks=[pb.TaskSpec(id=f"q{i}", description=f"queued {i}", executor="queue:overload") for i in range(2)])
        accepted = stub.SubmitWorkflow(queued, timeout=RPC_TIMEOUT)
        wait_until(lambda: sample(scrape(port)[1], "weft_overload_in_use", resource="queued_activities") == 2,
                   "2 queued activities on /metrics")
        error = refused(stub, long_tasks(1, ms=10))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "queued activities at 2 of --max-queued-activities 2" in error.details(), error.details()
        assert sample(scrape(port)[1], "weft_overload_limit", resource="queued_activities") == 2
        # A worker takes and completes both: the accepted workflow completes and the limit frees.
        worker = wpbg.WorkerServiceStub(channel)
        for _ in range(2):
            task = worker.PollActivity(wpb.PollActivityRequest(queue="overload", worker_id="drain"),
                                       timeout=RPC_TIMEOUT).activity
            worker.CompleteActivity(wpb.CompleteActivityRequest(task_token=task.task_token, result="ok"),
                                    timeout=RPC_TIMEOUT)
        wait_until(lambda: stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=accepted.workflow_id),
                                            timeout=RPC_TIMEOUT).status == pb.WORKFLOW_STATUS_COMPLETED,
                   "the queued workflow completes")
        stub.SubmitWorkflow(long_tasks(1, ms=10), timeout=RPC_TIMEOUT)
    finally:
        channel.close()

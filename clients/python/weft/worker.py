"""A remote activity worker: runs the tasks a Weft server routes to a `queue:NAME` executor.

    from weft.worker import Worker

    def render(activity):                      # called once per attempt
        activity.heartbeat("started")          # optional progress; also raises once cancellation was requested
        return activity.input.upper()          # the task's result (str, bytes, or anything JSON-serialisable)

    Worker("127.0.0.1:50051", queue="render", handler=render, slots=4).run()   # until Ctrl-C or SIGTERM

Each of the `slots` threads long-polls the queue, calls the handler with an :class:`Activity`, and completes the
task with the handler's return value, or with a failure when it raises (`type` = the exception's class name,
retryable unless it is one of `non_retryable`, by default :class:`NonRetryableError` and its subclasses).

While the handler runs, a background thread heartbeats every third of the task's heartbeat timeout (the server
fails an attempt that stops heartbeating, e.g. when this process dies, and retries it elsewhere), carrying the
latest details given to :meth:`Activity.heartbeat`; a change of details not yet sent is flushed before the
completion, so a retry resumes from it (:attr:`Activity.heartbeat_details`). When the server answers that
cancellation was requested (the workflow was cancelled or the attempt timed out), or that the attempt is unknown,
or the attempt's deadline passes locally, the activity is cancelled: :attr:`Activity.cancelled` turns true,
:meth:`Activity.heartbeat` raises :class:`ActivityCancelled`, and an `async def` handler's task is cancelled.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Optional

import grpc

from weft.client import call_metadata, make_channel
from weft.v1 import worker_pb2 as wpb
from weft.v1 import worker_pb2_grpc as wpbg
from weft.v1 import workflow_pb2 as pb

__all__ = ["Worker", "Activity", "ActivityCancelled", "NonRetryableError", "Handler"]

log = logging.getLogger("weft.worker")


class NonRetryableError(Exception):
    """Raise it (or a subclass) from a handler to fail the task at once, without retries."""


class ActivityCancelled(Exception):
    """Raised by :meth:`Activity.heartbeat` once the activity is cancelled; let it propagate."""


class Activity:
    """One attempt of a task, as the handler sees it."""

    def __init__(self, task: wpb.ActivityTask, cancel_event: threading.Event, reason: list[str]) -> None:
        self._task = task
        self._cancel = cancel_event
        self._reason = reason
        self._lock = threading.Lock()
        self._details = ""
        self._details_version = 0
        #: When the attempt's start-to-close timeout ends, on `time.monotonic()`.
        self.deadline: float = time.monotonic() + task.start_to_close_ms / 1000.0
        if task.deadline_unix_ms:
            self.deadline = min(self.deadline, time.monotonic() + (task.deadline_unix_ms / 1000.0 - time.time()))

    @property
    def workflow_id(self) -> str:
        return self._task.workflow_id

    @property
    def task(self) -> pb.TaskSpec:
        """The task as submitted: id, type, complexity, description, input, ..."""
        return self._task.task

    @property
    def task_id(self) -> str:
        return self._task.task.id

    @property
    def input(self) -> str:
        """The task's input text (often JSON)."""
        return self._task.task.input

    def input_json(self) -> Any:
        """The task's input parsed as JSON (`None` when empty)."""
        return json.loads(self.input) if self.input else None

    @property
    def attempt(self) -> int:
        """1 for the first attempt."""
        return self._task.attempt

    @property
    def heartbeat_details(self) -> str:
        """The last details an earlier attempt recorded, to resume its progress ("" on a first attempt)."""
        return self._task.heartbeat_details

    @property
    def reference(self) -> Optional[pb.TaskResult]:
        """A similar cached result to adapt, when the server's cache said "adapt"."""
        return self._task.reference if self._task.HasField("reference") else None

    @property
    def constraints(self) -> Mapping[str, str]:
        """The workflow's constraints (language, framework, ...)."""
        return self._task.constraints

    @property
    def raw(self) -> wpb.ActivityTask:
        """The `ActivityTask` message as polled."""
        return self._task

    @property
    def cancelled(self) -> bool:
        """True once the activity was cancelled; a handler should stop soon after."""
        return self._cancel.is_set()

    @property
    def cancel_reason(self) -> str:
        return self._reason[0] if self._reason else ""

    def time_left(self) -> float:
        """Seconds until the attempt's deadline."""
        return self.deadline - time.monotonic()

    def heartbeat(self, details: Optional[str] = None) -> None:
        """Records progress `details` (sent with the next background heartbeat, throttled).

        Raises:
            ActivityCancelled: once the activity is cancelled.
        """
        if details is not None:
            with self._lock:
                if details != self._details:
                    self._details = details
                    self._details_version += 1
        if self._cancel.is_set():
            raise ActivityCancelled(self.cancel_reason)

    def _current_details(self) -> tuple[str, int]:
        with self._lock:
            return self._details, self._details_version


Handler = Callable[[Activity], Any]


class Worker:
    """Polls one queue with `slots` concurrent activities and runs `handler` for each.

    Args:
        target: The server's `host:port`. Ignored when `channel` is given.
        queue: The queue name: tasks with `executor: "queue:<queue>"` come here.
        handler: Called with an :class:`Activity`; returns the result (str, bytes, None or anything JSON-serialisable)
            or raises. May be an `async def`.
        slots: Activities run at once (threads).
        token: A worker bearer token, when the server requires one.
        credentials: TLS channel credentials; plaintext (h2c) when omitted.
        channel: An existing channel; the worker then does not close it.
        worker_id: Names this worker to the server (default: host-pid-random).
        identity: Free text for operators (default: host, pid).
        non_retryable: Exception types reported as non-retryable failures.
        heartbeat_interval: At most this many seconds between heartbeats (default: a third of the task's
            heartbeat timeout).
        poll_timeout: Client deadline of one poll in seconds; the server answers empty before it.
    """

    def __init__(self, target: str = "127.0.0.1:50051", *, queue: str, handler: Handler, slots: int = 4,
                 token: Optional[str] = None, credentials: Optional[grpc.ChannelCredentials] = None,
                 channel: Optional[grpc.Channel] = None, worker_id: Optional[str] = None,
                 identity: Optional[str] = None, non_retryable: tuple[type[BaseException], ...] = (NonRetryableError,),
                 heartbeat_interval: Optional[float] = None, poll_timeout: float = 70.0) -> None:
        if not queue:
            raise ValueError("queue must not be empty")
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.queue = queue
        self.handler = handler
        self.slots = slots
        self.non_retryable = non_retryable
        self.heartbeat_interval = heartbeat_interval
        self.poll_timeout = poll_timeout
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.identity = identity or f"python {socket.gethostname()} pid {os.getpid()}"
        self._owns_channel = channel is None
        self._channel = channel if channel is not None else make_channel(target, credentials=credentials)
        self._stub = wpbg.WorkerServiceStub(self._channel)
        self._metadata = call_metadata(token)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._polls: set[grpc.Future] = set()
        self._threads: list[threading.Thread] = []
        self._fatal: Optional[BaseException] = None
        #: Activities this worker completed with a result, and with a failure.
        self.completed = 0
        self.failed = 0

    # ---- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the slot threads and returns."""
        for slot in range(self.slots):
            thread = threading.Thread(target=self._slot, name=f"weft-worker-{self.queue}-{slot}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def run(self) -> None:
        """Starts the slots and blocks until :meth:`stop`, Ctrl-C or SIGTERM, then stops polling and waits for the
        running activities to finish.

        Raises:
            grpc.RpcError: when the server refuses the worker for good (bad queue name, bad token).
        """
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        self.start()
        try:
            while not self._stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self.stop()
        if self._fatal is not None:
            raise self._fatal

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stops polling (waiting polls are cancelled) and waits up to `timeout` for running activities."""
        self._stop.set()
        with self._lock:
            polls = list(self._polls)
        for poll in polls:
            poll.cancel()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> "Worker":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- polling --------------------------------------------------------------------------------------------

    def _slot(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                task = self._poll()
                backoff = 0.1
            except grpc.FutureCancelledError:
                return  # stop() cancelled the poll
            except grpc.RpcError as error:
                code = error.code()  # type: ignore[attr-defined]
                if self._stop.is_set() or code == grpc.StatusCode.CANCELLED:
                    return
                if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED,
                            grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNIMPLEMENTED):
                    log.error("poll of queue %s refused: %s", self.queue, error.details())  # type: ignore
                    self._fatal = error
                    self._stop.set()
                    return
                if code != grpc.StatusCode.DEADLINE_EXCEEDED:
                    log.warning("poll of queue %s failed (%s); retrying in %.1f s", self.queue, code, backoff)
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                continue
            if task is not None:
                self._execute(task)

    def _poll(self) -> Optional[wpb.ActivityTask]:
        request = wpb.PollActivityRequest(queue=self.queue, worker_id=self.worker_id, identity=self.identity)
        future = self._stub.PollActivity.future(request, timeout=self.poll_timeout, metadata=self._metadata)
        with self._lock:
            self._polls.add(future)
        try:
            if self._stop.is_set():
                future.cancel()
            response = future.result()
        finally:
            with self._lock:
                self._polls.discard(future)
        return response.activity if response.HasField("activity") else None

    # ---- one activity ---------------------------------------------------------------------------------------

    def _execute(self, task: wpb.ActivityTask) -> None:
        cancel = threading.Event()
        reason: list[str] = []
        activity = Activity(task, cancel, reason)
        stale = threading.Event()  # the server no longer knows this attempt: do not complete it
        done = threading.Event()
        on_cancel: list[Callable[[], None]] = []

        def cancel_activity(why: str) -> None:
            if not cancel.is_set():
                reason.append(why)
                cancel.set()
                for callback in list(on_cancel):
                    callback()

        sent = [("", 0)]  # the details (and their version) last sent
        interval = self._interval(task)
        beater = threading.Thread(
            target=self._heartbeat_loop, args=(activity, task.task_token, interval, sent, done, stale, cancel_activity),
            name=f"weft-heartbeat-{task.task.id}", daemon=True)
        beater.start()
        try:
            outcome = self._call_handler(activity, on_cancel)
        finally:
            done.set()
            beater.join()
        if stale.is_set():
            log.info("task %s attempt %d: %s; its outcome is discarded", activity.task_id, activity.attempt,
                     activity.cancel_reason)
            return
        details, version = activity._current_details()
        if version != sent[0][1]:
            self._send_heartbeat(task.task_token, details)  # flush the last details before completing
        self._complete(task.task_token, outcome, activity)

    def _interval(self, task: wpb.ActivityTask) -> float:
        interval = max(task.heartbeat_timeout_ms / 3000.0, 0.05) if task.heartbeat_timeout_ms else 10.0
        if self.heartbeat_interval is not None:
            interval = min(interval, self.heartbeat_interval)
        return interval

    def _call_handler(self, activity: Activity, on_cancel: list[Callable[[], None]]) -> wpb.CompleteActivityRequest:
        try:
            if inspect.iscoroutinefunction(self.handler):
                result = self._run_async(activity, on_cancel)
            else:
                result = self.handler(activity)
            return wpb.CompleteActivityRequest(result=_result_text(result))
        except BaseException as error:  # noqa: BLE001 - every failure of user code is reported
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            if activity.cancelled and isinstance(error, (ActivityCancelled, asyncio.CancelledError)):
                failure = wpb.ActivityFailure(message=f"cancelled: {activity.cancel_reason}",
                                              type="ActivityCancelled", retryable=False)
            else:
                failure = wpb.ActivityFailure(message=str(error) or repr(error), type=type(error).__name__,
                                              retryable=not isinstance(error, self.non_retryable))
            return wpb.CompleteActivityRequest(failure=failure)

    def _run_async(self, activity: Activity, on_cancel: list[Callable[[], None]]) -> Any:
        async def main() -> Any:
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            assert task is not None
            def cancel_task() -> None:
                try:
                    loop.call_soon_threadsafe(task.cancel)
                except RuntimeError:  # the loop already closed: the handler has finished
                    pass

            on_cancel.append(cancel_task)
            if activity.cancelled:
                raise ActivityCancelled(activity.cancel_reason)
            return await self.handler(activity)  # type: ignore[misc]

        return asyncio.run(main())

    def _heartbeat_loop(self, activity: Activity, token: bytes, interval: float, sent: list[tuple[str, int]],
                        done: threading.Event, stale: threading.Event,
                        cancel_activity: Callable[[str], None]) -> None:
        while not done.wait(min(interval, max(activity.time_left(), 0.0))):
            if activity.time_left() <= 0:
                stale.set()
                cancel_activity("the attempt's start-to-close deadline passed")
                return
            details, version = activity._current_details()
            try:
                cancel_requested = self._send_heartbeat(token, details)
                sent[0] = (details, version)
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                    stale.set()
                    cancel_activity(f"the server no longer runs this attempt ({error.details()})")  # type: ignore
                    return
                log.warning("heartbeat of task %s failed: %s", activity.task_id, error)
                continue
            if cancel_requested:
                cancel_activity("the server requested cancellation (workflow cancelled or attempt timed out)")

    def _send_heartbeat(self, token: bytes, details: str) -> bool:
        response = self._stub.RecordHeartbeat(wpb.RecordHeartbeatRequest(task_token=token, details=details),
                                              timeout=10.0, metadata=self._metadata)
        return response.cancel_requested

    def _complete(self, token: bytes, request: wpb.CompleteActivityRequest, activity: Activity) -> None:
        request.task_token = token
        for attempt in range(5):
            try:
                self._stub.CompleteActivity(request, timeout=10.0, metadata=self._metadata)
                with self._lock:
                    if request.HasField("failure"):
                        self.failed += 1
                    else:
                        self.completed += 1
                return
            except grpc.RpcError as error:
                code = error.code()  # type: ignore[attr-defined]
                if code == grpc.StatusCode.NOT_FOUND:
                    log.info("task %s attempt %d was no longer running; its outcome is discarded",
                             activity.task_id, activity.attempt)
                    return
                if code != grpc.StatusCode.UNAVAILABLE or attempt == 4:
                    log.error("completing task %s failed: %s", activity.task_id, error)
                    return
                time.sleep(0.2 * (attempt + 1))


def _result_text(result: Any) -> str:
    if result is None:
        return ""
    if isinstance(result, str):
        return result
    if isinstance(result, (bytes, bytearray)):
        return bytes(result).decode("utf-8")
    return json.dumps(result)


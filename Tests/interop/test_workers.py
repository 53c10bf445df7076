"""Remote workers end to end: real weftd processes, real Python worker processes (the `weft` package's Worker), on
loopback. Covers issue 6's list: a worker completing a workflow, two workers sharing a queue (each activity once),
kill -9 mid-activity → heartbeat timeout → retried on the other worker, cancellation reaching the worker through
cancel_requested, a late completion with a stale token refused with NOT_FOUND, heartbeat details passed to the next
attempt, failures with their exception type, bad input, queue gauges on /metrics, and the example worker rendering
files from templates.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from conftest import PYTHON_CLIENT_DIR, RedisServer, WeftdProcess, make_channel
from test_metrics import free_port, sample, scrape
from weft.client import Client
from weft.v1 import worker_pb2 as wpb
from weft.v1 import worker_pb2_grpc as wpbg
from weft.v1 import workflow_pb2 as pb

HERE = Path(__file__).resolve().parent
RPC_TIMEOUT = 10.0
WAIT_S = 30.0
# Short polls so idle workers and servers stop quickly; no cache, so identical tasks in different tests all run.
WEFTD_ARGS = ("--worker-poll-timeout", "1s", "--cache", "false")


# ---- helpers ------------------------------------------------------------------------------------------------


def queued(task_id: str, queue: str, *depends_on: str, heartbeat_ms: int = 0, attempts: int = 0,
           **behaviour: Any) -> dict[str, Any]:
    """A task for `queue`, its JSON input telling worker_proc.py what to do."""
    task: dict[str, Any] = {"id": task_id, "type": "work", "description": f"remote {task_id}",
                            "executor": f"queue:{queue}", "depends_on": list(depends_on),
                            "input": json.dumps(behaviour)}
    if heartbeat_ms:
        task["timeouts"] = {"heartbeat_ms": heartbeat_ms}
    if attempts:
        task["retry_policy"] = {"max_attempts": attempts, "initial_interval_ms": 50}
    return task


def wait_for(what: str, condition: Callable[[], Any], timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.02)


class WorkerProcess:
    """worker_proc.py in its own process, journaling to a file."""

    def __init__(self, address: str, queue: str, journal: Path, slots: int = 1) -> None:
        self.journal = journal
        self.log = open(journal.with_suffix(f".{uuid.uuid4().hex[:6]}.log"), "wb")
        env = dict(os.environ)
        try:  # the installed package as users have it; the source tree only when it is not installed
            subprocess.run([sys.executable, "-c", "import weft.worker"], env=env, check=True, capture_output=True,
                           cwd="/")
        except subprocess.CalledProcessError:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PYTHON_CLIENT_DIR), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen([sys.executable, str(HERE / "worker_proc.py"), address, queue, str(journal),
                                      str(slots)], stdout=self.log, stderr=self.log, env=env, cwd="/")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # Worker.run stops polling, finishes its activities, returns
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        assert self.proc.returncode in (0, -signal.SIGKILL), f"worker exited with {self.proc.returncode}"


def entries(journal: Path) -> list[dict[str, Any]]:
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


@pytest.fixture(params=["memory", "redis"])
def server(request: pytest.FixtureRequest, weftd_factory: Callable[..., WeftdProcess]) -> WeftdProcess:
    """A weftd with in-memory queues, then one whose queues are Redis streams (its own redis-server)."""
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        return weftd_factory(*WEFTD_ARGS, "--redis-url", redis.url)
    return weftd_factory(*WEFTD_ARGS)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(address: str, queue: str, slots: int = 1, journal: Path | None = None) -> WorkerProcess:
        worker = WorkerProcess(address, queue, journal or tmp_path / f"{queue}.journal", slots)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def run(client: Client, tasks: list[dict[str, Any]], **options: Any) -> tuple[str, list[pb.WorkflowEvent]]:
    workflow_id = client.submit(tasks, description=f"workers {uuid.uuid4().hex[:6]}",
                                options=pb.ExecutionOptions(**options) if options else None).workflow_id
    return workflow_id, list(client.watch(workflow_id))


def kinds(events: list[pb.WorkflowEvent]) -> list[str]:
    return [e.WhichOneof("payload") or "" for e in events]


def outputs(events: list[pb.WorkflowEvent]) -> dict[str, str]:
    return {e.task_completed.result.task_id: e.task_completed.result.output for e in events
            if e.WhichOneof("payload") == "task_completed"}


def failures(events: list[pb.WorkflowEvent]) -> list[pb.TaskFailed]:
    return [e.task_failed for e in events if e.WhichOneof("payload") == "task_failed"]


# ---- tests --------------------------------------------------------------------------------------------------


def test_python_worker_completes_a_workflow(server: WeftdProcess, workers, tmp_path: Path) -> None:
    worker = workers(server.address, "basic", slots=2)
    with Client(server.address) as client:
        tasks = [queued("a", "basic", output="A"), queued("b", "basic", "a", output="B"),
                 queued("c", "basic", "a", output="C")]
        workflow_id, events = run(client, tasks)
        assert kinds(events)[-1] == "workflow_completed", kinds(events)
        assert outputs(events) == {"a": "A", "b": "B", "c": "C"}
        snapshot = client.get(workflow_id)
        assert snapshot.status == pb.WORKFLOW_STATUS_COMPLETED
        assert {t.task_id: t.output for t in snapshot.tasks} == {"a": "A", "b": "B", "c": "C"}
    assert {(e["task"], e["pid"]) for e in entries(worker.journal) if e["event"] == "completed"} == \
        {("a", worker.pid), ("b", worker.pid), ("c", worker.pid)}


def test_two_workers_share_a_queue_and_each_activity_runs_once(server: WeftdProcess, workers,
                                                               tmp_path: Path) -> None:
    journal = tmp_path / "shared.journal"
    first = workers(server.address, "shared", journal=journal)
    second = workers(server.address, "shared", journal=journal)
    with Client(server.address) as client:
        tasks = [queued(f"t{i}", "shared", sleep_s=0.05) for i in range(20)]
        _, events = run(client, tasks, max_parallel=20)
        assert kinds(events)[-1] == "workflow_completed", kinds(events)
    started = [e for e in entries(journal) if e["event"] == "started"]
    assert sorted(e["task"] for e in started) == sorted(f"t{i}" for i in range(20)), "each activity exactly once"
    assert {e["pid"] for e in started} == {first.pid, second.pid}, "both workers took work"


def test_worker_killed_mid_activity_is_retried_on_the_other_worker(server: WeftdProcess, workers,
                                                                    tmp_path: Path) -> None:
    journal = tmp_path / "kill.journal"
    doomed = workers(server.address, "kill", journal=journal)
    with Client(server.address) as client:
        # Attempt 1 works for 60 s, far past the 1 s heartbeat timeout once its process is dead; later ones at once.
        task = queued("long", "kill", heartbeat_ms=1000, attempts=3, sleep_s=60, sleep_attempts=1)
        workflow_id = client.submit([task]).workflow_id
        wait_for("the first worker starts the task",
                 lambda: any(e["event"] == "started" and e["pid"] == doomed.pid for e in entries(journal)))
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.proc.wait()
        survivor = workers(server.address, "kill", journal=journal)
        events = list(client.watch(workflow_id))
        assert kinds(events)[-1] == "workflow_completed", kinds(events)
    failed = failures(events)
    assert [f.error_type for f in failed] == ["HeartbeatTimeout"] and failed[0].attempt == 1 and failed[0].will_retry
    completed = [e for e in entries(journal) if e["event"] == "completed"]
    assert [(e["pid"], e["attempt"]) for e in completed] == [(survivor.pid, 2)]


def test_cancellation_reaches_the_python_worker(server: WeftdProcess, workers, tmp_path: Path) -> None:
    worker = workers(server.address, "cancel")
    with Client(server.address) as client:
        workflow_id = client.submit([queued("forever", "cancel", sleep_s=120)]).workflow_id
        wait_for("the worker starts", lambda: any(e["event"] == "started" for e in entries(worker.journal)))
        assert client.cancel(workflow_id, reason="changed my mind") == pb.WORKFLOW_STATUS_CANCELLED
        cancelled = wait_for("the worker sees the cancellation",
                             lambda: [e for e in entries(worker.journal) if e["event"] == "cancelled"], timeout=10)
        assert "cancellation" in cancelled[0]["reason"]
        events = list(client.watch(workflow_id))
        assert kinds(events)[-1] == "workflow_cancelled"
    assert not [e for e in entries(worker.journal) if e["event"] == "completed"]


def test_late_completion_with_a_stale_token_is_not_found(server: WeftdProcess) -> None:
    channel = make_channel(server.address)
    stub = wpbg.WorkerServiceStub(channel)

    def poll() -> wpb.ActivityTask:
        def got() -> wpb.ActivityTask | None:
            response = stub.PollActivity(wpb.PollActivityRequest(queue="stale", worker_id="by-hand"),
                                         timeout=RPC_TIMEOUT)
            return response.activity if response.HasField("activity") else None
        return wait_for("an activity", got)

    with Client(server.address) as client:
        workflow_id = client.submit([queued("a", "stale", heartbeat_ms=300, attempts=2)]).workflow_id
        first = poll()
        second = poll()  # attempt 1 sent no heartbeat for 300 ms: timed out, attempt 2 queued
        assert (first.attempt, second.attempt) == (1, 2)
        with pytest.raises(grpc.RpcError) as info:
            stub.CompleteActivity(wpb.CompleteActivityRequest(task_token=first.task_token, result="late"),
                                  timeout=RPC_TIMEOUT)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert "attempt 1" in info.value.details()
        stub.CompleteActivity(wpb.CompleteActivityRequest(task_token=second.task_token, result="on time"),
                              timeout=RPC_TIMEOUT)
        events = list(client.watch(workflow_id))
        assert kinds(events)[-1] == "workflow_completed"
        assert outputs(events) == {"a": "on time"}
    channel.close()


def test_heartbeat_details_reach_the_next_attempt(server: WeftdProcess, workers) -> None:
    workers(server.address, "resume")
    with Client(server.address) as client:
        # Attempt 1 records "page 7" and fails at once: the worker flushes the details before failing.
        task = queued("a", "resume", attempts=2, details="page 7", fail_attempts=1, output="resumed from {details}")
        _, events = run(client, [task])
    assert kinds(events)[-1] == "workflow_completed", kinds(events)
    assert outputs(events) == {"a": "resumed from page 7"}
    assert [(f.attempt, f.error_type, f.will_retry) for f in failures(events)] == [(1, "RuntimeError", True)]


def test_exceptions_become_failures_with_their_type(server: WeftdProcess, workers) -> None:
    workers(server.address, "errors", slots=2)
    with Client(server.address) as client:
        _, events = run(client, [queued("value", "errors", attempts=3, non_retryable=False, **{"raise": "ValueError"}),
                                 queued("final", "errors", attempts=3, non_retryable=True)])
    by_task: dict[str, list[pb.TaskFailed]] = {}
    for failure in failures(events):
        by_task.setdefault(failure.task_id, []).append(failure)
    assert [(f.error_type, f.will_retry) for f in by_task["value"]] == \
        [("ValueError", True), ("ValueError", True), ("ValueError", False)]
    assert "attempt 1 raised" in by_task["value"][0].error
    assert [(f.error_type, f.will_retry) for f in by_task["final"]] == [("NonRetryableError", False)]
    assert kinds(events)[-1] == "workflow_failed"


def test_bad_worker_input_is_invalid_argument(server: WeftdProcess) -> None:
    channel = make_channel(server.address)
    stub = wpbg.WorkerServiceStub(channel)
    cases = [
        (lambda: stub.PollActivity(wpb.PollActivityRequest(queue=""), timeout=RPC_TIMEOUT), "queue is empty"),
        (lambda: stub.PollActivity(wpb.PollActivityRequest(queue="has space"), timeout=RPC_TIMEOUT), "queue"),
        (lambda: stub.PollActivity(wpb.PollActivityRequest(queue="q" * 200), timeout=RPC_TIMEOUT), "128"),
        (lambda: stub.RecordHeartbeat(wpb.RecordHeartbeatRequest(task_token=b""), timeout=RPC_TIMEOUT),
         "task_token is empty"),
        (lambda: stub.RecordHeartbeat(wpb.RecordHeartbeatRequest(task_token=b"\x01junk"), timeout=RPC_TIMEOUT),
         "task_token is malformed"),
        (lambda: stub.CompleteActivity(wpb.CompleteActivityRequest(task_token=b"\x07"), timeout=RPC_TIMEOUT),
         "task_token is malformed"),
    ]
    for call, needle in cases:
        with pytest.raises(grpc.RpcError) as info:
            call()
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, needle
        assert needle in info.value.details()
    with Client(server.address) as client:
        with pytest.raises(grpc.RpcError) as info:
            client.submit([{"id": "a", "executor": "queue:no spaces"}])
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "queue:no spaces" in info.value.details()
    channel.close()


def test_queue_gauges_on_metrics(weftd_factory: Callable[..., WeftdProcess], workers) -> None:
    port = free_port()
    server = weftd_factory(*WEFTD_ARGS, "--metrics-listen", f"127.0.0.1:{port}")
    with Client(server.address) as client:
        workflow_id = client.submit([queued(f"t{i}", "gauged") for i in range(3)]).workflow_id
        wait_for("3 pending activities on /metrics",
                 lambda: sample(scrape(port)[1], "weft_worker_queue_pending", queue="gauged") == 3)
        workers(server.address, "gauged")
        events = list(client.watch(workflow_id))
        assert kinds(events)[-1] == "workflow_completed"
    wait_for("the queue drained on /metrics",
             lambda: sample(scrape(port)[1], "weft_worker_queue_pending", queue="gauged") == 0)
    wait_for("a waiting poll on /metrics",
             lambda: sample(scrape(port)[1], "weft_worker_queue_pollers", queue="gauged") >= 1)


def test_example_worker_renders_files(server: WeftdProcess, tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    examples = PYTHON_CLIENT_DIR / "examples"
    log = open(tmp_path / "example.log", "wb")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(PYTHON_CLIENT_DIR)]))
    worker = subprocess.Popen([sys.executable, str(examples / "render_worker.py"), "--server", server.address,
                               "--out", str(out)], stdout=log, stderr=log, env=env)
    try:
        result = subprocess.run([sys.executable, str(examples / "submit_and_watch.py"), "--server", server.address],
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "workflow_completed" in result.stdout, result.stdout
        assert (out / "hello.txt").read_text() == "Hello Ada!\n"
        assert (out / "report.md").read_text() == "# Weft\n\nRendered by a Python worker.\n"
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=15)
        log.close()


def test_async_handler_is_cancelled_with_the_workflow(server: WeftdProcess) -> None:
    import asyncio
    import threading

    from weft.worker import Activity, Worker

    started, cancelled = threading.Event(), threading.Event()

    async def handler(activity: Activity) -> str:
        started.set()
        try:
            await asyncio.sleep(120)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    worker = Worker(server.address, queue="async", handler=handler, slots=1, heartbeat_interval=0.1)
    worker.start()
    try:
        with Client(server.address) as client:
            workflow_id = client.submit([queued("a", "async")]).workflow_id
            assert started.wait(WAIT_S)
            assert client.cancel(workflow_id) == pb.WORKFLOW_STATUS_CANCELLED
            assert cancelled.wait(10), "the coroutine was not cancelled"
    finally:
        worker.stop(timeout=15)
    assert worker.completed == 0


def test_two_servers_on_one_redis_share_the_work(weftd_factory: Callable[..., WeftdProcess], redis_server: RedisServer,
                                                 workers, tmp_path: Path) -> None:
    """Redis mode scale-out: the workflow runs on the first weftd, a worker polls the second, another the first;
    completions and heartbeats reach the owner through Redis, every activity runs once, and the queue's stream
    holds nothing afterwards."""
    owner = weftd_factory(*WEFTD_ARGS, "--redis-url", redis_server.url)
    other = weftd_factory(*WEFTD_ARGS, "--redis-url", redis_server.url)
    journal = tmp_path / "scale.journal"
    remote = workers(other.address, "scale", journal=journal)
    with Client(owner.address) as client:
        tasks = [queued(f"t{i}", "scale", sleep_s=0.05, details=f"half of t{i}") for i in range(6)]
        tasks.append(queued("last", "scale", *[f"t{i}" for i in range(6)], output="done"))
        workflow_id, events = run(client, tasks, max_parallel=6)
        assert kinds(events)[-1] == "workflow_completed", kinds(events)
        assert outputs(events)["last"] == "done"
        heartbeats = [e.task_heartbeat for e in events if e.WhichOneof("payload") == "task_heartbeat"]
        assert heartbeats and all(h.details.startswith("half of") for h in heartbeats)
    started = [e for e in entries(journal) if e["event"] == "started"]
    assert sorted(e["task"] for e in started) == sorted([f"t{i}" for i in range(6)] + ["last"])
    assert {e["pid"] for e in started} == {remote.pid}
    assert redis_server.cli("XLEN", "weft:queue:scale") == "0"
    # A worker on the owner too, and a second workflow submitted to the other server: both workers share it.
    local = workers(owner.address, "scale", journal=journal)
    with Client(other.address) as client:
        _, events = run(client, [queued(f"u{i}", "scale", sleep_s=0.1) for i in range(8)], max_parallel=8)
        assert kinds(events)[-1] == "workflow_completed", kinds(events)
    second = [e for e in entries(journal) if e["event"] == "started" and e["task"].startswith("u")]
    assert sorted(e["task"] for e in second) == sorted(f"u{i}" for i in range(8)), "each activity exactly once"
    assert {e["pid"] for e in second} == {remote.pid, local.pid}, "both workers took work"
def test_sigterm_ends_waiting_polls_at_once(weftd_factory: Callable[..., WeftdProcess]) -> None:
    """A drain does not wait for long polls: the server's default 60 s poll ends empty at SIGTERM, and the server
    exits well within its 30 s drain grace."""
    port = free_port()
    server = weftd_factory("--cache", "false", "--metrics-listen", f"127.0.0.1:{port}")
    channel = make_channel(server.address)
    stub = wpbg.WorkerServiceStub(channel)
    poll = stub.PollActivity.future(wpb.PollActivityRequest(queue="drain", worker_id="w"), timeout=90)
    wait_for("the poll waits", lambda: sample(scrape(port)[1], "weft_worker_queue_pollers", queue="drain") == 1)
    started = time.monotonic()
    server.sigterm()
    assert not poll.result(timeout=10).HasField("activity")
    assert server.wait_exit(timeout=20) == 0
    assert time.monotonic() - started < 15
    channel.close()


def test_worker_limits_are_configurable(weftd_factory: Callable[..., WeftdProcess], tmp_path: Path) -> None:
    """The worker flags reach the server: heartbeat details over --max-heartbeat-details are INVALID_ARGUMENT,
    --max-queue-pending fails the attempt beyond it (QueueFull), --schedule-to-start-timeout fails a task no worker
    takes; bad values stop weftd with a message naming the setting."""
    server = weftd_factory(*WEFTD_ARGS, "--max-heartbeat-details", "8", "--max-queue-pending", "1",
                           "--schedule-to-start-timeout", "300ms", "--max-attempts", "1")
    channel = make_channel(server.address)
    stub = wpbg.WorkerServiceStub(channel)
    with Client(server.address) as client:
        workflow_id = client.submit([queued("a", "limits"), queued("b", "limits")], options=pb.ExecutionOptions(
            max_parallel=2)).workflow_id
        events = list(client.watch(workflow_id))
    failed = {f.task_id: f for f in failures(events)}
    assert {f.error_type for f in failed.values()} == {"QueueFull", "ScheduleToStartTimeout"}, failed
    assert any("queue \"limits\"" in f.error for f in failed.values())

    with Client(server.address) as client:
        workflow_id = client.submit([queued("c", "limits2")]).workflow_id
        activity = stub.PollActivity(wpb.PollActivityRequest(queue="limits2"), timeout=RPC_TIMEOUT).activity
        assert activity.task.id == "c"
        with pytest.raises(grpc.RpcError) as info:
            stub.RecordHeartbeat(wpb.RecordHeartbeatRequest(task_token=activity.task_token, details="123456789"),
                                 timeout=RPC_TIMEOUT)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "details is 9 bytes, more than the limit of 8" in info.value.details()
        stub.CompleteActivity(wpb.CompleteActivityRequest(task_token=activity.task_token, result="ok"),
                              timeout=RPC_TIMEOUT)
        assert kinds(list(client.watch(workflow_id)))[-1] == "workflow_completed"
    channel.close()

    from conftest import weftd_binary
    for args, env, needle in [
        (["--max-queue-pending", "0"], {}, "WEFT_MAX_QUEUE_PENDING must be at least 1"),
        (["--worker-poll-timeout", "0"], {}, "WEFT_WORKER_POLL_TIMEOUT must be positive"),
        ([], {"WEFT_WORKER_POLL_TIMEOUT": "soon"}, "WEFT_WORKER_POLL_TIMEOUT=soon is not a duration"),
        ([], {"WEFT_MAX_HEARTBEAT_DETAILS": "big"}, "WEFT_MAX_HEARTBEAT_DETAILS=big is not a whole number"),
    ]:
        run = subprocess.run([str(weftd_binary()), "--listen", "127.0.0.1:0", *args], capture_output=True, text=True,
                             timeout=30, env={**{k: v for k, v in os.environ.items() if not k.startswith("WEFT_")},
                                              **env})
        assert run.returncode != 0 and needle in run.stderr, (args, env, run.stderr)

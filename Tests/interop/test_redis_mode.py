"""Redis mode end to end: real weftd processes sharing a real redis-server of the test's own (issue 5).

Covers: the events on `workflow:stream:{id}` match the gRPC stream one for one; a watcher on a second weftd sees
the same events; crash recovery (kill -9 while exec tasks run, restart, the workflow completes, no completed task
runs again, a watcher resuming from its last sequence sees every event once and in order); Redis stopped and
restarted mid-workflow with the workflow still completing; SubmitWorkflow during the outage answers UNAVAILABLE;
health of weft.v1.WorkflowService flips to NOT_SERVING and back.

Each test starts its own redis-server on a free loopback port (the `persistent_redis_server` fixture: AOF with
`appendfsync always`, so a restart keeps everything), never the shared one of scripts/test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import RedisServer, WeftdProcess, make_channel, wait_for
from weft.v1 import workflow_pb2 as pb
from weft.v1 import workflow_pb2_grpc as pbg

RPC_TIMEOUT = 10.0
WATCH_TIMEOUT = 60.0
WORKFLOW_SERVICE = "weft.v1.WorkflowService"
NO_CACHE = pb.ExecutionOptions(cache=pb.CacheOptions(disabled=True))

# ---- reading Redis -------------------------------------------------------------------------------------------


class RespClient:
    """Just enough RESP2 to read streams and hashes with binary values (no Python Redis client is installed)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def call(self, *args: str | bytes) -> object:
        parts = [a.encode() if isinstance(a, str) else a for a in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        try:
            return self._reply()
        finally:
            if args and str(args[0]).upper() == "SHUTDOWN":
                self.sock.close()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self) -> object:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")


# ---- helpers ------------------------------------------------------------------------------------------------


def kind(event: pb.WorkflowEvent) -> str:
    return event.WhichOneof("payload") or "(none)"


def task_of(event: pb.WorkflowEvent) -> str:
    k = kind(event)
    if k == "task_completed":
        return event.task_completed.result.task_id
    return getattr(event, k).task_id if k.startswith("task_") else ""


def sim(task_id: str, *depends_on: str, duration_ms: int = 100) -> pb.TaskSpec:
    return pb.TaskSpec(id=task_id, type="work", description=f"task {task_id}", depends_on=list(depends_on),
                       executor="sim", input=json.dumps({"duration_ms": duration_ms}))


def stub_for(address: str) -> tuple[grpc.Channel, pbg.WorkflowServiceStub]:
    ch = make_channel(address)
    return ch, pbg.WorkflowServiceStub(ch)


def health_status(address: str) -> int:
    with grpc.insecure_channel(address) as ch:
        return health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=WORKFLOW_SERVICE), timeout=RPC_TIMEOUT).status


def stream_entries(redis: RedisServer, workflow_id: str) -> list[dict[bytes, bytes]]:
    reply = RespClient(redis.port).call("XRANGE", f"workflow:stream:{workflow_id}", "-", "+")
    entries = []
    for _entry_id, fields in reply:  # type: ignore[union-attr]
        entries.append(dict(zip(fields[::2], fields[1::2])))
    return entries


def check_continuous(events: list[pb.WorkflowEvent], task_ids: list[str]) -> None:
    """Sequences 1..N once each, workflow_completed last, every task completed exactly once."""
    seqs = [e.sequence for e in events]
    assert seqs == list(range(1, len(events) + 1)), f"sequence gaps or duplicates: {seqs}"
    assert kind(events[0]) == "workflow_accepted" and kind(events[-1]) == "workflow_completed", \
        [kind(e) for e in events]
    completed = [task_of(e) for e in events if kind(e) == "task_completed"]
    assert sorted(completed) == sorted(task_ids), f"completions: {sorted(completed)}"


# ---- the stream is the gRPC stream, on every process ----------------------------------------------------------


def test_stream_matches_grpc_stream_and_a_second_process(persistent_redis_server: RedisServer,
                                                         weftd_factory: Callable[..., WeftdProcess]) -> None:
    a = weftd_factory("--redis-url", persistent_redis_server.url, "--cache", "false")
    ch_a, stub_a = stub_for(a.address)
    tasks = [sim("root", duration_ms=300)] + [sim(f"t{i}", "root", duration_ms=100 + 30 * i) for i in range(6)]
    tasks.append(sim("last", *[f"t{i}" for i in range(6)], duration_ms=50))
    response = stub_a.SubmitWorkflow(pb.SubmitWorkflowRequest(description="redis stream", tasks=tasks,
                                                              options=NO_CACHE), timeout=RPC_TIMEOUT)
    wid = response.workflow_id
    # Started while a runs the workflow: a's lease is alive, so b must not resume (run a second copy of) it.
    b = weftd_factory("--redis-url", persistent_redis_server.url, "--cache", "false")
    ch_b, stub_b = stub_for(b.address)
    results: dict[str, list[pb.WorkflowEvent]] = {}

    def collect(name: str, stub: pbg.WorkflowServiceStub) -> None:
        results[name] = list(stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid), timeout=WATCH_TIMEOUT))

    threads = [threading.Thread(target=collect, args=(n, s)) for n, s in (("a", stub_a), ("b", stub_b))]
    for t in threads:
        t.start()
    running = stub_b.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid), timeout=RPC_TIMEOUT)
    assert running.status in (pb.WORKFLOW_STATUS_RUNNING, pb.WORKFLOW_STATUS_COMPLETED), running
    assert running.progress.total == len(tasks) and [t.task_id for t in running.tasks][0] == "root"
    for t in threads:
        t.join(WATCH_TIMEOUT + 5)
    assert set(results) == {"a", "b"}, "a watcher did not finish"
    check_continuous(results["a"], [t.id for t in tasks])
    assert results["b"] == results["a"], "the second process's watcher saw different events"
    starts = [e.task_started.attempt for e in results["a"] if kind(e) == "task_started"]
    assert starts == [1] * len(tasks), f"a task ran twice (the second process took the workflow over?): {starts}"
    # b never ran it, yet its GetWorkflow reads the workflow from Redis: the same snapshot as the owner's (but the
    # cache's time saved, which is not stored).
    snapshot_a = stub_a.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid), timeout=RPC_TIMEOUT)
    snapshot_b = stub_b.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid), timeout=RPC_TIMEOUT)
    assert snapshot_a.status == pb.WORKFLOW_STATUS_COMPLETED
    snapshot_a.cache.time_saved_ms = 0
    assert snapshot_b == snapshot_a
    with pytest.raises(grpc.RpcError) as info:
        stub_b.GetWorkflow(pb.GetWorkflowRequest(workflow_id="wf-nosuchworkflow"), timeout=RPC_TIMEOUT)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND

    entries = stream_entries(persistent_redis_server, wid)
    assert len(entries) == len(results["a"])
    for entry, event in zip(entries, results["a"]):
        assert pb.WorkflowEvent.FromString(entry[b"event"]) == event
        assert int(entry[b"seq"]) == event.sequence
        assert entry[b"kind"].decode() == kind(event)
        assert entry[b"task_id"].decode() == task_of(event)
        summary = json.loads(entry[b"summary"])
        assert summary["seq"] == event.sequence and summary["kind"] == kind(event)

    # A finished workflow's stream, state and active-set membership as documented.
    r = RespClient(persistent_redis_server.port)
    assert r.call("SISMEMBER", "weft:wf:active", wid) == 0
    assert r.call("HGET", f"weft:wf:{wid}", "status") == b"COMPLETED"
    assert int(r.call("HGET", f"weft:wf:{wid}", "last_seq")) == len(entries)  # type: ignore[arg-type]
    assert 0 < r.call("TTL", f"workflow:stream:{wid}") <= 3600  # type: ignore[operator]
    assert r.call("HLEN", f"weft:wf:{wid}:tasks") == len(tasks)
    # Replay after a sequence from the second process, which never ran it.
    replay = list(stub_b.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid, after_sequence=5),
                                       timeout=WATCH_TIMEOUT))
    assert replay == results["a"][5:]
    ch_a.close()
    ch_b.close()


def test_cancel_on_another_process_reaches_the_owner(persistent_redis_server: RedisServer,
                                                     weftd_factory: Callable[..., WeftdProcess]) -> None:
    """CancelWorkflow on a weftd that does not run the workflow asks its owner through Redis: the answer is
    CANCELLED, the owner's watchers get workflow_cancelled with the reason, and a finished or unknown workflow
    is answered from the stored state."""
    a = weftd_factory("--redis-url", persistent_redis_server.url, "--cache", "false")
    b = weftd_factory("--redis-url", persistent_redis_server.url, "--cache", "false")
    ch_a, stub_a = stub_for(a.address)
    ch_b, stub_b = stub_for(b.address)
    wid = stub_a.SubmitWorkflow(pb.SubmitWorkflowRequest(
        description="cancel elsewhere", tasks=[sim("slow", duration_ms=60_000)], options=NO_CACHE),
        timeout=RPC_TIMEOUT).workflow_id
    wait_for(lambda: stub_b.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid), timeout=RPC_TIMEOUT).status
             == pb.WORKFLOW_STATUS_RUNNING, 10, "the workflow runs on a")
    answer = stub_b.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=wid, reason="asked on b"), timeout=RPC_TIMEOUT)
    assert answer.status == pb.WORKFLOW_STATUS_CANCELLED
    events = list(stub_a.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid), timeout=WATCH_TIMEOUT))
    assert kind(events[-1]) == "workflow_cancelled" and events[-1].workflow_cancelled.reason == "asked on b"
    again = stub_b.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=wid), timeout=RPC_TIMEOUT)
    assert again.status == pb.WORKFLOW_STATUS_CANCELLED
    with pytest.raises(grpc.RpcError) as info:
        stub_b.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id="wf-nosuchworkflow"), timeout=RPC_TIMEOUT)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    ch_a.close()
    ch_b.close()


def test_list_on_any_process_pages_through_every_workflow(persistent_redis_server: RedisServer,
                                                          weftd_factory: Callable[..., WeftdProcess]) -> None:
    """ListWorkflows reads the index in Redis: each process lists the workflows of both, newest first, in pages,
    filtered by status; a token from elsewhere is INVALID_ARGUMENT."""
    a = weftd_factory("--redis-url", persistent_redis_server.url, "--cache", "false")
    b = weftd_factory("--redis-url", persistent_redis_server.url, "--cache", "false")
    ch_a, stub_a = stub_for(a.address)
    ch_b, stub_b = stub_for(b.address)
    ids = []
    for stub, name, ms in [(stub_a, "one", 10), (stub_b, "two", 10), (stub_a, "three", 10), (stub_b, "four", 60_000)]:
        ids.append(stub.SubmitWorkflow(pb.SubmitWorkflowRequest(
            description=name, tasks=[sim("t", duration_ms=ms)], options=NO_CACHE), timeout=RPC_TIMEOUT).workflow_id)
        time.sleep(0.005)  # distinct creation times, so the order is certain
    for wid in ids[:3]:
        list((stub_a if wid in (ids[0], ids[2]) else stub_b).WatchWorkflow(
            pb.WatchWorkflowRequest(workflow_id=wid), timeout=WATCH_TIMEOUT))
    for stub in (stub_a, stub_b):
        first = stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=2), timeout=RPC_TIMEOUT)
        assert [w.workflow_id for w in first.workflows] == [ids[3], ids[2]] and first.next_page_token
        second = stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=2, page_token=first.next_page_token),
                                    timeout=RPC_TIMEOUT)
        assert [w.workflow_id for w in second.workflows] == [ids[1], ids[0]]
        assert [w.description for w in [*first.workflows, *second.workflows]] == ["four", "three", "two", "one"]
        rest = stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=2, page_token=second.next_page_token),
                                  timeout=RPC_TIMEOUT) if second.next_page_token else second
        assert not rest.next_page_token and (rest is second or not rest.workflows)
        done = stub.ListWorkflows(pb.ListWorkflowsRequest(status=pb.WORKFLOW_STATUS_COMPLETED), timeout=RPC_TIMEOUT)
        assert [w.workflow_id for w in done.workflows] == [ids[2], ids[1], ids[0]]
        assert all(w.progress.completed == 1 and w.progress.total == 1 for w in done.workflows)
        running = stub.ListWorkflows(pb.ListWorkflowsRequest(status=pb.WORKFLOW_STATUS_RUNNING), timeout=RPC_TIMEOUT)
        assert [w.workflow_id for w in running.workflows] == [ids[3]]
        with pytest.raises(grpc.RpcError) as info:
            stub.ListWorkflows(pb.ListWorkflowsRequest(page_token="12"), timeout=RPC_TIMEOUT)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    ch_a.close()
    ch_b.close()


# ---- crash recovery -------------------------------------------------------------------------------------------

COUNTING_SCRIPT = """\
import json, os, sys, time
request = json.loads(sys.stdin.readline())
task = request["task"]["id"]
with open(os.environ["COUNT_FILE"], "a") as f:
    f.write(f"{task} {request['attempt']}\\n")
params = json.loads(request["task"]["input"] or "{}")
time.sleep(params.get("sleep_ms", 300) / 1000)
print(f"ran {task}")
"""


def test_crash_recovery_resumes_without_rerunning_completed_tasks(persistent_redis_server: RedisServer,
                                                                   tmp_path: Path) -> None:
    script = tmp_path / "count.py"
    script.write_text(COUNTING_SCRIPT)
    count_file = tmp_path / "executions.txt"
    count_file.touch()
    config = tmp_path / "exec.json"
    config.write_text(json.dumps({"commands": [{"name": "count", "argv": [sys.executable, str(script)],
                                                "environment": {"COUNT_FILE": str(count_file)}}]}))
    args = ("--redis-url", persistent_redis_server.url, "--cache", "false", "--exec-config", str(config))
    first = WeftdProcess(args, label="crash-1")
    second: WeftdProcess | None = None
    try:
        ch, stub = stub_for(first.address)
        task_ids = [f"task-{i:02d}" for i in range(30)]
        tasks = [pb.TaskSpec(id=t, type="work", description=f"counted {t}", executor="exec:count",
                             input=json.dumps({"sleep_ms": 250})) for t in task_ids]
        wid = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(
            description="crash recovery", tasks=tasks,
            options=pb.ExecutionOptions(max_parallel=5, cache=pb.CacheOptions(disabled=True))),
            timeout=RPC_TIMEOUT).workflow_id

        before: list[pb.WorkflowEvent] = []
        try:
            for event in stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid), timeout=WATCH_TIMEOUT):
                before.append(event)
                completed = sum(kind(e) == "task_completed" for e in before)
                running = {task_of(e) for e in before if kind(e) == "task_started"} - {
                    task_of(e) for e in before if kind(e) == "task_completed"}
                if completed >= 10 and running:
                    os.kill(first.pid, signal.SIGKILL)  # tasks are running: kill -9 now
                    break
        except grpc.RpcError:
            pass
        ch.close()
        first.wait_exit(10)
        assert not first.is_alive()
        completed_before = {task_of(e) for e in before if kind(e) == "task_completed"}
        assert len(completed_before) >= 10, f"only {len(completed_before)} tasks completed before the kill"

        second = WeftdProcess(args, label="crash-2")
        ch2, stub2 = stub_for(second.address)
        after = list(stub2.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid, after_sequence=before[-1].sequence),
                                         timeout=WATCH_TIMEOUT))
        events = before + after
        check_continuous(events, task_ids)

        executions: dict[str, list[int]] = {}
        for line in count_file.read_text().splitlines():
            task, attempt = line.split()
            executions.setdefault(task, []).append(int(attempt))
        assert set(executions) == set(task_ids), f"tasks never run: {set(task_ids) - set(executions)}"
        for task in completed_before:
            assert executions[task] == [1], f"{task} completed before the crash but ran again: {executions[task]}"
        rerun = {t: a for t, a in executions.items() if len(a) > 1}
        for task, attempts in rerun.items():
            assert attempts == list(range(1, len(attempts) + 1)), f"{task}: attempts {attempts}"
        assert rerun, "no task was running at the kill, so nothing was re-run (the test did not test recovery)"
        print(f"\ncrash recovery: {len(completed_before)} of 30 tasks completed before kill -9 (none ran again); "
              f"{len(rerun)} interrupted task(s) re-run as attempt 2; {len(events)} events, sequences 1..{len(events)} "
              f"once each across both processes")

        snapshot = stub2.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid), timeout=RPC_TIMEOUT)
        assert snapshot.status == pb.WORKFLOW_STATUS_COMPLETED
        assert snapshot.last_sequence == events[-1].sequence
        assert all(t.status == pb.TASK_STATUS_COMPLETED for t in snapshot.tasks)
        listed = stub2.ListWorkflows(pb.ListWorkflowsRequest(), timeout=RPC_TIMEOUT)
        assert wid in [w.workflow_id for w in listed.workflows]
        assert RespClient(persistent_redis_server.port).call("SISMEMBER", "weft:wf:active", wid) == 0
        ch2.close()
    finally:
        first.kill()
        if second is not None:
            second.check_clean_exit()


# ---- Redis outage -----------------------------------------------------------------------------------------------


def test_redis_restart_mid_workflow_health_and_unavailable_submit(persistent_redis_server: RedisServer,
                                                                  weftd_factory: Callable[..., WeftdProcess]) -> None:
    server = weftd_factory("--redis-url", persistent_redis_server.url, "--cache", "false")
    ch, stub = stub_for(server.address)
    assert health_status(server.address) == health_pb2.HealthCheckResponse.SERVING
    task_ids = [f"s{i:02d}" for i in range(12)]
    tasks = [sim(t, duration_ms=300) for t in task_ids]
    wid = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(
        description="outage", tasks=tasks,
        options=pb.ExecutionOptions(max_parallel=3, cache=pb.CacheOptions(disabled=True))),
        timeout=RPC_TIMEOUT).workflow_id
    wait_for(lambda: stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid), timeout=RPC_TIMEOUT)
               .progress.completed >= 2, 20, "two tasks to complete")

    persistent_redis_server.stop()
    wait_for(lambda: health_status(server.address) == health_pb2.HealthCheckResponse.NOT_SERVING, 10,
               "health NOT_SERVING while Redis is down")
    with pytest.raises(grpc.RpcError) as info:
        stub.SubmitWorkflow(pb.SubmitWorkflowRequest(description="during outage", tasks=[sim("x")],
                                                     options=NO_CACHE), timeout=RPC_TIMEOUT)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE, info.value
    assert "Redis" in (info.value.details() or "")
    # The workflow keeps running on buffered writes while Redis is down.
    wait_for(lambda: stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=wid), timeout=RPC_TIMEOUT)
               .progress.completed >= 5, 20, "the workflow to go on during the outage")

    persistent_redis_server.start()
    wait_for(lambda: health_status(server.address) == health_pb2.HealthCheckResponse.SERVING, 15,
               "health SERVING after Redis returned")
    events = list(stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid), timeout=WATCH_TIMEOUT))
    check_continuous(events, task_ids)
    assert len(stream_entries(persistent_redis_server, wid)) == len(events)
    # Submitting works again.
    again = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(description="after outage", tasks=[sim("y")],
                                                         options=NO_CACHE), timeout=RPC_TIMEOUT)
    assert [kind(e) for e in stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=again.workflow_id),
                                                timeout=WATCH_TIMEOUT)][-1] == "workflow_completed"
    ch.close()


# ---- graceful restart ---------------------------------------------------------------------------------------------


def test_sigterm_leaves_workflows_to_the_next_process(persistent_redis_server: RedisServer) -> None:
    """SIGTERM in Redis mode: the watch ends at once with UNAVAILABLE (not after the drain grace), weftd exits 0
    without cancelling the workflow, and the next process resumes it; the watcher continues with after_sequence."""
    args = ("--redis-url", persistent_redis_server.url, "--cache", "false")
    first = WeftdProcess(args, label="graceful-1")
    second: WeftdProcess | None = None
    try:
        ch, stub = stub_for(first.address)
        task_ids = [f"g{i:02d}" for i in range(10)]
        wid = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(
            description="graceful restart", tasks=[sim(t, duration_ms=400) for t in task_ids],
            options=pb.ExecutionOptions(max_parallel=2, cache=pb.CacheOptions(disabled=True))),
            timeout=RPC_TIMEOUT).workflow_id
        before: list[pb.WorkflowEvent] = []
        with pytest.raises(grpc.RpcError) as info:
            for event in stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid), timeout=WATCH_TIMEOUT):
                before.append(event)
                if sum(kind(e) == "task_completed" for e in before) == 3 and not first.sigterm_sent:
                    first.sigterm()
                    sigterm_at = time.monotonic()
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE, info.value
        assert time.monotonic() - sigterm_at < 10, "the watch was not ended at shutdown"
        assert all(kind(e) != "workflow_cancelled" for e in before), "the workflow was cancelled at shutdown"
        assert first.wait_exit(20) == 0, first.log_tail()
        ch.close()

        second = WeftdProcess(args, label="graceful-2")
        ch2, stub2 = stub_for(second.address)
        after = list(stub2.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=wid, after_sequence=before[-1].sequence),
                                         timeout=WATCH_TIMEOUT))
        check_continuous(before + after, task_ids)
        ch2.close()
    finally:
        first.kill()
        if second is not None:
            second.check_clean_exit()

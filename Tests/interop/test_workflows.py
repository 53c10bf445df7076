"""WorkflowService end to end against real weftd processes: Python grpcio (C-core) and grpcurl (grpc-go).

Covers issue 3's end-to-end list: submit + watch to completion with every event in order, resume with
`after_sequence`, 50 concurrent watchers on one running workflow, cancellation, idempotent resubmission, the
snapshot, paging, validation errors (nothing of a refused workflow kept), NOT_FOUND, retries, heartbeat timeouts,
and the `exec:NAME` executor running real scripts (success, failure, timeout kill leaving no process behind).

Tasks run on the `sim` executor (docs/executors.md) with short `duration_ms`, so the whole file takes seconds.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import wrappers_pb2

from conftest import REPO_ROOT, WeftdProcess, make_channel
from weft.v1 import workflow_pb2 as pb
from weft.v1 import workflow_pb2_grpc as pbg

RPC_TIMEOUT = 10.0     # unary calls that should answer at once
WATCH_TIMEOUT = 30.0   # a whole watch of a short workflow
TERMINAL = ("workflow_completed", "workflow_failed", "workflow_cancelled")
TASK_FINAL_STATES = {pb.TASK_STATUS_COMPLETED, pb.TASK_STATUS_FAILED, pb.TASK_STATUS_SKIPPED,
                     pb.TASK_STATUS_CANCELLED}
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.json"))


# ---- helpers ------------------------------------------------------------------------------------------------


def sim(task_id: str, *depends_on: str, executor: str = "sim", complexity: int = pb.COMPLEXITY_MEDIUM,
        type: str = "work", retry: pb.RetryPolicy | None = None, timeouts: pb.Timeouts | None = None,
        **params: Any) -> pb.TaskSpec:
    """A task on the simulator whose JSON input holds `params` (duration_ms, fail_attempts, output, ...)."""
    return pb.TaskSpec(id=task_id, type=type, complexity=complexity, description=f"task {task_id}",
                       depends_on=list(depends_on), executor=executor, input=json.dumps(params) if params else "",
                       retry_policy=retry, timeouts=timeouts)


NO_CACHE = pb.ExecutionOptions(cache=pb.CacheOptions(disabled=True))


def request(*tasks: pb.TaskSpec, description: str = "", request_id: str = "",
            options: pb.ExecutionOptions | None = None) -> pb.SubmitWorkflowRequest:
    """A submission with the result cache off: these tests are about execution (attempts, retries, timing),
    and the shared server's cache would otherwise reuse results of identical tasks from earlier tests.
    The cache's own behaviour is tested in test_cache.py."""
    options = options if options is not None else pb.ExecutionOptions()
    if not options.HasField("cache"):
        options.cache.disabled = True
    return pb.SubmitWorkflowRequest(description=description or f"interop {uuid.uuid4().hex[:8]}",
                                    tasks=list(tasks), request_id=request_id, options=options)


def rpc_error(fn: Callable[[], object]) -> grpc.RpcError:
    """Runs fn and returns the RpcError it must raise."""
    with pytest.raises(grpc.RpcError) as info:
        fn()
    return info.value  # type: ignore[return-value]


def kind(event: pb.WorkflowEvent) -> str:
    return event.WhichOneof("payload") or "(none)"


def show(events: Iterable[pb.WorkflowEvent]) -> str:
    """One line per event, for assertion messages."""
    lines = []
    for e in events:
        body = getattr(e, kind(e)) if e.WhichOneof("payload") else None
        text = " ".join(str(body).split()) if body is not None else ""
        lines.append(f"#{e.sequence} {kind(e)} [{e.progress.completed}/{e.progress.total} running "
                     f"{e.progress.running}] {text[:200]}")
    return "\n".join(lines)


def watch(stub: pbg.WorkflowServiceStub, workflow_id: str, after: int = 0,
          timeout: float = WATCH_TIMEOUT) -> list[pb.WorkflowEvent]:
    """The whole stream of a watch, which must end OK after its terminal event."""
    return list(stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=workflow_id, after_sequence=after),
                                   timeout=timeout))


def task_id_of(event: pb.WorkflowEvent) -> str:
    k = kind(event)
    if k == "task_completed":
        return event.task_completed.result.task_id
    return getattr(event, k).task_id


def finals_so_far(events: list[pb.WorkflowEvent]) -> int:
    """Tasks that have reached a final state according to the events: completed, failed for good, skipped."""
    count = 0
    for e in events:
        k = kind(e)
        if k in ("task_completed", "task_skipped") or (k == "task_failed" and not e.task_failed.will_retry):
            count += 1
    return count


def check_stream(events: list[pb.WorkflowEvent], workflow_id: str, task_ids: Iterable[str],
                 terminal: str = "workflow_completed", max_parallel: int = 5) -> None:
    """The invariants of one complete stream (from sequence 1):

    sequence 1..N without gaps; every event names the workflow; times never go back; workflow_accepted first with
    the task count; exactly one terminal event, last; per task, attempts start 1, 2, 3 ... and each is started
    before it completes or fails, never twice at once; nothing happens to a task after its final event; every task
    ends in a final event when the workflow completes; progress.total is the task count, progress.completed never
    goes down and never counts more tasks than have ended, running never exceeds max_parallel, and the terminal
    event shows completed == total and running 0.
    """
    ids = list(task_ids)
    where = f"\n{show(events)}"
    assert events, "empty stream"
    assert [e.sequence for e in events] == list(range(1, len(events) + 1)), f"sequence gaps or order{where}"
    assert all(e.workflow_id == workflow_id for e in events), f"wrong workflow_id{where}"
    times = [e.time_unix_ms for e in events]
    assert times == sorted(times) and times[0] > 0, f"time_unix_ms goes back{where}"
    assert kind(events[0]) == "workflow_accepted", f"first event is not workflow_accepted{where}"
    assert events[0].workflow_accepted.task_count == len(ids), where
    kinds = [kind(e) for e in events]
    assert kinds[-1] == terminal, f"last event {kinds[-1]}, expected {terminal}{where}"
    assert sum(k in TERMINAL for k in kinds) == 1, f"more than one terminal event{where}"

    running: dict[str, int] = {}      # task -> attempt currently running
    attempts: dict[str, int] = {}     # task -> last attempt started
    final: set[str] = set()
    last_completed = 0
    for i, e in enumerate(events):
        k = kind(e)
        assert e.progress.total == len(ids), f"#{e.sequence}: progress.total {e.progress.total}{where}"
        assert e.progress.completed >= last_completed, f"#{e.sequence}: progress.completed went down{where}"
        last_completed = e.progress.completed
        assert e.progress.running <= max_parallel, f"#{e.sequence}: running > max_parallel{where}"
        assert e.progress.completed + e.progress.running <= len(ids), f"#{e.sequence}: counts exceed total{where}"
        if k.startswith("task_"):
            tid = task_id_of(e)
            assert tid in ids, f"#{e.sequence}: unknown task {tid!r}{where}"
            assert tid not in final, f"#{e.sequence}: event for {tid!r} after its final event{where}"
            if k == "task_started":
                assert tid not in running, f"#{e.sequence}: {tid!r} started while an attempt runs{where}"
                assert e.task_started.attempt == attempts.get(tid, 0) + 1, f"#{e.sequence}: attempt order{where}"
                assert e.task_started.executor, where
                attempts[tid] = e.task_started.attempt
                running[tid] = e.task_started.attempt
            elif k == "task_heartbeat":
                assert running.get(tid) == e.task_heartbeat.attempt, f"#{e.sequence}: heartbeat of no attempt{where}"
            elif k == "task_completed":
                result = e.task_completed.result
                if result.cache.outcome == pb.CACHE_OUTCOME_REUSED:
                    # Completed from the result cache without running: no attempt, attempt 0.
                    assert tid not in running and tid not in attempts and result.attempt == 0, \
                        f"#{e.sequence}: {tid!r} reused from the cache after an attempt started{where}"
                else:
                    assert running.pop(tid, None) == result.attempt, \
                        f"#{e.sequence}: {tid!r} completed without a started attempt{where}"
                final.add(tid)
            elif k == "task_failed":
                assert running.pop(tid, None) == e.task_failed.attempt, \
                    f"#{e.sequence}: {tid!r} failed without a started attempt{where}"
                if not e.task_failed.will_retry:
                    final.add(tid)
            elif k == "task_skipped":
                assert tid not in attempts, f"#{e.sequence}: skipped task {tid!r} had started{where}"
                final.add(tid)
        assert e.progress.completed <= finals_so_far(events[: i + 1]) + (len(ids) if k in TERMINAL else 0), \
            f"#{e.sequence}: progress.completed counts tasks that have not ended{where}"
        if k in TERMINAL:
            if k == "workflow_cancelled":
                running.clear()  # cancellation ends the attempts in flight without an event of their own
            assert not running, f"#{e.sequence}: the workflow ended with attempts in flight: {running}{where}"
        assert e.progress.running >= len(running), f"#{e.sequence}: running below the attempts in flight{where}"
    last = events[-1]
    assert last.progress.completed == len(ids) and last.progress.running == 0, f"terminal progress{where}"
    if terminal == "workflow_completed":
        assert final == set(ids) and not running, f"not every task ended{where}"
        assert all(kind(e) != "task_failed" or e.task_failed.will_retry for e in events), where


def check_progress_exact(events: list[pb.WorkflowEvent]) -> None:
    """At every event, progress.completed is exactly the number of tasks that have ended so far (the event's own
    task included): a task_completed, a final task_failed and a task_skipped each count at their own event."""
    for i, e in enumerate(events):
        if kind(e) in TERMINAL:
            continue
        expected = finals_so_far(events[: i + 1])
        assert e.progress.completed == expected, (
            f"#{e.sequence} {kind(e)}: progress.completed {e.progress.completed}, expected {expected}\n{show(events)}")


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(0.01)


def list_all(stub: pbg.WorkflowServiceStub, page_size: int = 1000, status: int = 0) -> list[pb.WorkflowSummary]:
    out: list[pb.WorkflowSummary] = []
    token = ""
    for _ in range(1000):
        page = stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=page_size, page_token=token, status=status),
                                  timeout=RPC_TIMEOUT)
        out += page.workflows
        token = page.next_page_token
        if not token:
            return out
    pytest.fail("ListWorkflows did not stop paging")


def chain(n: int, duration_ms: int, prefix: str = "t") -> list[pb.TaskSpec]:
    """n tasks, each depending on the previous one."""
    return [sim(f"{prefix}{i}", *([f"{prefix}{i - 1}"] if i else []), duration_ms=duration_ms) for i in range(n)]


def diamond_dag() -> list[pb.TaskSpec]:
    """A small DAG with parallel branches, a join, different types and complexities."""
    return [
        sim("setup", type="setup", complexity=pb.COMPLEXITY_SIMPLE, duration_ms=60),
        sim("schema", "setup", type="database", duration_ms=120, output="CREATE TABLE users (id SERIAL);"),
        sim("auth", "setup", type="security", complexity=pb.COMPLEXITY_COMPLEX, duration_ms=150),
        sim("api", "schema", "auth", type="api", duration_ms=80),
        sim("docs", "setup", type="docs", complexity=pb.COMPLEXITY_SIMPLE, duration_ms=40),
        sim("tests", "api", type="tests", duration_ms=60),
    ]


@pytest.fixture
def stub(channel: grpc.Channel) -> pbg.WorkflowServiceStub:
    return pbg.WorkflowServiceStub(channel)


# ---- submit, watch, resume ------------------------------------------------------------------------------------


def test_submit_and_watch_to_completion(stub: pbg.WorkflowServiceStub) -> None:
    """A DAG runs to completion; the watch gets every event in order (accepted first, each task started before it
    completes, progress consistent, terminal last) and ends OK; a replay after the end is the same stream."""
    tasks = diamond_dag()
    reply = stub.SubmitWorkflow(request(*tasks), timeout=RPC_TIMEOUT)
    assert reply.workflow_id and not reply.deduplicated
    planned = {t.task_id: t.priority for b in reply.plan for t in b.tasks}
    assert sorted(planned) == sorted(t.id for t in tasks), reply
    events = watch(stub, reply.workflow_id)
    check_stream(events, reply.workflow_id, [t.id for t in tasks])
    check_progress_exact(events)
    assert list(events[0].workflow_accepted.plan) == list(reply.plan), show(events)
    # The explicit output comes through as the result, the others are the simulator's default text.
    outputs = {e.task_completed.result.task_id: e.task_completed.result for e in events if kind(e) == "task_completed"}
    assert outputs["schema"].output == "CREATE TABLE users (id SERIAL);"
    assert outputs["api"].output.startswith("sim: task api"), outputs["api"]
    assert all(r.attempt == 1 for r in outputs.values())
    assert outputs["auth"].duration_ms >= 150, outputs["auth"]
    # Dependencies are respected: a task starts only after each dependency completed.
    position = {(kind(e), task_id_of(e)): i for i, e in enumerate(events) if kind(e).startswith("task_")}
    for t in tasks:
        for dep in t.depends_on:
            assert position[("task_completed", dep)] < position[("task_started", t.id)], show(events)
    done = events[-1].workflow_completed
    assert done.duration_ms >= 60 + 150 + 80 + 60, done  # at least the critical path
    assert done.task_time_ms >= sum(json.loads(t.input)["duration_ms"] for t in tasks), done
    assert watch(stub, reply.workflow_id) == events, "a replay of the finished workflow differs from the live stream"


def test_batch_mode_stream(stub: pbg.WorkflowServiceStub) -> None:
    """BATCH mode: batches start in order, each batch's tasks start after its batch_started and the batch's
    batch_completed carries exactly its tasks' results; the next batch starts only after that."""
    tasks = [sim(f"p{i}", duration_ms=30 + 10 * i) for i in range(5)] + [sim("join", "p0", "p4", duration_ms=10)]
    options = pb.ExecutionOptions(mode=pb.SCHEDULING_MODE_BATCH, max_parallel=2)
    reply = stub.SubmitWorkflow(request(*tasks, options=options), timeout=RPC_TIMEOUT)
    events = watch(stub, reply.workflow_id)
    check_stream(events, reply.workflow_id, [t.id for t in tasks], max_parallel=2)
    where = show(events)
    current: list[str] | None = None
    seen_batches = []
    for e in events:
        k = kind(e)
        if k == "batch_started":
            assert current is None, f"batch {e.batch_started.index} started inside another{where}"
            current = list(e.batch_started.task_ids)
            assert 0 < len(current) <= 2, where
            seen_batches.append(e.batch_started.index)
        elif k == "task_started":
            assert current is not None and e.task_started.task_id in current, where
        elif k == "batch_completed":
            assert current is not None, where
            assert sorted(r.task_id for r in e.batch_completed.results) == sorted(current), where
            current = None
    assert seen_batches == list(range(len(seen_batches))), where
    # Without failures the batches run are the batches planned, in order, with the plan's order inside each.
    ran = [list(e.batch_started.task_ids) for e in events if kind(e) == "batch_started"]
    assert ran == [[t.task_id for t in b.tasks] for b in reply.plan], f"{reply.plan}{where}"
    assert ran[0] == ["p0", "p4"], f"highest priority (one dependent each: +2) first, ties in submission order{where}"


def test_resume_with_after_sequence(stub: pbg.WorkflowServiceStub) -> None:
    """A watcher that stops at event k and watches again with after_sequence=k gets exactly k+1..N (live, the
    workflow still running), the same events as a full replay; after_sequence=N on a finished workflow is an empty
    stream that ends OK."""
    tasks = chain(6, 120)
    reply = stub.SubmitWorkflow(request(*tasks), timeout=RPC_TIMEOUT)
    k = 4
    call = stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=reply.workflow_id), timeout=WATCH_TIMEOUT)
    first: list[pb.WorkflowEvent] = []
    for event in call:
        first.append(event)
        if len(first) == k:
            break
    call.cancel()
    assert [e.sequence for e in first] == list(range(1, k + 1)), show(first)
    snapshot = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    assert snapshot.status == pb.WORKFLOW_STATUS_RUNNING, "the workflow ended before the resume: make it longer"
    rest = watch(stub, reply.workflow_id, after=k)
    full = watch(stub, reply.workflow_id)
    check_stream(full, reply.workflow_id, [t.id for t in tasks])
    assert [e.sequence for e in rest] == list(range(k + 1, len(full) + 1)), show(rest)
    assert first + rest == full
    assert watch(stub, reply.workflow_id, after=len(full)) == []
    assert watch(stub, reply.workflow_id, after=len(full) - 1) == full[-1:]


def test_fifty_concurrent_watchers_get_identical_streams(weftd_address: str) -> None:
    """50 watchers (threads, over 5 connections) on one running workflow all receive the same complete stream."""
    channels = [make_channel(weftd_address) for _ in range(5)]
    try:
        stubs = [pbg.WorkflowServiceStub(c) for c in channels]
        tasks = [sim(f"a{i}", duration_ms=150) for i in range(4)] + chain(5, 150, prefix="c")
        reply = stubs[0].SubmitWorkflow(request(*tasks, options=pb.ExecutionOptions(max_parallel=3)),
                                        timeout=RPC_TIMEOUT)
        results: list[list[pb.WorkflowEvent] | BaseException | None] = [None] * 50
        got_first = [threading.Event() for _ in range(50)]
        start = threading.Barrier(50, timeout=10)

        def watcher(i: int) -> None:
            try:
                start.wait()
                events = []
                for event in stubs[i % 5].WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=reply.workflow_id),
                                                        timeout=WATCH_TIMEOUT):
                    events.append(event)
                    got_first[i].set()
                results[i] = events
            except BaseException as e:  # reported below
                results[i] = e
                got_first[i].set()

        threads = [threading.Thread(target=watcher, args=(i,), daemon=True) for i in range(50)]
        for t in threads:
            t.start()
        assert all(f.wait(10) for f in got_first), "a watcher received nothing within 10 s"
        snapshot = stubs[0].GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
        assert snapshot.status == pb.WORKFLOW_STATUS_RUNNING, "the workflow ended before all watchers were live"
        for t in threads:
            t.join(WATCH_TIMEOUT + 5)
        errors = [r for r in results if not isinstance(r, list)]
        assert not errors, f"{len(errors)} watchers failed: {errors[:3]}"
        reference = results[0]
        assert isinstance(reference, list)
        check_stream(reference, reply.workflow_id, [t.id for t in tasks], max_parallel=3)
        for i, r in enumerate(results):
            assert r == reference, f"watcher {i} got a different stream:\n{show(r)}\nvs\n{show(reference)}"  # type: ignore[arg-type]
    finally:
        for c in channels:
            c.close()


# ---- cancellation, idempotency, snapshot, listing -------------------------------------------------------------


def test_cancel_running_workflow(stub: pbg.WorkflowServiceStub) -> None:
    """CancelWorkflow mid-run answers CANCELLED; the watch ends OK with workflow_cancelled (the reason given)
    promptly, not after the 30 s tasks; running and pending tasks are CANCELLED in the snapshot; cancelling again
    changes nothing."""
    tasks = [sim("long1", duration_ms=30_000), sim("long2", duration_ms=30_000), sim("quick", duration_ms=10),
             sim("after", "long1", duration_ms=10)]
    reply = stub.SubmitWorkflow(request(*tasks), timeout=RPC_TIMEOUT)
    events: list[pb.WorkflowEvent] = []
    outcome: list[BaseException | None] = []
    both_started = threading.Event()

    def follow() -> None:
        try:
            for e in stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=reply.workflow_id), timeout=WATCH_TIMEOUT):
                events.append(e)
                if {task_id_of(x) for x in events if kind(x) == "task_started"} >= {"long1", "long2"}:
                    both_started.set()
            outcome.append(None)
        except BaseException as e:
            outcome.append(e)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    assert both_started.wait(10), f"the long tasks did not start\n{show(events)}"
    wait_for(lambda: any(kind(e) == "task_completed" for e in events), 5, "the quick task completing")
    started = time.monotonic()
    answer = stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=reply.workflow_id, reason="operator said stop"),
                                 timeout=RPC_TIMEOUT)
    assert answer.status == pb.WORKFLOW_STATUS_CANCELLED
    thread.join(10)
    assert not thread.is_alive(), f"the watch did not end after the cancellation\n{show(events)}"
    assert time.monotonic() - started < 5
    assert outcome == [None], f"the watch ended with an error: {outcome}"
    check_stream(events, reply.workflow_id, [t.id for t in tasks], terminal="workflow_cancelled")
    assert events[-1].workflow_cancelled.reason == "operator said stop"
    snapshot = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    assert snapshot.status == pb.WORKFLOW_STATUS_CANCELLED
    states = {t.task_id: t for t in snapshot.tasks}
    assert states["long1"].status == pb.TASK_STATUS_CANCELLED and states["long1"].attempt == 1, snapshot
    assert states["long2"].status == pb.TASK_STATUS_CANCELLED, snapshot
    assert states["after"].status == pb.TASK_STATUS_CANCELLED and states["after"].attempt == 0, snapshot
    assert states["quick"].status == pb.TASK_STATUS_COMPLETED, snapshot
    assert snapshot.finished_unix_ms >= snapshot.created_unix_ms > 0
    assert snapshot.progress.completed == 4 and snapshot.progress.running == 0, snapshot
    assert snapshot.last_sequence == events[-1].sequence
    again = stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    assert again.status == pb.WORKFLOW_STATUS_CANCELLED
    assert watch(stub, reply.workflow_id) == events


def test_cancel_finished_workflow_changes_nothing(stub: pbg.WorkflowServiceStub) -> None:
    """Cancelling a completed workflow answers COMPLETED and appends nothing."""
    reply = stub.SubmitWorkflow(request(sim("x", duration_ms=0)), timeout=RPC_TIMEOUT)
    events = watch(stub, reply.workflow_id)
    answer = stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    assert answer.status == pb.WORKFLOW_STATUS_COMPLETED
    assert watch(stub, reply.workflow_id) == events


def test_idempotent_resubmit(stub: pbg.WorkflowServiceStub) -> None:
    """The same request_id returns the same workflow_id with deduplicated=true (while running and after it
    finished, also for 10 concurrent submissions); a different request_id is a new workflow."""
    key = f"req-{uuid.uuid4()}"
    tasks = chain(3, 100)
    first = stub.SubmitWorkflow(request(*tasks, request_id=key), timeout=RPC_TIMEOUT)
    assert not first.deduplicated
    again = stub.SubmitWorkflow(request(*tasks, request_id=key), timeout=RPC_TIMEOUT)
    assert again.workflow_id == first.workflow_id and again.deduplicated
    assert list(again.plan) == list(first.plan)
    events = watch(stub, first.workflow_id)
    check_stream(events, first.workflow_id, [t.id for t in tasks])
    after_end = stub.SubmitWorkflow(request(*tasks, request_id=key), timeout=RPC_TIMEOUT)
    assert after_end.workflow_id == first.workflow_id and after_end.deduplicated
    assert watch(stub, first.workflow_id) == events, "the deduplicated submission changed the workflow"
    other = stub.SubmitWorkflow(request(*tasks, request_id=key + "-other"), timeout=RPC_TIMEOUT)
    assert other.workflow_id != first.workflow_id and not other.deduplicated

    racing_key = f"race-{uuid.uuid4()}"
    replies: list[pb.SubmitWorkflowResponse] = []
    lock = threading.Lock()
    barrier = threading.Barrier(10, timeout=10)

    def submit() -> None:
        barrier.wait()
        r = stub.SubmitWorkflow(request(sim("only", duration_ms=10), request_id=racing_key), timeout=RPC_TIMEOUT)
        with lock:
            replies.append(r)

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(RPC_TIMEOUT + 5)
    assert len(replies) == 10
    assert len({r.workflow_id for r in replies}) == 1, replies
    assert sum(not r.deduplicated for r in replies) == 1, [r.deduplicated for r in replies]
    ids = [w.workflow_id for w in list_all(stub)]
    assert ids.count(replies[0].workflow_id) == 1 and ids.count(first.workflow_id) == 1


def test_get_workflow_snapshot(stub: pbg.WorkflowServiceStub) -> None:
    """GetWorkflow while running (RUNNING, a task RUNNING, progress) and after the end: status, description, each
    task's state, attempt, priority (as planned), output, error, timings, progress and last_sequence."""
    tasks = [sim("first", duration_ms=300, output="out-1"),
             sim("second", "first", duration_ms=50, fail_attempts=1, retry=pb.RetryPolicy(initial_interval_ms=20)),
             sim("third", "first", duration_ms=20, output="out-3")]
    description = f"snapshot test {uuid.uuid4().hex}"
    before = int(time.time() * 1000)
    reply = stub.SubmitWorkflow(request(*tasks, description=description), timeout=RPC_TIMEOUT)
    call = stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=reply.workflow_id), timeout=WATCH_TIMEOUT)
    for event in call:  # wait until "first" runs
        if kind(event) == "task_started":
            break
    call.cancel()
    live = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    assert live.status == pb.WORKFLOW_STATUS_RUNNING, live
    live_states = {t.task_id: t for t in live.tasks}
    assert live_states["first"].status == pb.TASK_STATUS_RUNNING and live_states["first"].attempt == 1, live
    assert live_states["first"].started_unix_ms >= live.created_unix_ms, live
    assert live_states["second"].status == pb.TASK_STATUS_PENDING, live
    assert live.progress.total == 3 and live.progress.running == 1 and live.progress.completed == 0, live
    assert live.finished_unix_ms == 0 and live.last_sequence >= 2, live

    events = watch(stub, reply.workflow_id)
    snap = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    assert snap.workflow_id == reply.workflow_id
    assert snap.status == pb.WORKFLOW_STATUS_COMPLETED
    assert snap.description == description
    assert snap.progress.completed == 3 and snap.progress.total == 3 and snap.progress.running == 0, snap
    assert snap.last_sequence == events[-1].sequence
    assert before - 1000 <= snap.created_unix_ms <= snap.finished_unix_ms <= int(time.time() * 1000) + 1000, snap
    planned = {t.task_id: t.priority for b in reply.plan for t in b.tasks}
    states = {t.task_id: t for t in snap.tasks}
    assert sorted(states) == ["first", "second", "third"], snap
    for tid, state in states.items():
        assert state.status == pb.TASK_STATUS_COMPLETED, state
        assert state.priority == planned[tid], (state, planned)
        assert snap.created_unix_ms <= state.started_unix_ms <= state.finished_unix_ms <= snap.finished_unix_ms, state
    assert states["first"].output == "out-1" and states["third"].output == "out-3"
    assert states["first"].finished_unix_ms - states["first"].started_unix_ms >= 290, states["first"]
    assert states["second"].attempt == 2 and states["first"].attempt == 1, snap
    assert states["second"].output.startswith("sim: task second") and states["second"].output.endswith("attempt 2")
    assert states["second"].error == "", "a task that finally succeeded still reports its earlier error"
    assert states["second"].started_unix_ms >= states["first"].finished_unix_ms


def test_list_workflows_paging(weftd_factory: Callable[..., WeftdProcess]) -> None:
    """On a fresh server: newest first, pages of page_size with a token until the last page (empty token), no
    repeats; a status filter; page_size above 1000 and a foreign token are INVALID_ARGUMENT."""
    server = weftd_factory()
    with make_channel(server.address) as ch:
        stub = pbg.WorkflowServiceStub(ch)
        assert list_all(stub) == []
        ids = []
        for i in range(7):
            reply = stub.SubmitWorkflow(request(sim("t", duration_ms=0), description=f"wf {i}"), timeout=RPC_TIMEOUT)
            ids.append(reply.workflow_id)
        for wid in ids:
            watch(stub, wid)
        running = stub.SubmitWorkflow(request(sim("slow", duration_ms=20_000), description="running"),
                                      timeout=RPC_TIMEOUT).workflow_id
        newest_first = [running, *reversed(ids)]

        pages = []
        token = ""
        for _ in range(10):
            page = stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=3, page_token=token), timeout=RPC_TIMEOUT)
            pages.append([w.workflow_id for w in page.workflows])
            token = page.next_page_token
            if not token:
                break
        assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:8]], pages
        everything = stub.ListWorkflows(pb.ListWorkflowsRequest(), timeout=RPC_TIMEOUT)
        assert [w.workflow_id for w in everything.workflows] == newest_first and not everything.next_page_token
        summary = everything.workflows[-1]
        assert summary.description == "wf 0" and summary.status == pb.WORKFLOW_STATUS_COMPLETED
        assert summary.progress.total == 1 and summary.progress.completed == 1 and summary.created_unix_ms > 0

        completed = list_all(stub, page_size=2, status=pb.WORKFLOW_STATUS_COMPLETED)
        assert [w.workflow_id for w in completed] == list(reversed(ids))
        assert [w.workflow_id for w in list_all(stub, status=pb.WORKFLOW_STATUS_RUNNING)] == [running]

        err = rpc_error(lambda: stub.ListWorkflows(pb.ListWorkflowsRequest(page_size=1001), timeout=RPC_TIMEOUT))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_size" in (err.details() or "")
        err = rpc_error(lambda: stub.ListWorkflows(pb.ListWorkflowsRequest(page_token="not-a-token"),
                                                   timeout=RPC_TIMEOUT))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in (err.details() or "")
        stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=running), timeout=RPC_TIMEOUT)


# ---- validation and NOT_FOUND ---------------------------------------------------------------------------------


INVALID_SUBMISSIONS: list[tuple[str, list[pb.TaskSpec], pb.ExecutionOptions | None, list[str]]] = [
    ("cycle", [sim("a", "b"), sim("b", "c"), sim("c", "a"), sim("free")], None,
     ["dependency cycle", "a → b → c → a"]),
    ("unknown-dependency", [sim("a"), sim("b", "a", "ghost")], None, ['task "b"', "depends_on", '"ghost"']),
    ("self-dependency", [sim("a", "a")], None, ['task "a"', "itself"]),
    ("duplicate-id", [sim("a"), sim("b"), sim("a")], None, ['task "a"', "duplicate"]),
    ("empty-tasks", [], None, ["tasks", "empty"]),
    ("too-many-tasks", [sim(f"t{i}") for i in range(6)], None, ["tasks", "6", "5"]),
    ("unknown-executor", [sim("a"), sim("b", executor="teleport")], None, ['task "b"', "executor", '"teleport"']),
    ("unconfigured-exec", [sim("a", executor="exec:nope")], None, ['task "a"', "executor", '"exec:nope"']),
    ("empty-id", [sim("a"), sim("")], None, ["task #1", "id"]),
    ("threshold-out-of-range", [sim("a")],
     pb.ExecutionOptions(cache=pb.CacheOptions(reuse_threshold=wrappers_pb2.DoubleValue(value=1.5))),
     ["options.cache.reuse_threshold"]),
    ("max-parallel", [sim("a")], pb.ExecutionOptions(max_parallel=100_000), ["options.max_parallel"]),
]


def test_validation_errors_name_the_problem_and_keep_nothing(weftd_factory: Callable[..., WeftdProcess]) -> None:
    """Each invalid submission (on a server with --max-tasks 5) is INVALID_ARGUMENT with a message naming the task
    and field (a cycle with its path); nothing is kept: ListWorkflows stays empty, and the request_id of a refused
    submission is free for a valid one."""
    server = weftd_factory("--max-tasks", "5")
    with make_channel(server.address) as ch:
        stub = pbg.WorkflowServiceStub(ch)
        failures = []
        for name, tasks, options, needles in INVALID_SUBMISSIONS:
            try:
                reply = stub.SubmitWorkflow(request(*tasks, options=options, request_id=f"bad-{name}"),
                                            timeout=RPC_TIMEOUT)
                failures.append(f"{name}: accepted as {reply.workflow_id}")
                continue
            except grpc.RpcError as e:
                code, details = e.code(), e.details() or ""
            if code != grpc.StatusCode.INVALID_ARGUMENT:
                failures.append(f"{name}: {code} {details!r}")
            missing = [n for n in needles if n not in details]
            if missing:
                failures.append(f"{name}: message {details!r} lacks {missing}")
        assert not failures, "\n".join(failures)
        assert list_all(stub) == [], "a refused workflow was kept"
        ok = stub.SubmitWorkflow(request(sim("a", duration_ms=0), request_id="bad-cycle"), timeout=RPC_TIMEOUT)
        assert not ok.deduplicated, "the request_id of a refused submission was kept"
        assert [w.workflow_id for w in list_all(stub)] == [ok.workflow_id]
        five = stub.SubmitWorkflow(request(*[sim(f"t{i}", duration_ms=0) for i in range(5)]), timeout=RPC_TIMEOUT)
        check_stream(watch(stub, five.workflow_id), five.workflow_id, [f"t{i}" for i in range(5)])


def test_unknown_workflow_is_not_found(stub: pbg.WorkflowServiceStub) -> None:
    """Get, Watch and Cancel of an unknown workflow are NOT_FOUND naming it."""
    missing = "wf-doesnotexist0000000"
    calls: dict[str, Callable[[], object]] = {
        "GetWorkflow": lambda: stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=missing), timeout=RPC_TIMEOUT),
        "WatchWorkflow": lambda: list(stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=missing),
                                                         timeout=RPC_TIMEOUT)),
        "CancelWorkflow": lambda: stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=missing),
                                                      timeout=RPC_TIMEOUT),
    }
    for name, call in calls.items():
        err = rpc_error(call)
        assert err.code() == grpc.StatusCode.NOT_FOUND, (name, err.code(), err.details())
        assert missing in (err.details() or ""), (name, err.details())


# ---- retries, failures, heartbeats ----------------------------------------------------------------------------


def test_retries_are_visible(stub: pbg.WorkflowServiceStub) -> None:
    """A task failing its first two attempts is retried with backoff (retry_in_ms 40 then 80) and completes on
    attempt 3; the failures carry the error and its type."""
    tasks = [sim("flaky", duration_ms=10, fail_attempts=2, fail_type="Flaky",
                 retry=pb.RetryPolicy(max_attempts=3, initial_interval_ms=40, backoff_coefficient=2.0)),
             sim("next", "flaky", duration_ms=0)]
    reply = stub.SubmitWorkflow(request(*tasks), timeout=RPC_TIMEOUT)
    events = watch(stub, reply.workflow_id)
    check_stream(events, reply.workflow_id, ["flaky", "next"])
    flaky = [e for e in events if kind(e).startswith("task_") and task_id_of(e) == "flaky"
             and kind(e) != "task_heartbeat"]
    assert [kind(e) for e in flaky] == ["task_started", "task_failed"] * 2 + ["task_started", "task_completed"], \
        show(events)
    fails = [e.task_failed for e in flaky if kind(e) == "task_failed"]
    assert [(f.attempt, f.will_retry, f.retry_in_ms, f.error_type) for f in fails] == \
        [(1, True, 40, "Flaky"), (2, True, 80, "Flaky")], fails
    assert fails[0].error == "simulated failure (attempt 1 of 2)", fails[0]
    assert flaky[-1].task_completed.result.attempt == 3
    gap = flaky[4].time_unix_ms - flaky[3].time_unix_ms  # failure of attempt 2 → start of attempt 3
    assert gap >= 75, f"attempt 3 started {gap} ms after the failure, before its 80 ms backoff"


def test_failure_skips_dependents_and_independent_branches_continue(stub: pbg.WorkflowServiceStub) -> None:
    """A task failing for good (non-retryable) skips its dependents, an independent branch completes, and the
    workflow ends FAILED naming the task, with the completed results kept."""
    tasks = [sim("bad", duration_ms=10, fail_attempts=1000, retryable=False),
             sim("child", "bad"), sim("grandchild", "child"),
             sim("good", duration_ms=80, output="kept")]
    reply = stub.SubmitWorkflow(request(*tasks), timeout=RPC_TIMEOUT)
    events = watch(stub, reply.workflow_id)
    check_stream(events, reply.workflow_id, [t.id for t in tasks], terminal="workflow_failed")
    failed = [e.task_failed for e in events if kind(e) == "task_failed"]
    assert [(f.task_id, f.attempt, f.will_retry) for f in failed] == [("bad", 1, False)], show(events)
    assert sorted(e.task_skipped.task_id for e in events if kind(e) == "task_skipped") == ["child", "grandchild"]
    assert list(events[-1].workflow_failed.failed_tasks) == ["bad"]
    snap = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    states = {t.task_id: t for t in snap.tasks}
    assert snap.status == pb.WORKFLOW_STATUS_FAILED
    assert states["bad"].status == pb.TASK_STATUS_FAILED and "simulated failure" in states["bad"].error
    assert states["child"].status == pb.TASK_STATUS_SKIPPED and states["grandchild"].status == pb.TASK_STATUS_SKIPPED
    assert states["good"].status == pb.TASK_STATUS_COMPLETED and states["good"].output == "kept"


def test_progress_counts_a_task_failed_for_good_at_its_own_event(stub: pbg.WorkflowServiceStub) -> None:
    """progress.completed counts a task that failed for good in the task_failed event that says so (like a
    task_completed or task_skipped counts at its own event), and running no longer includes it."""
    tasks = [sim("bad", duration_ms=10, fail_attempts=1000, retryable=False), sim("slow", duration_ms=300)]
    reply = stub.SubmitWorkflow(request(*tasks), timeout=RPC_TIMEOUT)
    events = watch(stub, reply.workflow_id)
    check_stream(events, reply.workflow_id, ["bad", "slow"], terminal="workflow_failed")
    check_progress_exact(events)
    failed = next(e for e in events if kind(e) == "task_failed")
    assert failed.progress.running == 1, f"the failed task still counts as running\n{show(events)}"


def test_heartbeat_timeout(weftd_factory: Callable[..., WeftdProcess]) -> None:
    """On a server with --heartbeat-timeout 300ms: an attempt that stops heartbeating after 100 ms fails with
    HeartbeatTimeout about 400 ms in (not after its 5 s of work), is retried, and fails for good on attempt 2; a
    900 ms task that keeps heartbeating completes."""
    server = weftd_factory("--heartbeat-timeout", "300ms")
    with make_channel(server.address) as ch:
        stub = pbg.WorkflowServiceStub(ch)
        tasks = [sim("silent", duration_ms=5000, heartbeat_ms=50, stop_heartbeat_after_ms=100,
                     retry=pb.RetryPolicy(max_attempts=2, initial_interval_ms=50)),
                 sim("beating", duration_ms=900, heartbeat_ms=50)]
        reply = stub.SubmitWorkflow(request(*tasks), timeout=RPC_TIMEOUT)
        events = watch(stub, reply.workflow_id)
        check_stream(events, reply.workflow_id, ["silent", "beating"], terminal="workflow_failed")
        silent = [e for e in events if kind(e) in ("task_started", "task_failed") and task_id_of(e) == "silent"]
        assert [kind(e) for e in silent] == ["task_started", "task_failed"] * 2, show(events)
        first, second = silent[1].task_failed, silent[3].task_failed
        assert (first.attempt, first.error_type, first.will_retry) == (1, "HeartbeatTimeout", True), first
        assert (second.attempt, second.error_type, second.will_retry) == (2, "HeartbeatTimeout", False), second
        assert "heartbeat" in first.error, first
        elapsed = silent[1].time_unix_ms - silent[0].time_unix_ms
        assert 350 <= elapsed <= 2000, f"the heartbeat timeout fired {elapsed} ms after the start (expected ~400)"
        beating = [e for e in events if kind(e) == "task_completed"]
        assert [e.task_completed.result.task_id for e in beating] == ["beating"], show(events)
        assert list(events[-1].workflow_failed.failed_tasks) == ["silent"]


# ---- the exec executor with real scripts ----------------------------------------------------------------------


ECHO_SCRIPT = """\
import json, os, sys
request = json.loads(sys.stdin.readline())
params = json.loads(request["task"]["input"] or "{}")
print("working on " + request["task"]["id"], file=sys.stderr, flush=True)
print(json.dumps({"workflow_id": request["workflow_id"], "task": request["task"]["id"], "attempt": request["attempt"],
                  "env_task": os.environ.get("WEFT_TASK_ID"), "env_workflow": os.environ.get("WEFT_WORKFLOW_ID"),
                  "depends_on": request["task"]["depends_on"], "constraints": request["constraints"],
                  "echo": params.get("echo"), "cwd": os.getcwd(), "greeting": os.environ.get("GREETING")},
                 sort_keys=True))
"""

CHATTY_SCRIPT = """\
import sys, time
sys.stdin.read()
for step in range(1, 16):
    print(f"step {step} of 15", file=sys.stderr, flush=True)
    time.sleep(0.1)
print("chatty done")
"""

FAIL_SCRIPT = """\
#!/bin/sh
cat > /dev/null
i=0
while [ $i -lt 200 ]; do echo "noise line $i" >&2; i=$((i+1)); done
echo "fatal: boom 42" >&2
exit 3
"""

# Starts a background child in its process group, records both PIDs, and waits forever.
HANG_SCRIPT = """\
#!/bin/sh
sleep 1000 &
echo "$$ $!" > "$PIDFILE.tmp"
mv "$PIDFILE.tmp" "$PIDFILE"
wait
"""

SILENT_SCRIPT = """\
#!/bin/sh
exec sleep 1.5
"""


class ExecServer:
    """weftd with an exec config of real scripts in a temp dir (--heartbeat-timeout 1s)."""

    def __init__(self, factory: Callable[..., WeftdProcess], tmp: Path) -> None:
        self.dir = tmp
        self.pidfile = tmp / "pids"
        scripts = {"echo.py": ECHO_SCRIPT, "chatty.py": CHATTY_SCRIPT, "fail.sh": FAIL_SCRIPT,
                   "hang.sh": HANG_SCRIPT, "silent.sh": SILENT_SCRIPT}
        for name, text in scripts.items():
            (tmp / name).write_text(text)
        workdir = tmp / "work"
        workdir.mkdir()
        self.workdir = workdir
        config = {"commands": [
            {"name": "echo", "argv": [sys.executable, str(tmp / "echo.py")], "working_directory": str(workdir),
             "environment": {"GREETING": "hello from the config"}},
            {"name": "chatty", "argv": [sys.executable, str(tmp / "chatty.py")]},
            {"name": "fail", "argv": ["/bin/sh", str(tmp / "fail.sh")]},
            {"name": "hang", "argv": ["/bin/sh", str(tmp / "hang.sh")], "environment": {"PIDFILE": str(self.pidfile)}},
            {"name": "silent", "argv": ["/bin/sh", str(tmp / "silent.sh")]},
        ]}
        (tmp / "exec.json").write_text(json.dumps(config))
        self.server = factory("--exec-config", str(tmp / "exec.json"), "--heartbeat-timeout", "1s")
        self.channel = make_channel(self.server.address)
        self.stub = pbg.WorkflowServiceStub(self.channel)


@pytest.fixture
def exec_server(weftd_factory: Callable[..., WeftdProcess], tmp_path: Path) -> Iterator[ExecServer]:
    server = ExecServer(weftd_factory, tmp_path)
    yield server
    server.channel.close()


ONCE = pb.RetryPolicy(max_attempts=1)


def test_exec_success_stdout_is_the_result(exec_server: ExecServer) -> None:
    """A configured Python script gets the task as JSON on stdin (and its ids in the environment, its configured
    working directory and variables), and its stdout, less the trailing newline, is the task_completed output.
    Task data with shell syntax reaches the script verbatim: nothing is interpolated."""
    stub = exec_server.stub
    nasty = f"$(touch {exec_server.dir}/pwned); `touch {exec_server.dir}/pwned2`; echo ';|&'"
    tasks = [sim("prep", duration_ms=0),
             pb.TaskSpec(id="run", type="build", executor="exec:echo", depends_on=["prep"],
                         input=json.dumps({"echo": nasty}), retry_policy=ONCE)]
    reply = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(tasks=tasks, constraints={"language": "python"}, options=NO_CACHE),
                                timeout=RPC_TIMEOUT)
    events = watch(stub, reply.workflow_id)
    check_stream(events, reply.workflow_id, ["prep", "run"])
    started = next(e.task_started for e in events if kind(e) == "task_started" and e.task_started.task_id == "run")
    assert started.executor == "exec:echo"
    result = next(e.task_completed.result for e in events
                  if kind(e) == "task_completed" and e.task_completed.result.task_id == "run")
    expected = {"workflow_id": reply.workflow_id, "task": "run", "attempt": 1, "env_task": "run",
                "env_workflow": reply.workflow_id, "depends_on": ["prep"], "constraints": {"language": "python"},
                "echo": nasty, "cwd": str(exec_server.workdir), "greeting": "hello from the config"}
    assert result.output == json.dumps(expected, sort_keys=True), result.output
    assert not (exec_server.dir / "pwned").exists() and not (exec_server.dir / "pwned2").exists()
    snap = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    assert {t.task_id: t.output for t in snap.tasks}["run"] == result.output


def test_exec_output_lines_are_heartbeats(exec_server: ExecServer) -> None:
    """With a 1 s heartbeat timeout, a script printing a stderr line every 100 ms for 1.5 s completes (its lines
    are heartbeats, the details are the line), while a silent 1.5 s script fails with HeartbeatTimeout."""
    stub = exec_server.stub
    tasks = [pb.TaskSpec(id="chatty", executor="exec:chatty", retry_policy=ONCE),
             pb.TaskSpec(id="silent", executor="exec:silent", retry_policy=ONCE)]
    reply = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(tasks=tasks, options=NO_CACHE), timeout=RPC_TIMEOUT)
    events = watch(stub, reply.workflow_id)
    check_stream(events, reply.workflow_id, ["chatty", "silent"], terminal="workflow_failed")
    done = [e.task_completed.result for e in events if kind(e) == "task_completed"]
    assert [(r.task_id, r.output) for r in done] == [("chatty", "chatty done")], show(events)
    beats = [e.task_heartbeat for e in events if kind(e) == "task_heartbeat" and e.task_heartbeat.task_id == "chatty"]
    assert beats and all(b.details.startswith("step ") and b.details.endswith(" of 15") for b in beats), show(events)
    failed = [e.task_failed for e in events if kind(e) == "task_failed"]
    assert [(f.task_id, f.error_type) for f in failed] == [("silent", "HeartbeatTimeout")], show(events)


def test_exec_failure_carries_stderr_tail(exec_server: ExecServer) -> None:
    """A script exiting 3 fails its task (ExitStatus) with the status and the tail of its stderr in the error;
    the dependent is skipped."""
    stub = exec_server.stub
    tasks = [pb.TaskSpec(id="broken", executor="exec:fail", retry_policy=ONCE), sim("after", "broken")]
    reply = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(tasks=tasks, options=NO_CACHE), timeout=RPC_TIMEOUT)
    events = watch(stub, reply.workflow_id)
    check_stream(events, reply.workflow_id, ["broken", "after"], terminal="workflow_failed")
    failed = next(e.task_failed for e in events if kind(e) == "task_failed")
    assert failed.task_id == "broken" and failed.error_type == "ExitStatus" and not failed.will_retry, failed
    assert "status 3" in failed.error, failed.error
    assert failed.error.rstrip().endswith("fatal: boom 42"), failed.error[-300:]
    assert "noise line 199" in failed.error, failed.error[-300:]
    assert "noise line 0\n" not in failed.error, "the error holds all of stderr, not its tail"
    assert len(failed.error.encode()) < 4096, len(failed.error)
    snap = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
    states = {t.task_id: t for t in snap.tasks}
    assert states["broken"].status == pb.TASK_STATUS_FAILED and "fatal: boom 42" in states["broken"].error
    assert states["after"].status == pb.TASK_STATUS_SKIPPED


def _children(pid: int) -> list[tuple[int, str, str]]:
    """(pid, state, name) of every process whose parent is `pid`, from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name_end = stat.rindex(")")
        fields = stat[name_end + 2:].split()
        if int(fields[1]) == pid:
            out.append((int(entry.name), fields[0], stat[stat.index("(") + 1:name_end]))
    return out


def _set_child_subreaper(on: bool) -> None:
    """PR_SET_CHILD_SUBREAPER on this (the test) process.

    A killed command's orphaned children are re-parented to the nearest subreaper, else to PID 1. PID 1 of this
    environment does not reap, so a dead orphan would stay a zombie under it, and os.kill(pid, 0) succeeds on a
    zombie. As a subreaper the test adopts the orphans and reaps them itself, so "gone" means gone."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1 if on else 0, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _gone(pid: int) -> bool:
    """True once `pid` no longer exists (reaping it first if it became this process's zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_exec_timeout_kills_the_process_group(exec_server: ExecServer) -> None:
    """A script that starts a background `sleep 1000` and waits is killed at its 500 ms start-to-close timeout:
    the task fails with StartToCloseTimeout, the script and its child are both gone (os.kill(pid, 0) raises
    ProcessLookupError) and weftd has no child left, zombie or alive."""
    stub = exec_server.stub
    _set_child_subreaper(True)
    pids: list[int] = []
    try:
        tasks = [pb.TaskSpec(id="hang", executor="exec:hang", timeouts=pb.Timeouts(start_to_close_ms=500),
                             retry_policy=ONCE)]
        reply = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(tasks=tasks, options=NO_CACHE), timeout=RPC_TIMEOUT)
        started = time.monotonic()
        events = watch(stub, reply.workflow_id)
        elapsed = time.monotonic() - started
        check_stream(events, reply.workflow_id, ["hang"], terminal="workflow_failed")
        failed = next(e.task_failed for e in events if kind(e) == "task_failed")
        assert failed.error_type == "StartToCloseTimeout" and not failed.will_retry, failed
        assert elapsed < 5, f"the timeout took {elapsed:.1f} s"
        assert exec_server.pidfile.exists(), "the script did not record its PIDs"
        pids = [int(p) for p in exec_server.pidfile.read_text().split()]
        assert len(pids) == 2 and pids[0] != pids[1], pids
        weftd = exec_server.server.pid
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(_gone(p) for p in pids):
            time.sleep(0.02)
        alive = [(p, Path(f"/proc/{p}/stat").read_text(errors="replace")[:80]) for p in pids if not _gone(p)]
        assert not alive, f"processes left behind 5 s after the timeout: {alive}"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _children(weftd):
            time.sleep(0.02)
        assert _children(weftd) == [], f"weftd still has children: {_children(weftd)}"
    finally:
        _set_child_subreaper(False)
        for p in pids:  # never leave a sleep 1000 behind, whatever failed above
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _gone(p)


def test_exec_cancel_kills_the_running_script(exec_server: ExecServer) -> None:
    """Cancelling a workflow whose exec task hangs kills the script and its child at once."""
    stub = exec_server.stub
    _set_child_subreaper(True)
    pids: list[int] = []
    try:
        tasks = [pb.TaskSpec(id="hang", executor="exec:hang", retry_policy=ONCE)]
        reply = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(tasks=tasks, options=NO_CACHE), timeout=RPC_TIMEOUT)
        wait_for(exec_server.pidfile.exists, 10, "the script recording its PIDs")
        pids = [int(p) for p in exec_server.pidfile.read_text().split()]
        answer = stub.CancelWorkflow(pb.CancelWorkflowRequest(workflow_id=reply.workflow_id), timeout=RPC_TIMEOUT)
        assert answer.status == pb.WORKFLOW_STATUS_CANCELLED
        events = watch(stub, reply.workflow_id)
        check_stream(events, reply.workflow_id, ["hang"], terminal="workflow_cancelled")
        wait_for(lambda: all(_gone(p) for p in pids), 5, f"processes {pids} ending")
        wait_for(lambda: not _children(exec_server.server.pid), 5, "weftd having no children")
    finally:
        _set_child_subreaper(False)
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _gone(p)


def test_exec_unconfigured_command_refused(exec_server: ExecServer) -> None:
    """exec:nope (not in the config) is INVALID_ARGUMENT at submit, naming the task and the executor."""
    tasks = [pb.TaskSpec(id="ok", executor="exec:echo"), pb.TaskSpec(id="bad", executor="exec:nope")]
    err = rpc_error(lambda: exec_server.stub.SubmitWorkflow(pb.SubmitWorkflowRequest(tasks=tasks, options=NO_CACHE),
                                                            timeout=RPC_TIMEOUT))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert 'task "bad"' in (err.details() or "") and "exec:nope" in (err.details() or ""), err.details()
    assert list_all(exec_server.stub) == []


# ---- grpcurl --------------------------------------------------------------------------------------------------


def _grpcurl(grpcurl_bin: str, address: str, method: str, data: str | None = None,
             stdin_file: Path | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    cmd = [grpcurl_bin, "-plaintext"]
    if stdin_file is not None:
        cmd += ["-d", "@"]
    elif data is not None:
        cmd += ["-d", data]
    cmd += [address, method]
    stdin = open(stdin_file) if stdin_file is not None else subprocess.DEVNULL
    try:
        return subprocess.run(cmd, stdin=stdin, capture_output=True, text=True, timeout=timeout)
    finally:
        if stdin_file is not None:
            stdin.close()  # type: ignore[union-attr]


def _json_stream(text: str) -> list[dict[str, Any]]:
    """grpcurl prints one JSON object per message, pretty-printed one after another."""
    decoder = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = decoder.raw_decode(text, i)
        out.append(obj)


@pytest.mark.skipif(not EXAMPLES, reason="no examples/*.json yet")
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_grpcurl_submits_example_and_watches(grpcurl_bin: str, weftd_address: str, stub: pbg.WorkflowServiceStub,
                                             example: Path) -> None:
    """`grpcurl -d @ ADDR weft.v1.WorkflowService/SubmitWorkflow < examples/X.json` is accepted; `WatchWorkflow`
    through grpcurl prints every event (sequence 1..N) to the terminal one and exits 0; the workflow completes."""
    spec = json.loads(example.read_text())
    run = _grpcurl(grpcurl_bin, weftd_address, "weft.v1.WorkflowService/SubmitWorkflow", stdin_file=example)
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    reply = json.loads(run.stdout)
    workflow_id = reply["workflowId"]
    planned = [t["taskId"] for b in reply["plan"] for t in b["tasks"]]
    assert sorted(planned) == sorted(t["id"] for t in spec["tasks"]), reply
    watched = _grpcurl(grpcurl_bin, weftd_address, "weft.v1.WorkflowService/WatchWorkflow",
                       data=json.dumps({"workflowId": workflow_id}), timeout=60)
    assert watched.returncode == 0, f"exit {watched.returncode}\n{watched.stderr}"
    events = _json_stream(watched.stdout)
    assert [int(e["sequence"]) for e in events] == list(range(1, len(events) + 1))
    assert "workflowAccepted" in events[0] and "workflowCompleted" in events[-1], events[-1]
    completed = {e["taskCompleted"]["result"]["taskId"] for e in events if "taskCompleted" in e}
    assert completed == {t["id"] for t in spec["tasks"]}
    grpcio_events = watch(stub, workflow_id)
    check_stream(grpcio_events, workflow_id, [t["id"] for t in spec["tasks"]],
                 max_parallel=spec.get("options", {}).get("max_parallel", 5))
    assert len(grpcio_events) == len(events)


def test_grpcurl_errors(grpcurl_bin: str, weftd_address: str) -> None:
    """Through grpcurl: a cycle exits 67 (INVALID_ARGUMENT) with the path in the message, decoded; an unknown
    workflow exits 69 (NOT_FOUND)."""
    cycle = json.dumps({"tasks": [{"id": "a", "dependsOn": ["b"]}, {"id": "b", "dependsOn": ["a"]}]})
    run = _grpcurl(grpcurl_bin, weftd_address, "weft.v1.WorkflowService/SubmitWorkflow", data=cycle)
    assert run.returncode == 64 + 3, run
    assert "dependency cycle: a → b → a" in run.stderr, run.stderr
    run = _grpcurl(grpcurl_bin, weftd_address, "weft.v1.WorkflowService/GetWorkflow",
                   data='{"workflowId": "wf-nope"}')
    assert run.returncode == 64 + 5, run
    assert "wf-nope" in run.stderr, run.stderr

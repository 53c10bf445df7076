"""The semantic result cache against real processes: weftd (in memory, and on Redis) and redis-server.

(a) In memory: the same workflow submitted twice is REUSED the second time, in the stream and in GetWorkflow's
    cache summary.
(b) Redis: weftd A stores its results in Redis (hashes and exact keys with a TTL no longer than CACHE_TTL); a
    second weftd process B on the same Redis reuses them, and each process adapts the other's results (B's index
    loaded by SCAN at start, A's kept in step through pub/sub).
(c) Redis stopped while a workflow runs: the workflow still completes with no failed task (lookups degrade to
    misses); once Redis is back, a later submission is stored and reused again.

The Redis tests start a redis-server of their own on a free 127.0.0.1 port (no persistence) and stop it at the
end, so they never touch the shared one (`WEFT_TEST_REDIS_URL`). Without a redis-server binary they are skipped,
unless CI or WEFT_TEST_REDIS_URL is set (then Redis was promised and its absence fails the run).
Every wait is bounded.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator

import grpc
import pytest
from google.protobuf import json_format, wrappers_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import REPO_ROOT, RedisServer, WeftdProcess, make_channel, wait_for
from weft.v1 import workflow_pb2 as pb
from weft.v1 import workflow_pb2_grpc as pbg

RPC_TIMEOUT = 10.0
WATCH_TIMEOUT = 60.0
CACHE_TTL_S = 120
REUSED, ADAPTED, MISS, BYPASSED = (pb.CACHE_OUTCOME_REUSED, pb.CACHE_OUTCOME_ADAPTED, pb.CACHE_OUTCOME_MISS,
                                   pb.CACHE_OUTCOME_BYPASSED)
NAMES = {v: pb.CacheOutcome.Name(v).removeprefix("CACHE_OUTCOME_") for v in pb.CacheOutcome.values()}

# In memory whatever the environment says (REDIS_URL would otherwise put weftd on Redis).
IN_MEMORY = ("--redis-url", "")


# ---- helpers ------------------------------------------------------------------------------------------------


def kind(event: pb.WorkflowEvent) -> str:
    return event.WhichOneof("payload") or "(none)"


class Run:
    """One workflow run to its end: its id, every event, and the snapshot after the end."""

    def __init__(self, workflow_id: str, events: list[pb.WorkflowEvent], snapshot: pb.GetWorkflowResponse) -> None:
        self.id = workflow_id
        self.events = events
        self.snapshot = snapshot

    @property
    def results(self) -> dict[str, pb.TaskResult]:
        return {e.task_completed.result.task_id: e.task_completed.result
                for e in self.events if kind(e) == "task_completed"}

    @property
    def outcomes(self) -> dict[str, int]:
        return {tid: r.cache.outcome for tid, r in self.results.items()}

    @property
    def started(self) -> set[str]:
        return {e.task_started.task_id for e in self.events if kind(e) == "task_started"}

    @property
    def failures(self) -> list[pb.TaskFailed]:
        return [e.task_failed for e in self.events if kind(e) == "task_failed"]

    @property
    def completed_summary(self) -> pb.CacheSummary | None:
        last = self.events[-1] if self.events else None
        return last.workflow_completed.cache if last is not None and kind(last) == "workflow_completed" else None

    def trace(self) -> str:
        lines = [f"workflow {self.id}: {pb.WorkflowStatus.Name(self.snapshot.status)}"]
        for tid, r in sorted(self.results.items()):
            lines.append(f"  {tid}: {NAMES[r.cache.outcome]} similarity={r.cache.similarity:.4f} "
                         f"source={r.cache.source_task or '-'} attempt={r.attempt} {r.duration_ms} ms")
        for f in self.failures:
            lines.append(f"  task_failed {f.task_id}#{f.attempt} {f.error_type}: {f.error}")
        s = self.snapshot.cache
        lines.append(f"  summary reused={s.reused} adapted={s.adapted} missed={s.missed} saved={s.time_saved_ms} ms")
        return "\n".join(lines)


def submit(stub: pbg.WorkflowServiceStub, request: pb.SubmitWorkflowRequest) -> str:
    return stub.SubmitWorkflow(request, timeout=RPC_TIMEOUT).workflow_id


def finish(stub: pbg.WorkflowServiceStub, workflow_id: str,
           on_event: Callable[[pb.WorkflowEvent], None] | None = None) -> Run:
    """Watches the workflow to its terminal event (bounded), then reads its snapshot."""
    events = []
    for event in stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=workflow_id), timeout=WATCH_TIMEOUT):
        events.append(event)
        if on_event is not None:
            on_event(event)
    snapshot = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=RPC_TIMEOUT)
    return Run(workflow_id, events, snapshot)


def run(stub: pbg.WorkflowServiceStub, request: pb.SubmitWorkflowRequest) -> Run:
    """Submits and watches; the workflow must complete with no failed task."""
    result = finish(stub, submit(stub, request))
    assert result.snapshot.status == pb.WORKFLOW_STATUS_COMPLETED, result.trace()
    assert result.completed_summary is not None, result.trace()
    return result


def task(task_id: str, type: str, description: str, *depends_on: str, ms: int = 50,
         cacheable: bool | None = None) -> pb.TaskSpec:
    spec = pb.TaskSpec(id=task_id, type=type, complexity=pb.COMPLEXITY_MEDIUM, description=description,
                       depends_on=list(depends_on), executor="sim", input=json.dumps({"duration_ms": ms}))
    if cacheable is not None:
        spec.cacheable.CopyFrom(wrappers_pb2.BoolValue(value=cacheable))
    return spec


def workflow(*tasks: pb.TaskSpec, language: str = "python") -> pb.SubmitWorkflowRequest:
    return pb.SubmitWorkflowRequest(description=f"cache interop {uuid.uuid4().hex[:8]}",
                                    constraints={"language": language}, tasks=list(tasks))


def user_service(tag: str = "", login: str = "Create user login endpoint", ms: int = 60) -> pb.SubmitWorkflowRequest:
    """Four cacheable tasks and one that is not. `tag` makes the texts unique to one test."""
    return workflow(
        task("setup", "setup", f"Scaffold the FastAPI service {tag} with settings and a Dockerfile", ms=ms),
        task("schema", "database", f"Users table {tag} as SQLAlchemy models with an Alembic migration", "setup", ms=ms),
        task("login", "api", login, "schema", ms=4 * ms),  # no tag: it would change the similarity
        task("docs", "docs", f"OpenAPI descriptions for the user endpoints {tag}", "setup", ms=ms),
        task("e2e", "tests", f"End-to-end tests against a test database {tag}", "login", ms=ms, cacheable=False),
    )


CACHEABLE = {"setup", "schema", "login", "docs"}


@pytest.fixture
def stub_for() -> Iterator[Callable[[WeftdProcess], pbg.WorkflowServiceStub]]:
    """Stubs on channels that are closed at the end of the test."""
    channels: list[grpc.Channel] = []

    def make(server: WeftdProcess) -> pbg.WorkflowServiceStub:
        channel = make_channel(server.address)
        channels.append(channel)
        return pbg.WorkflowServiceStub(channel)

    yield make
    for channel in channels:
        channel.close()


# ---- (a) in memory --------------------------------------------------------------------------------------------


def test_in_memory_second_submission_reuses(weftd_factory: Callable[..., WeftdProcess],
                                            stub_for: Callable[[WeftdProcess], pbg.WorkflowServiceStub]) -> None:
    """examples/user-auth-service.json twice on one in-memory weftd: the first run misses (its cacheable: false
    task is BYPASSED), the second completes every cacheable task as REUSED (similarity 1, the first run's task as
    source, attempt 0, never started) with the first run's output; GetWorkflow and workflow_completed carry the
    cache summary, time saved being what the reused tasks took the first time."""
    stub = stub_for(weftd_factory(*IN_MEMORY))
    request = json_format.Parse((REPO_ROOT / "examples" / "user-auth-service.json").read_text(),
                                pb.SubmitWorkflowRequest())
    uncacheable = {t.id for t in request.tasks if t.HasField("cacheable") and not t.cacheable.value}
    cacheable = {t.id for t in request.tasks} - uncacheable
    assert uncacheable == {"integration-tests"}

    first = run(stub, request)
    assert first.outcomes == {**{t: MISS for t in cacheable}, **{t: BYPASSED for t in uncacheable}}, first.trace()
    assert first.snapshot.cache == pb.CacheSummary(missed=len(cacheable)), first.trace()

    second = run(stub, request)
    assert second.outcomes == {**{t: REUSED for t in cacheable}, **{t: BYPASSED for t in uncacheable}}, \
        second.trace()
    assert second.started == uncacheable, second.trace()
    assert not second.failures, second.trace()  # token-refresh's simulated failure is not replayed
    for tid in cacheable:
        result = second.results[tid]
        assert result.cache.similarity == 1.0, second.trace()
        assert result.cache.source_task == f"{first.id}/{tid}", second.trace()
        assert result.attempt == 0 and result.duration_ms == 0, second.trace()
        assert result.output == first.results[tid].output, second.trace()
    states = {t.task_id: t for t in second.snapshot.tasks}
    for tid in cacheable:
        assert states[tid].status == pb.TASK_STATUS_COMPLETED and states[tid].attempt == 0, second.trace()
        assert states[tid].cache.outcome == REUSED and states[tid].cache.source_task == f"{first.id}/{tid}"
    summary = second.snapshot.cache
    saved = sum(first.results[tid].duration_ms for tid in cacheable)
    assert (summary.reused, summary.adapted, summary.missed) == (len(cacheable), 0, 0), second.trace()
    assert abs(summary.time_saved_ms - saved) <= len(cacheable), (summary, saved)  # whole ms per task in events
    assert second.completed_summary == summary
    # Only the uncacheable task ran: the second run is far shorter than the first.
    assert second.events[-1].workflow_completed.duration_ms < first.events[-1].workflow_completed.duration_ms


# ---- (b) Redis: entries in Redis, a second process reuses them --------------------------------------------------


def test_redis_entries_shared_by_two_processes(redis_server: RedisServer, weftd_factory: Callable[..., WeftdProcess],
                                               stub_for: Callable[[WeftdProcess], pbg.WorkflowServiceStub]) -> None:
    """weftd A on Redis stores each successful cacheable result as `weft:cache:entry:{id}` (a hash: text,
    namespace, model id, 1536 bytes of float32 embedding, result, source) plus `weft:cache:key:{id}`, both with a
    TTL in (0, CACHE_TTL]; nothing for the cacheable: false task. weftd B, started afterwards on the same Redis,
    reuses A's results (REUSED, source A's workflow) and adapts a reworded task from A's result (its index loaded
    by SCAN); A adapts a task B stored after A started (pub/sub)."""
    flags = ("--redis-url", redis_server.url, "--cache-ttl", str(CACHE_TTL_S))
    a = weftd_factory(*flags)
    stub_a = stub_for(a)
    tag = uuid.uuid4().hex[:6]

    first = run(stub_a, user_service(tag))
    assert first.outcomes == {**{t: MISS for t in CACHEABLE}, "e2e": BYPASSED}, first.trace()

    entries = redis_server.scan("weft:cache:entry:*")
    keys = redis_server.scan("weft:cache:key:*")
    everything = redis_server.scan("weft:cache:*")
    assert len(entries) == len(CACHEABLE) and len(keys) == len(CACHEABLE), everything
    assert set(everything) == set(entries) | set(keys), everything
    assert {k.removeprefix("weft:cache:entry:") for k in entries} == {k.removeprefix("weft:cache:key:") for k in keys}
    sources = set()
    for key in entries + keys:
        ttl = int(redis_server.cli("TTL", key))
        assert 0 < ttl <= CACHE_TTL_S, f"{key}: TTL {ttl}"
    for key in entries:
        assert redis_server.cli("TYPE", key) == "hash"
        sources.add(redis_server.cli("HGET", key, "source"))
        assert redis_server.cli("HGET", key, "model_id") == "weft-hash-v1-384"
        assert redis_server.cli("HSTRLEN", key, "embedding") == "1536"  # 384 float32
        assert "c:language=python" in redis_server.cli("HGET", key, "namespace")
        created, expires = (int(redis_server.cli("HGET", key, f)) for f in ("created_ms", "expires_ms"))
        assert expires - created == CACHE_TTL_S * 1000
        source = redis_server.cli("HGET", key, "source")
        assert redis_server.cli("HGET", key, "result") == first.results[source.split("/")[1]].output
    assert sources == {f"{first.id}/{t}" for t in CACHEABLE}

    # A second process on the same Redis: A's results are reused, not re-run.
    b = weftd_factory(*flags)
    stub_b = stub_for(b)
    # B subscribes to the insert channel, then loads the index with SCAN; wait for the subscription.
    wait_for(lambda: redis_server.cli("PUBSUB", "NUMSUB", "weft:cache:inserts").split()[-1] == "2", 10,
             "both weftd processes subscribed to weft:cache:inserts")
    time.sleep(0.5)  # the SCAN load of a handful of entries (bounded slack)
    second = run(stub_b, user_service(tag))
    assert second.outcomes == {**{t: REUSED for t in CACHEABLE}, "e2e": BYPASSED}, second.trace()
    assert {tid: r.cache.source_task for tid, r in second.results.items() if tid in CACHEABLE} == \
        {t: f"{first.id}/{t}" for t in CACHEABLE}, second.trace()
    assert second.started == {"e2e"}, second.trace()
    assert second.snapshot.cache.reused == len(CACHEABLE)

    # A reworded task on B: adapted from A's result, found in B's index (loaded from Redis).
    reworded = run(stub_b, user_service(tag, login="Create user authentication endpoint"))
    login = reworded.results["login"]
    assert login.cache.outcome == ADAPTED, reworded.trace()
    assert 0.85 <= login.cache.similarity < 0.95, reworded.trace()
    assert login.cache.source_task == f"{first.id}/login", reworded.trace()
    assert login.output.endswith(f"adapted from the result of task {first.id}/login"), login.output

    # The other way: B stores a new result; A hears of it by pub/sub and adapts from it.
    on_b = run(stub_b, workflow(task("signup", "api", "Create user signup endpoint", ms=40)))
    assert on_b.outcomes == {"signup": MISS}, on_b.trace()
    wait_for(lambda: len(redis_server.scan("weft:cache:entry:*")) == len(CACHEABLE) + 2, 10,
             "B's entries in Redis")
    time.sleep(0.5)  # the insert message reaching A (bounded slack)
    on_a = run(stub_a, workflow(task("signup", "api", "Create user registration endpoint", ms=40)))
    signup = on_a.results["signup"]
    assert signup.cache.outcome in (REUSED, ADAPTED), on_a.trace()
    assert signup.cache.source_task == f"{on_b.id}/signup", on_a.trace()


# ---- (c) Redis stopped mid-run --------------------------------------------------------------------------------


def test_redis_outage_mid_run_degrades_to_misses(redis_server: RedisServer,
                                                 weftd_factory: Callable[..., WeftdProcess],
                                                 stub_for: Callable[[WeftdProcess], pbg.WorkflowServiceStub]) -> None:
    """A workflow whose later tasks are all in the cache is running when redis-server stops: those tasks are
    looked up during the outage, so they miss and run (nothing fails, nothing is served from a stale index),
    and the workflow completes. weftd stays up. After Redis is started again (empty: no persistence), a later
    submission is stored in Redis again and its resubmission is REUSED."""
    server = weftd_factory("--redis-url", redis_server.url, "--cache-ttl", str(CACHE_TTL_S))
    stub = stub_for(server)
    tag = uuid.uuid4().hex[:6]
    chain = [task(f"step{i}", "work", f"Step {i} of the {tag} pipeline: transform batch {i}",
                  *([f"step{i - 1}"] if i else []), ms=80) for i in range(5)]

    warm = run(stub, workflow(*chain))
    assert set(warm.outcomes.values()) == {MISS}, warm.trace()
    assert len(redis_server.scan("weft:cache:entry:*")) == len(chain)

    # The same chain behind a new first task: while it runs (600 ms), Redis goes away.
    gate = task("gate", "work", f"Wait for the {tag} upstream export", ms=600)
    gated = [gate] + [pb.TaskSpec() for _ in chain]
    for spec, original in zip(gated[1:], chain):
        spec.CopyFrom(original)
    gated[1].depends_on.append("gate")
    workflow_id = submit(stub, workflow(*gated))
    stopped = []

    def stop_redis_when_gate_runs(event: pb.WorkflowEvent) -> None:
        if kind(event) == "task_started" and event.task_started.task_id == "gate" and not stopped:
            redis_server.stop()
            stopped.append(time.monotonic())

    # In Redis mode WatchWorkflow is served from Redis, so a watcher waits out the outage: watch until the gate
    # starts, then follow the run through GetWorkflow (the engine's own state) until it ends.
    for event in stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=workflow_id), timeout=WATCH_TIMEOUT):
        stop_redis_when_gate_runs(event)
        if stopped:
            break
    assert stopped, "the gate task never started"
    wait_for(lambda: stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=RPC_TIMEOUT).status
             not in (pb.WORKFLOW_STATUS_PENDING, pb.WORKFLOW_STATUS_RUNNING), WATCH_TIMEOUT,
             "the workflow ends during the Redis outage")
    snapshot = stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id=workflow_id), timeout=RPC_TIMEOUT)
    trace = json_format.MessageToJson(snapshot)
    assert snapshot.status == pb.WORKFLOW_STATUS_COMPLETED, trace
    assert all(t.error == "" and t.attempt == 1 for t in snapshot.tasks), trace  # no failed attempt
    assert {t.task_id: t.cache.outcome for t in snapshot.tasks} == {t.id: MISS for t in gated}, trace
    assert {t.task_id for t in snapshot.tasks if t.started_unix_ms > 0} == {t.id for t in gated}, trace
    assert server.is_alive(), server.log_tail()
    warnings = [line for line in server.log_tail(400).splitlines() if " warning " in line and "cache" in line]
    assert warnings, f"no warning about the cache outage in the log\n{server.log_tail()}"

    # Redis back on the same port, empty. The client reconnects after its backoff (at most 5 s); until then
    # SubmitWorkflow answers UNAVAILABLE (Redis mode stores every workflow), so wait for the health to say SERVING.
    redis_server.start()
    assert redis_server.scan("weft:cache:*") == []
    with make_channel(server.address) as health_channel:
        health = health_pb2_grpc.HealthStub(health_channel)
        wait_for(lambda: health.Check(health_pb2.HealthCheckRequest(service="weft.v1.WorkflowService"),
                                      timeout=RPC_TIMEOUT).status == health_pb2.HealthCheckResponse.SERVING,
                 20, "weft.v1.WorkflowService SERVING again after Redis returned")
    deadline = time.monotonic() + 20
    attempt = 0
    while True:
        attempt += 1
        probe = workflow(task("probe", "work", f"Recovery probe {tag} number {attempt}", ms=20))
        stored = run(stub, probe)
        assert stored.outcomes == {"probe": MISS}, stored.trace()
        if redis_server.scan("weft:cache:entry:*"):
            break
        assert time.monotonic() < deadline, "no cache entry reached Redis within 20 s of its restart\n" \
                                            + server.log_tail()
        time.sleep(0.2)
    reused = run(stub, probe)
    assert reused.outcomes == {"probe": REUSED}, reused.trace()
    assert reused.results["probe"].cache.source_task == f"{stored.id}/probe"
    # And the chain is cached again once it has run after the restart.
    again = run(stub, workflow(*chain))
    assert set(again.outcomes.values()) == {MISS}, again.trace()  # Redis lost everything: nothing stale served
    last = run(stub, workflow(*chain))
    assert set(last.outcomes.values()) == {REUSED}, last.trace()

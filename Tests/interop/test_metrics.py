"""Metrics and logs of a real weftd: `--metrics-listen` serves Prometheus text at /metrics, and the counters move
while a workflow runs; `--log-format json` writes one JSON object per line with workflow_id metadata."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from typing import Callable

import grpc
import pytest

from conftest import WeftdProcess, make_channel
from weft.v1 import workflow_pb2 as pb
from weft.v1 import workflow_pb2_grpc as pbg

RPC_TIMEOUT = 10.0
WATCH_TIMEOUT = 30.0
SERVICE = "weft.v1.WorkflowService"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape(port: int) -> tuple[str, dict[str, float]]:
    """The Content-Type and every sample of /metrics, keyed by `name{labels}` with labels sorted."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                content_type = response.headers["Content-Type"]
                text = response.read().decode()
                break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        assert match, f"not a Prometheus sample line: {line!r}"
        name, labels, value = match.groups()
        pairs = sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples[name + "{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}"] = float(value)
    return content_type, samples


def sample(samples: dict[str, float], name: str, **labels: str) -> float:
    key = name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    return samples.get(key, 0.0)


def sim(task_id: str, *depends_on: str, **params: object) -> pb.TaskSpec:
    return pb.TaskSpec(id=task_id, type="work", complexity=pb.COMPLEXITY_MEDIUM, description=f"metrics task {task_id}",
                       depends_on=list(depends_on), executor="sim", input=json.dumps(params))


def run_workflow(stub: pbg.WorkflowServiceStub, *tasks: pb.TaskSpec) -> str:
    reply = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(description="metrics", tasks=list(tasks)),
                                timeout=RPC_TIMEOUT)
    for _ in stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=reply.workflow_id), timeout=WATCH_TIMEOUT):
        pass
    return reply.workflow_id


def test_metrics_move_during_a_workflow(weftd_factory: Callable[..., WeftdProcess]) -> None:
    port = free_port()
    server = weftd_factory("--metrics-listen", f"127.0.0.1:{port}", "--max-attempts", "2")
    content_type, before = scrape(port)
    assert content_type.startswith("text/plain; version=0.0.4")
    channel = make_channel(server.address)
    stub = pbg.WorkflowServiceStub(channel)
    try:
        # A running workflow is visible while it runs.
        unique = uuid.uuid4().hex
        reply = stub.SubmitWorkflow(pb.SubmitWorkflowRequest(description="slow", tasks=[
            sim("slow", duration_ms=600, output=unique)]), timeout=RPC_TIMEOUT)
        time.sleep(0.2)
        _, during = scrape(port)
        assert sample(during, "weft_workflows_running") >= 1
        assert sample(during, "grpc_server_started_total", grpc_service=SERVICE, grpc_method="SubmitWorkflow",
                      grpc_type="unary") >= 1
        for _ in stub.WatchWorkflow(pb.WatchWorkflowRequest(workflow_id=reply.workflow_id), timeout=WATCH_TIMEOUT):
            pass

        # Completed, then the same tasks again (cache reuse), then a failing workflow (a retry, then skipped).
        tasks = [sim("a", duration_ms=20, output=f"a-{unique}"), sim("b", "a", duration_ms=20, output=f"b-{unique}")]
        run_workflow(stub, *tasks)
        run_workflow(stub, *tasks)
        run_workflow(stub, sim("bad", duration_ms=10, fail_attempts=5, retryable=True),
                     sim("after", "bad", duration_ms=10))
        with pytest.raises(grpc.RpcError) as error:
            stub.GetWorkflow(pb.GetWorkflowRequest(workflow_id="no-such-workflow"), timeout=RPC_TIMEOUT)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND

        _, after = scrape(port)

        def moved(name: str, **labels: str) -> float:
            return sample(after, name, **labels) - sample(before, name, **labels)

        submit = dict(grpc_service=SERVICE, grpc_method="SubmitWorkflow", grpc_type="unary")
        watch = dict(grpc_service=SERVICE, grpc_method="WatchWorkflow", grpc_type="server_stream")
        get = dict(grpc_service=SERVICE, grpc_method="GetWorkflow", grpc_type="unary")
        assert moved("grpc_server_started_total", **submit) == 4
        assert moved("grpc_server_handled_total", **submit, grpc_code="OK") == 4
        assert moved("grpc_server_handled_total", **watch, grpc_code="OK") == 4
        assert moved("grpc_server_handled_total", **get, grpc_code="NotFound") == 1
        assert moved("grpc_server_handling_seconds_count", **submit) == 4
        assert moved("weft_workflows_total", status="completed") == 3
        assert moved("weft_workflows_total", status="failed") == 1
        assert moved("weft_tasks_total", outcome="completed") == 5
        assert moved("weft_tasks_total", outcome="failed") == 1
        assert moved("weft_tasks_total", outcome="skipped") == 1
        assert moved("weft_activity_retries_total") == 1
        assert moved("weft_cache_lookups_total", outcome="reused") >= 2
        lookups = sum(moved("weft_cache_lookups_total", outcome=o) for o in ("reused", "adapted", "miss"))
        assert lookups == 6  # one per launched task: slow, a, b, a, b, bad (a skipped task is never looked up)

        assert sample(after, "weft_workflows_running") == 0
        assert sample(after, "weft_http2_connections_open") >= 1
    finally:
        channel.close()


def test_metrics_endpoint_answers_only_metrics(weftd_factory: Callable[..., WeftdProcess]) -> None:
    port = free_port()
    weftd_factory("--metrics-listen", f"127.0.0.1:{port}")
    scrape(port)
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=5)
    assert error.value.code == 404


def test_json_logs_carry_workflow_ids(weftd_factory: Callable[..., WeftdProcess]) -> None:
    server = weftd_factory("--log-format", "json")
    channel = make_channel(server.address)
    try:
        workflow_id = run_workflow(pbg.WorkflowServiceStub(channel), sim("only", duration_ms=10, output="secret-output"))
    finally:
        channel.close()
    deadline = time.monotonic() + 5
    while True:
        lines = [line for line in server.log_path.read_text().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        finished = [r for r in records if r.get("message") == "workflow finished"]
        if finished or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for record in records:
        assert {"timestamp", "level", "label", "message", "source"} <= record.keys()
    accepted = [r for r in records if r["message"] == "workflow accepted"]
    assert [r["workflow_id"] for r in accepted] == [workflow_id]
    assert [r["workflow_id"] for r in finished] == [workflow_id]
    assert finished[0]["status"] == "completed"
    assert "secret-output" not in "\n".join(lines)

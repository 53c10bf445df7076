"""The generated Go client (clients/go) against a real weftd: grpc-go 1.33 and protobuf-go from Debian.

Builds `weft/cmd/weft-example` and the `weft/watch` test binary once, in GOPATH mode (GO111MODULE=off,
GOPATH=clients/go:/usr/share/gocode) with a temporary GOCACHE, so nothing is fetched and nothing is written to the
tree; then runs them against the shared server. Python grpcio cross-checks what the Go example printed against
the server's own history. A missing Go toolchain fails the run (scripts/setup installs it); it is not skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from conftest import REPO_ROOT
from weft.v1 import workflow_pb2 as pb
from weft.v1 import workflow_pb2_grpc as pbg

GOPATH = f"{REPO_ROOT / 'clients' / 'go'}:/usr/share/gocode"
BUILD_TIMEOUT = 600.0  # a cold build compiles grpc-go and protobuf-go: seconds here, more on a loaded machine
RUN_TIMEOUT = 60.0
EVENT_LINE = re.compile(r"^seq=(\d+) ([a-z_]+)(?: (.*))? progress=(\S+)$")
TASKS = ("fetch", "parse", "lint", "report")


@dataclass
class GoBuild:
    example: Path
    watch_tests: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def go_build(tmp_path_factory: pytest.TempPathFactory) -> GoBuild:
    """The example binary and the compiled weft/watch tests, after `go vet` of both packages."""
    go = shutil.which("go")
    if go is None:
        pytest.fail("go is not on PATH (scripts/setup installs golang-go and Debian's Go gRPC packages)")
    out = tmp_path_factory.mktemp("go-build")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO") and k != "WEFT_ADDRESS"}
    env.update(GO111MODULE="off", GOPATH=GOPATH, GOCACHE=str(out / "cache"), GOFLAGS="", GOPROXY="off",
               GOENV="off", CGO_ENABLED="0")

    def go_cmd(*args: str) -> None:
        result = subprocess.run([go, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                                timeout=BUILD_TIMEOUT)
        if result.returncode != 0:
            pytest.fail(f"go {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")

    go_cmd("build", "-o", str(out / "weft-example"), "weft/cmd/weft-example")
    go_cmd("test", "-c", "-o", str(out / "watch.test"), "weft/watch")
    go_cmd("vet", "weft/v1", "weft/watch", "weft/cmd/weft-example")
    return GoBuild(out / "weft-example", out / "watch.test", env)


@dataclass
class Event:
    sequence: int
    kind: str
    fields: str
    progress: str


@dataclass
class ExampleRun:
    code: int
    workflow_id: str
    events: list[Event]
    last_line: str
    output: str


def run_example(build: GoBuild, address: str, *args: str) -> ExampleRun:
    result = subprocess.run([str(build.example), "-address", address, *args], env=build.env,
                            capture_output=True, text=True, timeout=RUN_TIMEOUT)
    output = f"exit {result.returncode}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    lines = result.stdout.splitlines()
    first = re.fullmatch(r"submitted workflow (\S+)", lines[0]) if lines else None
    assert first, output
    events = []
    for line in lines[1:-1]:
        match = EVENT_LINE.match(line)
        assert match, f"not an event line: {line!r}\n{output}"
        events.append(Event(int(match[1]), match[2], match[3] or "", match[4]))
    return ExampleRun(result.returncode, first[1], events, lines[-1], output)


def server_history(channel: grpc.Channel, workflow_id: str) -> list[pb.WorkflowEvent]:
    return list(pbg.WorkflowServiceStub(channel).WatchWorkflow(
        pb.WatchWorkflowRequest(workflow_id=workflow_id), timeout=RUN_TIMEOUT))


def assert_matches_server(run: ExampleRun, channel: grpc.Channel) -> None:
    """Every event the Go client printed is the server's event of that sequence, and none is missing."""
    history = server_history(channel, run.workflow_id)
    assert [e.sequence for e in run.events] == list(range(1, len(history) + 1)), run.output
    assert [e.kind for e in run.events] == [h.WhichOneof("payload") for h in history], run.output
    for printed, event in zip(run.events, history):
        assert printed.progress == f"{event.progress.completed}/{event.progress.total}", run.output


def test_go_example_submits_and_watches_a_workflow_to_completion(go_build: GoBuild, weftd_address: str,
                                                                 channel: grpc.Channel) -> None:
    run = run_example(go_build, weftd_address)
    assert run.code == 0, run.output
    assert run.last_line == f"workflow {run.workflow_id} completed", run.output
    assert [e.sequence for e in run.events] == list(range(1, len(run.events) + 1)), run.output
    assert run.events[0].kind == "workflow_accepted" and "tasks=4" in run.events[0].fields, run.output
    assert run.events[-1].kind == "workflow_completed" and run.events[-1].progress == "4/4", run.output
    assert [e.kind for e in run.events].count("workflow_completed") == 1, run.output

    completed = [re.search(r"task=(\S+)", e.fields)[1] for e in run.events if e.kind == "task_completed"]
    assert sorted(completed) == sorted(TASKS), run.output
    assert completed.index("fetch") == 0 and completed.index("report") == 3, run.output
    # parse fails its first attempt and is retried after 100 ms.
    parse = [(e.kind, e.fields) for e in run.events if "task=parse " in e.fields and e.kind != "task_heartbeat"]
    assert [k for k, _ in parse] == ["task_started", "task_failed", "task_started", "task_completed"], run.output
    assert "retry_in=100ms" in parse[1][1] and "attempt=2" in parse[2][1], run.output

    assert_matches_server(run, channel)
    snapshot = pbg.WorkflowServiceStub(channel).GetWorkflow(
        pb.GetWorkflowRequest(workflow_id=run.workflow_id), timeout=10)
    assert snapshot.status == pb.WORKFLOW_STATUS_COMPLETED
    assert snapshot.last_sequence == run.events[-1].sequence
    assert {t.task_id: t.status for t in snapshot.tasks} == {t: pb.TASK_STATUS_COMPLETED for t in TASKS}


def test_go_example_exits_1_when_the_workflow_fails(go_build: GoBuild, weftd_address: str,
                                                    channel: grpc.Channel) -> None:
    run = run_example(go_build, weftd_address, "-fail")
    assert run.code == 1, run.output
    assert run.last_line == f"workflow {run.workflow_id} did not complete: workflow_failed", run.output
    assert run.events[-1].kind == "workflow_failed" and "failed=report" in run.events[-1].fields, run.output
    assert "workflow_completed" not in [e.kind for e in run.events], run.output
    report_failure = [e for e in run.events if e.kind == "task_failed" and "task=report " in e.fields]
    assert len(report_failure) == 1 and "error_type=ReportBroken" in report_failure[0].fields, run.output
    assert "final=true" in report_failure[0].fields, run.output
    assert_matches_server(run, channel)


def test_go_example_exits_2_when_no_server_answers(go_build: GoBuild) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = subprocess.run([str(go_build.example), "-address", f"127.0.0.1:{port}", "-timeout", "2s"],
                            env=go_build.env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert f"cannot connect to 127.0.0.1:{port}" in result.stderr


def test_go_watch_package_tests_pass_against_weftd(go_build: GoBuild, weftd_address: str) -> None:
    """weft/watch's go tests: line format, resume after a dropped connection (through a cutting proxy to this
    weftd), NOT_FOUND and the handler's own error not retried, a sequence gap refused."""
    result = subprocess.run([str(go_build.watch_tests), "-test.v", "-test.count=1"],
                            env={**go_build.env, "WEFT_ADDRESS": weftd_address}, cwd=go_build.watch_tests.parent,
                            capture_output=True, text=True, timeout=RUN_TIMEOUT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "--- SKIP" not in output, output
    passed = set(re.findall(r"^--- PASS: (\w+)", output, re.MULTILINE))
    assert passed == {
        "TestFollowResumesAfterTheConnectionDropsWithoutLosingOrRepeatingEvents",
        "TestFollowEndsAtOnceOnNotFound",
        "TestFollowReturnsTheHandlersErrorWithoutResuming",
        "TestFollowRefusesASequenceGap",
        "TestLineFormatsEachKindLikeTheCLI",
        "TestOnlyWorkflowEndingEventsAreTerminal",
    }, output

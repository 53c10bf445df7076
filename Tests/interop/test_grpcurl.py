"""weftd against grpcurl 1.8.6 (grpc-go client, v1alpha reflection only): list, describe, health, deadlines,
JSON calls, and prompt exit (the reflection stream must end OK when grpcurl half-closes it).

grpcurl exits 64 + the gRPC code on RPC errors: 68 DEADLINE_EXCEEDED, 69 NOT_FOUND, 76 UNIMPLEMENTED.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from weft.v1 import workflow_pb2

PROMPT_S = 5.0  # every grpcurl run here must finish within this; a hang means a reflection stream never ended
HARD_TIMEOUT_S = 30.0


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float

    def __str__(self) -> str:
        return f"exit {self.returncode} after {self.elapsed:.2f} s\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


GrpcurlRunner = Callable[..., Run]


@pytest.fixture
def grpcurl(grpcurl_bin: str, weftd_address: str) -> GrpcurlRunner:
    """Runs `grpcurl -plaintext [args before address] ADDR [args after]` against the shared server."""

    def run(*args: str, after: tuple[str, ...] = (), data: str | None = None) -> Run:
        cmd = [grpcurl_bin, "-plaintext", *args]
        if data is not None:
            cmd += ["-d", data]
        cmd += [weftd_address, *after]
        start = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=HARD_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"{cmd} did not finish within {HARD_TIMEOUT_S:.0f} s (stdout: {e.stdout!r}, stderr: {e.stderr!r})")
        return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)

    return run


def test_list_services(grpcurl: GrpcurlRunner) -> None:
    """`list` (v1alpha reflection) names every service, and grpcurl exits promptly (#70, #72, #73)."""
    run = grpcurl(after=("list",))
    assert run.returncode == 0, run
    services = set(run.stdout.split())
    assert {
        "weft.v1.WorkflowService",
        "weft.v1.WorkerService",
        "weft.testing.v1.TestService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    } <= services, run
    assert run.elapsed < PROMPT_S, run


def test_list_methods_of_service(grpcurl: GrpcurlRunner) -> None:
    """`list SERVICE` shows the service's methods as compiled into the Python stubs."""
    run = grpcurl(after=("list", "weft.v1.WorkflowService"))
    assert run.returncode == 0, run
    expected = {f"weft.v1.WorkflowService.{m.name}"
                for m in workflow_pb2.DESCRIPTOR.services_by_name["WorkflowService"].methods}
    assert set(run.stdout.split()) == expected, run


def test_describe_service(grpcurl: GrpcurlRunner) -> None:
    """`describe weft.v1.WorkflowService` prints every rpc with its types, streaming marked (#74)."""
    run = grpcurl(after=("describe", "weft.v1.WorkflowService"))
    assert run.returncode == 0, run
    assert "weft.v1.WorkflowService is a service:" in run.stdout, run
    for m in workflow_pb2.DESCRIPTOR.services_by_name["WorkflowService"].methods:
        out = f"stream .{m.output_type.full_name}" if m.server_streaming else f".{m.output_type.full_name}"
        line = f"rpc {m.name} ( .{m.input_type.full_name} ) returns ( {out} );"
        assert line in run.stdout, f"missing {line!r}\n{run}"


def test_describe_method(grpcurl: GrpcurlRunner) -> None:
    """`describe weft.v1.WorkflowService.SubmitWorkflow` resolves a method symbol (#74)."""
    run = grpcurl(after=("describe", "weft.v1.WorkflowService.SubmitWorkflow"))
    assert run.returncode == 0, run
    assert "weft.v1.WorkflowService.SubmitWorkflow is a method:" in run.stdout, run
    assert "rpc SubmitWorkflow ( .weft.v1.SubmitWorkflowRequest ) returns ( .weft.v1.SubmitWorkflowResponse );" \
        in run.stdout, run


def test_describe_message(grpcurl: GrpcurlRunner) -> None:
    """`describe weft.v1.TaskSpec` prints the message with every field, imported types resolved (#74, #75)."""
    run = grpcurl(after=("describe", "weft.v1.TaskSpec"))
    assert run.returncode == 0, run
    assert "weft.v1.TaskSpec is a message:" in run.stdout, run
    assert "message TaskSpec {" in run.stdout, run
    for field in workflow_pb2.TaskSpec.DESCRIPTOR.fields:
        assert re.search(rf"\b{field.name} = {field.number};", run.stdout), f"field {field.name} missing\n{run}"


def test_describe_everything(grpcurl: GrpcurlRunner) -> None:
    """`describe` with no symbol walks every service and all their files and dependencies over one
    reflection stream (#72, #75, #80)."""
    run = grpcurl(after=("describe",))
    assert run.returncode == 0, run
    for name in ("weft.v1.WorkflowService", "weft.v1.WorkerService", "weft.testing.v1.TestService",
                 "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"):
        assert f"{name} is a service:" in run.stdout, f"{name} missing\n{run}"
    assert run.elapsed < PROMPT_S, run


def test_health_check_serving(grpcurl: GrpcurlRunner) -> None:
    """grpcurl calls Health/Check through reflection alone and gets SERVING (#64, #80)."""
    run = grpcurl(data='{"service":""}', after=("grpc.health.v1.Health/Check",))
    assert run.returncode == 0, run
    assert json.loads(run.stdout) == {"status": "SERVING"}, run
    assert run.elapsed < PROMPT_S, run


def test_health_check_unknown_exits_69(grpcurl: GrpcurlRunner) -> None:
    """Health/Check on an unknown name exits 69 (NOT_FOUND) (#64)."""
    run = grpcurl(data='{"service":"nope.Nope"}', after=("grpc.health.v1.Health/Check",))
    assert run.returncode == 69, run
    assert "NotFound" in run.stderr, run


def test_deadline_exits_68(grpcurl: GrpcurlRunner) -> None:
    """A 2 s sleeping UnaryCall under -max-time 0.5 exits 68 (DEADLINE_EXCEEDED) without waiting out the
    sleep (#20, #45)."""
    run = grpcurl("-max-time", "0.5", data='{"sleepMs":2000}', after=("weft.testing.v1.TestService/UnaryCall",))
    assert run.returncode == 68, run
    assert run.elapsed < 1.9, run


def test_unary_call_with_json_payload(grpcurl: GrpcurlRunner) -> None:
    """A TestService UnaryCall from JSON echoes the (base64) payload."""
    run = grpcurl(data='{"payload":"aGVsbG8gd2VmdA=="}', after=("weft.testing.v1.TestService/UnaryCall",))
    assert run.returncode == 0, run
    assert json.loads(run.stdout) == {"payload": "aGVsbG8gd2VmdA=="}, run


def test_empty_call(grpcurl: GrpcurlRunner) -> None:
    """EmptyCall with `{}` (a zero-length message) returns `{}` (#25)."""
    run = grpcurl(data="{}", after=("weft.testing.v1.TestService/EmptyCall",))
    assert run.returncode == 0, run
    assert json.loads(run.stdout) == {}, run


def test_server_streaming_call(grpcurl: GrpcurlRunner) -> None:
    """StreamingOutputCall prints `count` messages and exits 0."""
    run = grpcurl(data='{"count":3,"size":3}', after=("weft.testing.v1.TestService/StreamingOutputCall",))
    assert run.returncode == 0, run
    assert run.stdout.count('"payload": "AAAA"') == 3, run


def test_status_with_message(grpcurl: GrpcurlRunner) -> None:
    """A handler status comes through as 64 + code with its message (code 9 → exit 73)."""
    run = grpcurl(data='{"responseStatus":{"code":9,"message":"not now: 50% done"}}',
                  after=("weft.testing.v1.TestService/UnaryCall",))
    assert run.returncode == 64 + 9, run
    assert "not now: 50% done" in run.stderr, run


def test_worker_poll_served(grpcurl: GrpcurlRunner) -> None:
    """WorkerService is served: PollActivity without a queue exits 67 (INVALID_ARGUMENT) naming the field; a poll
    with a 1 s client deadline (-max-time) on an idle queue answers an empty response before that deadline."""
    run = grpcurl(data="{}", after=("weft.v1.WorkerService/PollActivity",))
    assert run.returncode == 64 + 3, run
    assert "queue is empty" in run.stderr, run
    run = grpcurl("-max-time", "1", data='{"queue": "grpcurl-idle", "worker_id": "grpcurl"}',
                  after=("weft.v1.WorkerService/PollActivity",))
    assert run.returncode == 0, run
    assert "".join(run.stdout.split()) == "{}", run  # no activity


def test_workflow_method_served(grpcurl: GrpcurlRunner) -> None:
    """WorkflowService is served: ListWorkflows answers OK with JSON, GetWorkflow of an unknown id exits 69
    (NOT_FOUND) naming it."""
    run = grpcurl(data="{}", after=("weft.v1.WorkflowService/ListWorkflows",))
    assert run.returncode == 0, run
    assert isinstance(json.loads(run.stdout), dict), run
    run = grpcurl(data='{"workflowId": "wf-unknown"}', after=("weft.v1.WorkflowService/GetWorkflow",))
    assert run.returncode == 69, run
    assert "wf-unknown" in run.stderr, run


def test_binary_header_accepted(grpcurl: GrpcurlRunner) -> None:
    """A padded base64 `-bin` header (`AAEC/w==`) is accepted on a call (#22)."""
    run = grpcurl("-H", "x-data-bin: AAEC/w==", data='{"service":""}', after=("grpc.health.v1.Health/Check",))
    assert run.returncode == 0, run

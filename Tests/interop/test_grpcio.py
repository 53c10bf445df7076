"""weftd against the stock Python client (grpcio, C-core): health, reflection, the four call kinds, status
codes, deadlines, cancellation, limits, compression, metadata and graceful drain.

Numbers in docstrings (#N) refer to items of the gRPC server checklist (shared/reference/grpc-checklist.md).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from conftest import WeftdProcess, make_channel
from weft.testing.v1 import testing_pb2 as tpb
from weft.testing.v1 import testing_pb2_grpc as tgrpc
from weft.v1 import worker_pb2, workflow_pb2

MiB = 1024 * 1024
DEFAULT_MAX_MESSAGE = 4 * MiB
RPC_TIMEOUT = 10.0  # bound on every call that should succeed quickly
SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
HEALTH_NAMES = ["", "weft.v1.WorkflowService", "weft.v1.WorkerService"]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
TEST_SERVICE = "weft.testing.v1.TestService"
BIG_CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.max_send_message_length", 64 * MiB),
    ("grpc.max_receive_message_length", 64 * MiB),
]


def status_code(number: int) -> grpc.StatusCode:
    return next(c for c in grpc.StatusCode if c.value[0] == number)


def rpc_error(fn: Callable[[], object]) -> grpc.RpcError:
    """Runs fn and returns the RpcError it must raise."""
    with pytest.raises(grpc.RpcError) as info:
        fn()
    return info.value  # type: ignore[return-value]


def assert_channel_works(channel: grpc.Channel) -> None:
    """A plain unary echo succeeds on this channel."""
    reply = tgrpc.TestServiceStub(channel).UnaryCall(tpb.SimpleRequest(payload=b"still alive"), timeout=RPC_TIMEOUT)
    assert reply.payload == b"still alive"


class ClosableRequests:
    """A request iterator fed from a queue, for bidi and client-streaming calls driven step by step."""

    _END = object()

    def __init__(self) -> None:
        self._q: queue.Queue[object] = queue.Queue()

    def send(self, message: object) -> None:
        self._q.put(message)

    def close(self) -> None:
        self._q.put(self._END)

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._q.get(timeout=60)  # bounded: a stuck test fails instead of hanging the suite
            if item is self._END:
                return
            yield item


def stays_open(call: grpc.Future, seconds: float = 0.5) -> bool:
    """True if the call has not terminated within `seconds` (waits on its done callback, not a sleep)."""
    ended = threading.Event()
    call.add_done_callback(lambda _: ended.set())
    return not ended.wait(seconds)


@pytest.fixture
def stub(channel: grpc.Channel) -> tgrpc.TestServiceStub:
    return tgrpc.TestServiceStub(channel)


@pytest.fixture
def health(channel: grpc.Channel) -> health_pb2_grpc.HealthStub:
    return health_pb2_grpc.HealthStub(channel)


# ---- health (#64, #65) ------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", HEALTH_NAMES)
def test_health_check_registered_names_serving(health: health_pb2_grpc.HealthStub, service: str) -> None:
    """Check answers SERVING for "" and each registered service name (#64)."""
    reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=RPC_TIMEOUT)
    assert reply.status == SERVING


def test_health_check_unknown_is_not_found(health: health_pb2_grpc.HealthStub) -> None:
    """Check on an unregistered name fails with NOT_FOUND (#64)."""
    err = rpc_error(lambda: health.Check(health_pb2.HealthCheckRequest(service="nope.Nope"), timeout=RPC_TIMEOUT))
    assert err.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("service", HEALTH_NAMES)
def test_health_watch_sends_current_status_and_stays_open(health: health_pb2_grpc.HealthStub, service: str) -> None:
    """Watch sends the current status (SERVING) at once and keeps the stream open (#65)."""
    call = health.Watch(health_pb2.HealthCheckRequest(service=service), timeout=30)
    try:
        assert next(call).status == SERVING
        assert stays_open(call), f"Watch ended: {call.code()} {call.details()!r}"
    finally:
        call.cancel()


def test_health_watch_unknown_service_stays_open(health: health_pb2_grpc.HealthStub) -> None:
    """Watch on an unknown name sends SERVICE_UNKNOWN and does not end the stream (#65)."""
    call = health.Watch(health_pb2.HealthCheckRequest(service="nope.Nope"), timeout=30)
    try:
        assert next(call).status == SERVICE_UNKNOWN
        assert stays_open(call), f"Watch ended: {call.code()} {call.details()!r}"
    finally:
        call.cancel()


# ---- routing (#16, #41) -----------------------------------------------------------------------------------


def test_unknown_method_is_unimplemented(channel: grpc.Channel) -> None:
    """An unknown method of a known service gets UNIMPLEMENTED naming the method and service (#16)."""
    err = rpc_error(lambda: channel.unary_unary(f"/{TEST_SERVICE}/Nope")(b"", timeout=RPC_TIMEOUT))
    assert err.code() == grpc.StatusCode.UNIMPLEMENTED
    assert err.details() == f"unknown method Nope for service {TEST_SERVICE}"


def test_unknown_service_is_unimplemented(channel: grpc.Channel) -> None:
    """An unknown service gets UNIMPLEMENTED naming the service (#16)."""
    err = rpc_error(lambda: channel.unary_unary("/nope.v1.Nope/Call")(b"", timeout=RPC_TIMEOUT))
    assert err.code() == grpc.StatusCode.UNIMPLEMENTED
    assert err.details() == "unknown service nope.v1.Nope"


def _api_methods(file: Any) -> list[tuple[str, str, bool]]:
    out = []
    for service in file.services_by_name.values():
        for method in service.methods:
            out.append((service.full_name, method.name, method.server_streaming))
    return out


def _call_empty(channel: grpc.Channel, service: str, method: str, server_streaming: bool) -> grpc.RpcError:
    """Calls /service/method with an empty (all-defaults) request and returns the error it must end with."""
    path = f"/{service}/{method}"
    if server_streaming:
        return rpc_error(lambda: list(channel.unary_stream(path)(b"", timeout=RPC_TIMEOUT)))
    return rpc_error(lambda: channel.unary_unary(path)(b"", timeout=RPC_TIMEOUT))


@pytest.mark.parametrize(("service", "method", "server_streaming"), _api_methods(worker_pb2.DESCRIPTOR),
                         ids=[f"{s.rsplit('.', 1)[1]}.{m}" for s, m, _ in _api_methods(worker_pb2.DESCRIPTOR)])
def test_worker_methods_are_served(channel: grpc.Channel, service: str, method: str,
                                   server_streaming: bool) -> None:
    """Every WorkerService method is served: an empty request is INVALID_ARGUMENT naming the missing field
    (`queue` for PollActivity, `task_token` for the others), never UNIMPLEMENTED. (test_workers.py covers the
    protocol itself.)"""
    err = _call_empty(channel, service, method, server_streaming)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (err.code(), err.details())
    field = "queue" if method == "PollActivity" else "task_token"
    assert f"{field} is empty" in (err.details() or ""), err.details()


# An empty request to each WorkflowService method: the status its handler answers (none is UNIMPLEMENTED).
WORKFLOW_EMPTY_REQUEST_CODES = {
    "SubmitWorkflow": grpc.StatusCode.INVALID_ARGUMENT,  # no tasks
    "WatchWorkflow": grpc.StatusCode.INVALID_ARGUMENT,   # no workflow_id
    "GetWorkflow": grpc.StatusCode.NOT_FOUND,
    "CancelWorkflow": grpc.StatusCode.NOT_FOUND,
}


@pytest.mark.parametrize(("service", "method", "server_streaming"), _api_methods(workflow_pb2.DESCRIPTOR),
                         ids=[f"{s.rsplit('.', 1)[1]}.{m}" for s, m, _ in _api_methods(workflow_pb2.DESCRIPTOR)])
def test_workflow_methods_are_served(channel: grpc.Channel, service: str, method: str,
                                     server_streaming: bool) -> None:
    """Every WorkflowService method is served: an empty request gets its handler's answer (ListWorkflows
    succeeds, the others refuse it with INVALID_ARGUMENT or NOT_FOUND), never UNIMPLEMENTED."""
    path = f"/{service}/{method}"
    if method == "ListWorkflows":
        reply = workflow_pb2.ListWorkflowsResponse.FromString(channel.unary_unary(path)(b"", timeout=RPC_TIMEOUT))
        assert all(w.workflow_id for w in reply.workflows)
        return
    err = _call_empty(channel, service, method, server_streaming)
    assert err.code() == WORKFLOW_EMPTY_REQUEST_CODES[method], (err.code(), err.details())
    assert err.details(), "no status message"


# ---- the four call kinds (#25, #30, #87) ------------------------------------------------------------------


def test_unary_echo(stub: tgrpc.TestServiceStub) -> None:
    """UnaryCall echoes arbitrary bytes unchanged."""
    payload = bytes(range(256)) * 4
    assert stub.UnaryCall(tpb.SimpleRequest(payload=payload), timeout=RPC_TIMEOUT).payload == payload


def test_unary_response_size(stub: tgrpc.TestServiceStub) -> None:
    """UnaryCall with response_size returns that many zero bytes (INT large_unary: 271828 in, 314159 out)."""
    reply = stub.UnaryCall(tpb.SimpleRequest(payload=b"\1" * 271828, response_size=314159), timeout=RPC_TIMEOUT)
    assert reply.payload == bytes(314159)


def test_empty_messages(stub: tgrpc.TestServiceStub) -> None:
    """Zero-length request and response messages work: EmptyCall, and UnaryCall with an empty request (#25)."""
    assert stub.EmptyCall(tpb.Empty(), timeout=RPC_TIMEOUT) == tpb.Empty()
    assert stub.UnaryCall(tpb.SimpleRequest(), timeout=RPC_TIMEOUT) == tpb.SimpleResponse()


def test_server_streaming(stub: tgrpc.TestServiceStub) -> None:
    """StreamingOutputCall sends `count` messages of `size` bytes and ends OK."""
    call = stub.StreamingOutputCall(tpb.StreamingOutputRequest(count=5, size=1000), timeout=RPC_TIMEOUT)
    replies = list(call)
    assert [len(r.payload) for r in replies] == [1000] * 5
    assert call.code() == grpc.StatusCode.OK


def test_server_streaming_ends_with_requested_status(stub: tgrpc.TestServiceStub) -> None:
    """StreamingOutputCall sends its messages, then ends with response_status (status after messages)."""
    req = tpb.StreamingOutputRequest(count=3, size=8,
                                     response_status=tpb.EchoStatus(code=9, message="after three"))
    call = stub.StreamingOutputCall(req, timeout=RPC_TIMEOUT)
    received: list[tpb.SimpleResponse] = []
    err = rpc_error(lambda: received.extend(call))
    assert len(received) == 3
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert err.details() == "after three"


def test_client_streaming(stub: tgrpc.TestServiceStub) -> None:
    """StreamingInputCall sums the payload sizes of all request messages, empty ones included."""
    sizes = [1, 10, 0, 100, 27182]
    reply = stub.StreamingInputCall(iter([tpb.SimpleRequest(payload=b"x" * n) for n in sizes]), timeout=RPC_TIMEOUT)
    assert reply.aggregated_payload_size == sum(sizes)
    assert reply.message_count == len(sizes)


def test_client_streaming_no_messages(stub: tgrpc.TestServiceStub) -> None:
    """A client stream with zero messages is valid and sums to zero (#24)."""
    reply = stub.StreamingInputCall(iter([]), timeout=RPC_TIMEOUT)
    assert (reply.aggregated_payload_size, reply.message_count) == (0, 0)


def test_full_duplex_ping_pong(stub: tgrpc.TestServiceStub) -> None:
    """FullDuplexCall answers each request before the client half-closes (full duplex, #30)."""
    requests = ClosableRequests()
    call = stub.FullDuplexCall(iter(requests), timeout=RPC_TIMEOUT)
    try:
        for i in range(10):
            payload = f"ping {i}".encode() * (i + 1)
            requests.send(tpb.SimpleRequest(payload=payload))
            assert next(call).payload == payload
    finally:
        requests.close()
    assert list(call) == []
    assert call.code() == grpc.StatusCode.OK


# ---- status codes and messages (#37, #41) -----------------------------------------------------------------


def test_special_status_message_round_trips(stub: tgrpc.TestServiceStub) -> None:
    """A status message with tabs, CR/LF and non-ASCII arrives byte-exact (grpc-message percent-encoding, #37)."""
    req = tpb.SimpleRequest(response_status=tpb.EchoStatus(code=2, message=SPECIAL_MESSAGE))
    err = rpc_error(lambda: stub.UnaryCall(req, timeout=RPC_TIMEOUT))
    assert err.code() == grpc.StatusCode.UNKNOWN
    assert err.details() == SPECIAL_MESSAGE


@pytest.mark.parametrize("code", range(1, 17))
def test_status_codes_round_trip(stub: tgrpc.TestServiceStub, code: int) -> None:
    """Each non-OK status code a handler returns reaches the client with its message."""
    req = tpb.SimpleRequest(response_status=tpb.EchoStatus(code=code, message=f"status {code} 100% sure"))
    err = rpc_error(lambda: stub.UnaryCall(req, timeout=RPC_TIMEOUT))
    assert err.code() == status_code(code)
    assert err.details() == f"status {code} 100% sure"


def test_long_status_message_keeps_its_code(stub: tgrpc.TestServiceStub) -> None:
    """A 20 KB status message does not turn the call into INTERNAL: the code arrives, the message may be
    truncated (#38: keep trailers under ~8 KiB)."""
    req = tpb.SimpleRequest(response_status=tpb.EchoStatus(code=9, message="x" * 20_000))
    err = rpc_error(lambda: stub.UnaryCall(req, timeout=RPC_TIMEOUT))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION, (err.code(), (err.details() or "")[:200])
    assert (err.details() or "").startswith("xxxx")


# ---- deadlines and cancellation (#20, #45, #47) -----------------------------------------------------------


def test_deadline_exceeded_on_sleeping_server(channel: grpc.Channel, stub: tgrpc.TestServiceStub) -> None:
    """A 2 s sleep with a 0.2 s deadline fails with DEADLINE_EXCEEDED promptly; the channel stays usable (#45)."""
    start = time.monotonic()
    err = rpc_error(lambda: stub.UnaryCall(tpb.SimpleRequest(sleep_ms=2000), timeout=0.2))
    elapsed = time.monotonic() - start
    assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert elapsed < 1.0, f"took {elapsed:.2f} s"
    assert_channel_works(channel)


def test_tiny_deadline(channel: grpc.Channel, stub: tgrpc.TestServiceStub) -> None:
    """A deadline that expires in flight (0.5 ms) gives DEADLINE_EXCEEDED, and the channel stays usable (#20)."""
    for _ in range(20):
        try:
            stub.UnaryCall(tpb.SimpleRequest(sleep_ms=50), timeout=0.0005)
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        else:
            pytest.fail("a 50 ms sleep finished within a 0.5 ms deadline")
    assert_channel_works(channel)


def test_cancel_server_stream_after_first_message(channel: grpc.Channel, stub: tgrpc.TestServiceStub) -> None:
    """Cancelling a server stream after its first message ends it CANCELLED; the channel stays usable (#47)."""
    call = stub.StreamingOutputCall(tpb.StreamingOutputRequest(count=1000, size=16, interval_us=10_000), timeout=30)
    assert len(next(call).payload) == 16
    call.cancel()
    err = rpc_error(lambda: [None for _ in call])
    assert err.code() == grpc.StatusCode.CANCELLED
    assert_channel_works(channel)


def test_cancel_sleeping_unary_calls(channel: grpc.Channel, stub: tgrpc.TestServiceStub) -> None:
    """Many unary calls cancelled while the server sleeps leave the channel and server responsive (#47)."""
    futures = [stub.UnaryCall.future(tpb.SimpleRequest(sleep_ms=5000), timeout=30) for _ in range(20)]
    for f in futures:
        f.cancel()
    for f in futures:
        assert f.cancelled() or f.exception(timeout=RPC_TIMEOUT).code() == grpc.StatusCode.CANCELLED
    assert_channel_works(channel)


# ---- limits (#27, #28) ------------------------------------------------------------------------------------


def test_message_over_max_is_resource_exhausted(weftd_address: str) -> None:
    """A request of 4 MiB + 1 byte of payload gets RESOURCE_EXHAUSTED naming both sizes; the next call works (#27)."""
    ch = make_channel(weftd_address, BIG_CHANNEL_OPTIONS)
    try:
        stub = tgrpc.TestServiceStub(ch)
        req = tpb.SimpleRequest(payload=bytes(DEFAULT_MAX_MESSAGE + 1))
        err = rpc_error(lambda: stub.UnaryCall(req, timeout=30))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert f"larger than max ({req.ByteSize()} vs. {DEFAULT_MAX_MESSAGE})" in err.details(), err.details()
        assert_channel_works(ch)
    finally:
        ch.close()


def test_message_just_under_max_is_accepted(weftd_address: str) -> None:
    """A 4 MiB - 64 byte payload (a message under the 4 MiB limit) is echoed in full (#27)."""
    ch = make_channel(weftd_address, BIG_CHANNEL_OPTIONS)
    try:
        req = tpb.SimpleRequest(payload=bytes(range(256)) * ((DEFAULT_MAX_MESSAGE - 64) // 256))
        assert req.ByteSize() <= DEFAULT_MAX_MESSAGE
        reply = tgrpc.TestServiceStub(ch).UnaryCall(req, timeout=30)
        assert reply.payload == req.payload
    finally:
        ch.close()


def test_max_message_size_flag(weftd_factory: Callable[..., WeftdProcess]) -> None:
    """--max-message-size sets the receive limit: 1 KiB passes, 2 KiB gets RESOURCE_EXHAUSTED (N vs. 1500)."""
    server = weftd_factory("--max-message-size", "1500")
    ch = make_channel(server.address)
    try:
        stub = tgrpc.TestServiceStub(ch)
        assert len(stub.UnaryCall(tpb.SimpleRequest(payload=bytes(1024)), timeout=RPC_TIMEOUT).payload) == 1024
        req = tpb.SimpleRequest(payload=bytes(2048))
        err = rpc_error(lambda: stub.UnaryCall(req, timeout=RPC_TIMEOUT))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert f"({req.ByteSize()} vs. 1500)" in err.details(), err.details()
        assert_channel_works(ch)
    finally:
        ch.close()


def test_unparseable_request_is_internal(channel: grpc.Channel) -> None:
    """Request bytes that are not a valid SimpleRequest get INTERNAL; the channel stays usable (#28)."""
    raw = channel.unary_unary(f"/{TEST_SERVICE}/UnaryCall")
    err = rpc_error(lambda: raw(b"\x0a\xff", timeout=5))
    assert err.code() == grpc.StatusCode.INTERNAL
    assert_channel_works(channel)


# ---- flow control (#49, #51) ------------------------------------------------------------------------------


def test_slow_reader_does_not_block_other_calls(channel: grpc.Channel, stub: tgrpc.TestServiceStub) -> None:
    """An unread server stream does not stall 100 concurrent unary calls on the same channel (#51)."""
    big = stub.StreamingOutputCall(tpb.StreamingOutputRequest(count=100_000, size=1024), timeout=60)
    try:
        assert len(next(big).payload) == 1024  # then stop reading
        start = time.monotonic()
        deadline = start + 5.0
        futures = [stub.UnaryCall.future(tpb.SimpleRequest(payload=f"{i}".encode()), timeout=10) for i in range(100)]
        for i, f in enumerate(futures):
            assert f.result(timeout=max(0.01, deadline - time.monotonic())).payload == f"{i}".encode()
        assert time.monotonic() - start < 5.0
    finally:
        big.cancel()
    assert_channel_works(channel)


def test_unread_stream_memory_is_bounded(fresh_weftd: WeftdProcess) -> None:
    """A 640 MiB server stream the client stops reading keeps server RSS within 64 MiB of its start, then
    drains completely and ends OK when read (back-pressure, #49)."""
    ch = make_channel(fresh_weftd.address, BIG_CHANNEL_OPTIONS)
    count, size = 20_000, 32 * 1024
    try:
        call = tgrpc.TestServiceStub(ch).StreamingOutputCall(tpb.StreamingOutputRequest(count=count, size=size),
                                                             timeout=120)
        assert len(next(call).payload) == size
        baseline = fresh_weftd.rss_kib()
        peak = baseline
        # Nothing to wait for here: the point is that nothing happens. Watch RSS for 2 s.
        watch_until = time.monotonic() + 2.0
        tick = threading.Event()
        while time.monotonic() < watch_until:
            peak = max(peak, fresh_weftd.rss_kib())
            if peak - baseline > 64 * 1024:
                break
            tick.wait(0.05)
        assert peak - baseline <= 64 * 1024, f"RSS grew from {baseline} KiB to {peak} KiB while the client read nothing"
        received = 1 + sum(1 for _ in call)
        assert received == count
        assert call.code() == grpc.StatusCode.OK
    finally:
        ch.close()


# ---- compression (#61, #62) -------------------------------------------------------------------------------


def test_gzip_request(stub: tgrpc.TestServiceStub) -> None:
    """A gzip-compressed request (grpc-encoding: gzip, compressed flag 1) is decompressed and echoed (#61)."""
    payload = b"compressible " * 10_000
    reply = stub.UnaryCall(tpb.SimpleRequest(payload=payload), timeout=RPC_TIMEOUT,
                           compression=grpc.Compression.Gzip)
    assert reply.payload == payload


def test_gzip_client_stream_each_message(stub: tgrpc.TestServiceStub) -> None:
    """Each gzip message of a client stream is decompressed on its own (no shared context, #62)."""
    payloads = [b"a" * 10_000, b"b" * 20_000, b"abc" * 5_000]
    reply = stub.StreamingInputCall(iter([tpb.SimpleRequest(payload=p) for p in payloads]), timeout=RPC_TIMEOUT,
                                    compression=grpc.Compression.Gzip)
    assert reply.aggregated_payload_size == sum(map(len, payloads))
    assert reply.message_count == 3


def test_deflate_request_works_or_is_unimplemented(channel: grpc.Channel, stub: tgrpc.TestServiceStub) -> None:
    """deflate is optional: it either round-trips or is refused with UNIMPLEMENTED, never anything else (#61)."""
    payload = b"deflate me " * 10_000
    try:
        reply = stub.UnaryCall(tpb.SimpleRequest(payload=payload), timeout=RPC_TIMEOUT,
                               compression=grpc.Compression.Deflate)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.UNIMPLEMENTED, (e.code(), e.details())
    else:
        assert reply.payload == payload
    assert_channel_works(channel)


# ---- metadata (#21, #22, #23) -----------------------------------------------------------------------------


def test_oversized_metadata_fails_that_call_only(channel: grpc.Channel, stub: tgrpc.TestServiceStub) -> None:
    """A 20 KiB metadata value makes that call fail; the next call on the channel succeeds (#23)."""
    err = rpc_error(lambda: stub.EmptyCall(tpb.Empty(), metadata=(("x-big", "a" * 20 * 1024),), timeout=RPC_TIMEOUT))
    assert err.code() != grpc.StatusCode.OK
    assert stub.EmptyCall(tpb.Empty(), timeout=RPC_TIMEOUT) == tpb.Empty()
    assert_channel_works(channel)


def test_binary_and_ascii_metadata_accepted(stub: tgrpc.TestServiceStub) -> None:
    """Custom ASCII metadata and -bin metadata (arbitrary bytes) are accepted (#21, #22)."""
    metadata = (
        ("x-data-bin", b"\x00\x01\x02\xff"),
        ("x-other-bin", b""),
        ("x-custom", "value with spaces ~!@#"),
    )
    assert stub.EmptyCall(tpb.Empty(), metadata=metadata, timeout=RPC_TIMEOUT) == tpb.Empty()


# ---- reflection (#70-#80) ---------------------------------------------------------------------------------


class _DefaultTimeout(grpc.UnaryUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Puts a deadline on calls made without one (the reflection client sets none)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def _with_timeout(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        if details.timeout is not None:
            return details

        class Details(grpc.ClientCallDetails):
            pass

        d = Details()
        d.method, d.metadata, d.credentials = details.method, details.metadata, details.credentials
        d.wait_for_ready, d.compression, d.timeout = details.wait_for_ready, details.compression, self.seconds
        return d

    def intercept_unary_unary(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._with_timeout(details), request)

    def intercept_stream_stream(self, continuation, details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(self._with_timeout(details), request_iterator)


@pytest.fixture
def reflection_db(channel: grpc.Channel) -> ProtoReflectionDescriptorDatabase:
    return ProtoReflectionDescriptorDatabase(grpc.intercept_channel(channel, _DefaultTimeout(RPC_TIMEOUT)))


def test_reflection_lists_services(reflection_db: ProtoReflectionDescriptorDatabase) -> None:
    """list_services names every service, health and both reflection versions included (#70, #73)."""
    services = set(reflection_db.get_services())
    assert {
        "weft.v1.WorkflowService",
        "weft.v1.WorkerService",
        TEST_SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    } <= services


def test_reflection_descriptor_pool(reflection_db: ProtoReflectionDescriptorDatabase) -> None:
    """A DescriptorPool fed by reflection rebuilds WorkflowService and TaskSpec as compiled, and raises KeyError
    for an unknown symbol (#74, #75, #76, #79)."""
    pool = DescriptorPool(reflection_db)
    service = pool.FindServiceByName("weft.v1.WorkflowService")
    local = workflow_pb2.DESCRIPTOR.services_by_name["WorkflowService"]
    assert [(m.name, m.input_type.full_name, m.output_type.full_name, m.server_streaming) for m in service.methods] == [
        (m.name, m.input_type.full_name, m.output_type.full_name, m.server_streaming) for m in local.methods]
    task = pool.FindMessageTypeByName("weft.v1.TaskSpec")
    assert [(f.name, f.number) for f in task.fields] == [
        (f.name, f.number) for f in workflow_pb2.TaskSpec.DESCRIPTOR.fields]
    with pytest.raises(KeyError):
        pool.FindMessageTypeByName("nope.X")
    # The stream for a failed lookup answered NOT_FOUND; later lookups still work.
    assert pool.FindServiceByName("weft.v1.WorkerService").methods_by_name["PollActivity"]


def _symbols() -> list[tuple[str, str]]:
    return [
        ("weft.v1.WorkflowService", "weft/v1/workflow.proto"),
        ("weft.v1.WorkflowService.SubmitWorkflow", "weft/v1/workflow.proto"),  # a method
        ("weft.v1.TaskSpec", "weft/v1/workflow.proto"),
        ("weft.v1.SubmitWorkflowRequest.ConstraintsEntry", "weft/v1/workflow.proto"),  # nested (map entry)
        ("weft.v1.TaskSpec.depends_on", "weft/v1/workflow.proto"),  # a field
        ("weft.v1.Complexity", "weft/v1/workflow.proto"),  # an enum
        ("weft.v1.COMPLEXITY_SIMPLE", "weft/v1/workflow.proto"),  # an enum value
        ("weft.v1.WorkerService.PollActivity", "weft/v1/worker.proto"),
        (TEST_SERVICE, "weft/testing/v1/testing.proto"),
        ("grpc.health.v1.Health", "grpc/health/v1/health.proto"),
        ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
        ("grpc.reflection.v1alpha.ServerReflection", "grpc/reflection/v1alpha/reflection.proto"),
        ("grpc.reflection.v1.ServerReflection", "grpc/reflection/v1/reflection.proto"),
    ]


@pytest.mark.parametrize(("symbol", "file_name"), _symbols(), ids=[s for s, _ in _symbols()])
def test_reflection_file_containing_symbol(channel: grpc.Channel, symbol: str, file_name: str) -> None:
    """file_containing_symbol resolves services, methods, messages, nested types, fields, enums and enum values
    to their file, which comes first in the response (#74)."""
    responses = _reflect(channel, "grpc.reflection.v1alpha", [reflection_pb2.ServerReflectionRequest(
        file_containing_symbol=symbol)])
    assert responses[0].WhichOneof("message_response") == "file_descriptor_response", responses[0]
    files = responses[0].file_descriptor_response.file_descriptor_proto
    assert descriptor_pb2.FileDescriptorProto.FromString(files[0]).name == file_name


def test_reflection_serves_every_dependency(reflection_db: ProtoReflectionDescriptorDatabase) -> None:
    """file_by_filename serves each file the weft protos import, under its exact name (#75)."""
    deps = {d.name for f in (workflow_pb2.DESCRIPTOR, worker_pb2.DESCRIPTOR, tpb.DESCRIPTOR) for d in f.dependencies}
    for name in sorted(deps | {"weft/v1/workflow.proto", "weft/v1/worker.proto", "weft/testing/v1/testing.proto"}):
        assert reflection_db.FindFileByName(name).name == name


def _reflect(channel: grpc.Channel, package: str, requests: list[reflection_pb2.ServerReflectionRequest],
             ) -> list[reflection_pb2.ServerReflectionResponse]:
    """One reflection stream (v1alpha or v1: the messages are identical), sending each request only after the
    previous answer arrived, then half-closing; returns the answers and requires the stream to end OK."""
    method = channel.stream_stream(
        f"/{package}.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    requests_q = ClosableRequests()
    call = method(iter(requests_q), timeout=RPC_TIMEOUT)
    answers = []
    try:
        for req in requests:
            requests_q.send(req)
            answers.append(next(call))
    finally:
        requests_q.close()
    rest = list(call)
    assert rest == [], f"unexpected extra responses: {rest}"
    assert call.code() == grpc.StatusCode.OK
    return answers


@pytest.mark.parametrize("package", ["grpc.reflection.v1alpha", "grpc.reflection.v1"])
def test_reflection_stream_answers_in_order_and_ends_on_half_close(channel: grpc.Channel, package: str) -> None:
    """Both reflection versions answer each request on one stream in order, keep the stream open after a
    NOT_FOUND error_response, and end OK when the client half-closes (#70, #72, #76)."""
    R = reflection_pb2.ServerReflectionRequest
    answers = _reflect(channel, package, [
        R(list_services=""),
        R(file_by_filename="nope/missing.proto"),
        R(file_containing_symbol="nope.Missing"),
        R(file_by_filename="weft/testing/v1/testing.proto"),
    ])
    assert answers[0].WhichOneof("message_response") == "list_services_response"
    assert TEST_SERVICE in {s.name for s in answers[0].list_services_response.service}
    for a in answers[1:3]:
        assert a.WhichOneof("message_response") == "error_response", a
        assert a.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
    assert answers[3].WhichOneof("message_response") == "file_descriptor_response"
    first = descriptor_pb2.FileDescriptorProto.FromString(answers[3].file_descriptor_response.file_descriptor_proto[0])
    assert first.name == "weft/testing/v1/testing.proto"


def test_reflection_empty_request_is_invalid_argument(channel: grpc.Channel) -> None:
    """A reflection request with no message_request ends the stream with INVALID_ARGUMENT (#76)."""
    method = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    err = rpc_error(lambda: list(method(iter([reflection_pb2.ServerReflectionRequest(host="x")]),
                                        timeout=RPC_TIMEOUT)))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


# ---- graceful drain (#53, #65, #82) -----------------------------------------------------------------------


def test_sigterm_drains_gracefully(fresh_weftd: WeftdProcess) -> None:
    """On SIGTERM, Watch streams see NOT_SERVING, a server stream started before it completes OK, and the
    process exits 0 (#53, #65, #82)."""
    ch = make_channel(fresh_weftd.address)
    health = health_pb2_grpc.HealthStub(ch)
    watches = [health.Watch(health_pb2.HealthCheckRequest(service=name), timeout=30) for name in HEALTH_NAMES]
    try:
        for w in watches:
            assert next(w).status == SERVING
        count = 20
        stream = tgrpc.TestServiceStub(ch).StreamingOutputCall(
            tpb.StreamingOutputRequest(count=count, size=16, interval_us=100_000), timeout=30)
        assert len(next(stream).payload) == 16
        fresh_weftd.sigterm()
        for w in watches:
            assert next(w).status == NOT_SERVING
            w.cancel()  # a Watch never ends on its own; leaving it would hold the drain until --drain-grace
        rest = list(stream)
        assert len(rest) == count - 1
        assert stream.code() == grpc.StatusCode.OK
        code = fresh_weftd.wait_exit(20)
        assert code == 0, f"exit code {code} (None = still running)\n{fresh_weftd.log_tail()}"
    finally:
        for w in watches:
            w.cancel()
        ch.close()


def test_drain_delay_keeps_serving_while_not_serving(weftd_factory: Callable[..., WeftdProcess]) -> None:
    """With --drain-delay 3, after SIGTERM the server still answers (health Check says NOT_SERVING, new
    connections get RPCs served) until the delay ends; then it exits 0 (#82)."""
    server = weftd_factory("--drain-delay", "3")
    ch = make_channel(server.address)
    try:
        health = health_pb2_grpc.HealthStub(ch)
        watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
        assert next(watch).status == SERVING
        signalled = time.monotonic()
        server.sigterm()
        assert next(watch).status == NOT_SERVING
        watch.cancel()
        assert health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2).status == NOT_SERVING
        late = make_channel(server.address)  # a connection opened during the delay is still served
        try:
            assert tgrpc.TestServiceStub(late).EmptyCall(tpb.Empty(), timeout=2) == tpb.Empty()
        finally:
            late.close()
        assert time.monotonic() - signalled < 3.0, "checks overran the drain delay; the test proves nothing"
        code = server.wait_exit(20)
        assert code == 0, f"exit code {code} (None = still running)\n{server.log_tail()}"
    finally:
        ch.close()

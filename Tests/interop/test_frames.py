"""weftd at the HTTP/2 frame level: connection preface and SETTINGS, response frame shapes, Trailers-Only,
lenient request headers, gRPC message framing, grpc-timeout parsing, compression errors, non-HTTP/2 input,
rapid-reset floods, oversized headers and the GOAWAY drain sequence.

Raw frames go through `h2raw.RawH2` (hyperframe + hpack, the h2 project's layers); a few checks also run
Debian's `nghttp -v`. Numbers (#N) refer to the gRPC server checklist. Only 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import gzip
import re
import shutil
import socket
import struct
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import WeftdProcess
from hyperframe.frame import ContinuationFrame, HeadersFrame, PingFrame

from h2raw import (
    CANCEL,
    MAX_STREAM_ID,
    NO_ERROR,
    PROTOCOL_ERROR,
    REFUSED_STREAM,
    SETTINGS_MAX_CONCURRENT_STREAMS,
    SETTINGS_MAX_HEADER_LIST_SIZE,
    ConnectionClosed,
    RawH2,
    StreamResult,
    encode_rst,
    grpc_frame,
)
from weft.testing.v1 import testing_pb2 as tpb

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
TS = "/weft.testing.v1.TestService"
SERVING_BYTES = b"\x08\x01"  # HealthCheckResponse{status: SERVING}
DEFAULT_MAX_CONCURRENT_STREAMS = 1000
DEFAULT_MAX_HEADER_LIST_SIZE = 16384
MAX_MESSAGE = 4 * 1024 * 1024


@pytest.fixture
def conn(weftd_address: str) -> Iterator[RawH2]:
    """A raw HTTP/2 connection to the shared server, preface and SETTINGS sent."""
    c = RawH2(weftd_address)
    yield c
    c.close()


def unary(payload: bytes = b"", **fields: object) -> bytes:
    """A framed SimpleRequest."""
    return grpc_frame(tpb.SimpleRequest(payload=payload, **fields).SerializeToString())  # type: ignore[arg-type]


def assert_ok(result: StreamResult) -> None:
    assert result.header(":status") == "200", result.describe()
    assert result.grpc_status == "0", result.describe()


def assert_grpc_error(result: StreamResult, code: int) -> None:
    """The stream ended with grpc-status `code` (in trailers or a Trailers-Only response)."""
    assert result.reset_code is None, f"stream reset ({result.reset_code}) instead of grpc-status {code}: " \
                                      f"{result.describe()}"
    assert result.grpc_status == str(code), result.describe()


def assert_health_ok(c: RawH2) -> None:
    """A Health Check on this connection succeeds (the connection still works)."""
    r = c.call(HEALTH_CHECK, grpc_frame(b""))
    assert_ok(r)
    assert r.messages() == [SERVING_BYTES], r.describe()


def echo_payload(result: StreamResult) -> bytes:
    messages = result.messages()
    assert len(messages) == 1, result.describe()
    return tpb.SimpleResponse.FromString(messages[0]).payload


# ---- connection setup (#1, #2, #3, #5) --------------------------------------------------------------------


def test_first_frame_is_settings_with_finite_limits(weftd_address: str) -> None:
    """The server's first frame is a non-ACK SETTINGS advertising MAX_CONCURRENT_STREAMS 1000 and
    MAX_HEADER_LIST_SIZE 16384, the defaults (#2, #3, #5)."""
    with RawH2(weftd_address) as c:
        first = c.first_frame(timeout=5)
        assert first.kind == "SETTINGS" and "ACK" not in first.flags, first.describe()
        settings = first.frame.settings  # type: ignore[attr-defined]
        assert settings.get(SETTINGS_MAX_CONCURRENT_STREAMS) == DEFAULT_MAX_CONCURRENT_STREAMS, settings
        assert settings.get(SETTINGS_MAX_HEADER_LIST_SIZE) == DEFAULT_MAX_HEADER_LIST_SIZE, settings


def test_settings_follow_flags(weftd_factory: Callable[..., WeftdProcess]) -> None:
    """--max-concurrent-streams and --max-header-list-size are what the server advertises."""
    server = weftd_factory("--max-concurrent-streams", "7", "--max-header-list-size", "8192")
    with RawH2(server.address) as c:
        first = c.first_frame(timeout=5)
        assert first.kind == "SETTINGS", first.describe()
        settings = first.frame.settings  # type: ignore[attr-defined]
        assert settings.get(SETTINGS_MAX_CONCURRENT_STREAMS) == 7, settings
        assert settings.get(SETTINGS_MAX_HEADER_LIST_SIZE) == 8192, settings


# ---- response shapes (#31, #32, #35, #68) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (f"{TS}/UnaryCall", unary(b"hello"), [tpb.SimpleResponse(payload=b"hello").SerializeToString()]),
        (f"{TS}/EmptyCall", grpc_frame(b""), [b""]),
        (HEALTH_CHECK, grpc_frame(b""), [SERVING_BYTES]),
        (f"{TS}/StreamingOutputCall", grpc_frame(tpb.StreamingOutputRequest(count=3, size=2).SerializeToString()),
         [tpb.SimpleResponse(payload=b"\0\0").SerializeToString()] * 3),
        # Large bodies: trailers must not overtake queued DATA (the nghttp2 ordering trap, #33).
        (f"{TS}/UnaryCall", unary(response_size=1024 * 1024),
         [tpb.SimpleResponse(payload=bytes(1024 * 1024)).SerializeToString()]),
        (f"{TS}/StreamingOutputCall",
         grpc_frame(tpb.StreamingOutputRequest(count=20, size=64 * 1024).SerializeToString()),
         [tpb.SimpleResponse(payload=bytes(64 * 1024)).SerializeToString()] * 20),
    ],
    ids=["unary", "empty", "health", "server-stream", "unary-1MiB", "server-stream-20x64KiB"],
)
def test_response_is_headers_data_trailers(conn: RawH2, path: str, body: bytes, expected: list[bytes]) -> None:
    """A successful response is HEADERS (no END_STREAM), DATA frames none of which has END_STREAM, then a
    trailers HEADERS with END_STREAM and grpc-status 0; messages uncompressed (#31, #32, #68)."""
    r = conn.call(path, body)
    kinds = [f.kind for f in r.frames]
    assert kinds[0] == "HEADERS" and not r.frames[0].end_stream, r.describe()
    assert r.header(":status") == "200", r.describe()
    assert (r.header("content-type") or "").startswith("application/grpc"), r.describe()
    assert kinds[-1] == "HEADERS" and r.frames[-1].end_stream, r.describe()
    assert kinds[1:-1] and set(kinds[1:-1]) == {"DATA"}, r.describe()
    assert not any(f.end_stream for f in r.frames if f.kind == "DATA"), f"END_STREAM on DATA: {r.describe()}"
    assert r.trailer("grpc-status") == "0", r.describe()
    assert r.messages() == expected


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        (f"{TS}/Nope", "Nope"),
        ("/nope.v1.Nope/Call", "nope.v1.Nope"),
        (f"{TS}", None),  # malformed: no method part
        (f"{TS}/emptycall", "emptycall"),  # matching is case-sensitive
        ("/weft.testing.v1.testservice/EmptyCall", "weft.testing.v1.testservice"),
    ],
    ids=["unknown-method", "unknown-service", "malformed-path", "method-case", "service-case"],
)
def test_unimplemented_is_trailers_only(conn: RawH2, path: str, needle: str | None) -> None:
    """Unknown or malformed paths get a Trailers-Only response: one HEADERS frame with END_STREAM holding
    :status 200, content-type application/grpc*, grpc-status 12 and a grpc-message (#16, #35)."""
    r = conn.call(path, grpc_frame(b""))
    assert r.trailers_only, f"not Trailers-Only: {r.describe()}"
    assert r.header(":status") == "200", r.describe()
    assert (r.header("content-type") or "").startswith("application/grpc"), r.describe()
    assert r.header("grpc-status") == "12", r.describe()
    if needle is not None:
        assert needle in (r.header("grpc-message") or ""), r.describe()
    assert_health_ok(conn)


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        (f"{TS}/Nope", None, 12),
        (f"{TS}/UnaryCall", struct.pack(">BI", 0, MAX_MESSAGE + 1) + bytes(1000), 8),
    ],
    ids=["unknown-method", "message-too-large"],
)
def test_early_server_closure_resets_with_no_error(conn: RawH2, path: str, body: bytes | None, code: int) -> None:
    """When the server answers before the client's END_STREAM (an error while the client is still
    uploading), it ends with trailers and then RST_STREAM(NO_ERROR), freeing the stream (#36)."""
    sid = conn.start_request(path, body, end_stream=False)
    r = conn.wait_stream(sid)
    assert_grpc_error(r, code)
    assert conn.wait_for(lambda: r.reset_after_end is not None, timeout=5), f"no RST_STREAM: {r.describe()}"
    assert r.reset_after_end == NO_ERROR, r.describe()
    assert_health_ok(conn)


def test_grpc_message_is_percent_encoded_ascii(conn: RawH2) -> None:
    """grpc-message on the wire is printable ASCII (percent-encoded UTF-8) that decodes to the handler's
    message exactly (#37, #40, #83)."""
    message = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n 100%"
    r = conn.call(f"{TS}/UnaryCall", grpc_frame(tpb.SimpleRequest(
        response_status=tpb.EchoStatus(code=3, message=message)).SerializeToString()))
    assert_grpc_error(r, 3)
    raw = r.grpc_message or ""
    assert all(0x20 <= ord(ch) <= 0x7E for ch in raw), f"non-printable or non-ASCII grpc-message: {raw!r}"
    assert urllib.parse.unquote(raw, encoding="utf-8", errors="strict") == message, raw


# ---- request headers (#17, #19, #24) ----------------------------------------------------------------------


def test_request_without_te_trailers_succeeds(conn: RawH2) -> None:
    """A request without `te: trailers` (as Envoy may forward it) is served normally (#19)."""
    r = conn.call(f"{TS}/UnaryCall", unary(b"no te"), te=False)
    assert_ok(r)
    assert echo_payload(r) == b"no te"


def test_get_is_rejected(conn: RawH2) -> None:
    """A GET to a gRPC path is not served as a successful RPC (405 or a reset or a gRPC error); the
    connection stays usable (#17)."""
    sid = conn.start_request(HEALTH_CHECK, None, method="GET", end_stream=True)
    r = conn.wait_stream(sid)
    succeeded = r.reset_code is None and r.header(":status") == "200" and r.grpc_status == "0"
    assert not succeeded, f"GET was served as OK: {r.describe()}"
    if r.reset_code is None and r.header(":status") != "200":
        assert r.header(":status") == "405", r.describe()
    assert_health_ok(conn)


@pytest.mark.parametrize(
    "bad",
    [("connection", "keep-alive"), ("transfer-encoding", "chunked"), ("upgrade", "h2c"), ("te", "gzip"),
     ("X-Upper-Case", "v")],
    ids=["connection", "transfer-encoding", "upgrade", "te-gzip", "uppercase-name"],
)
def test_malformed_http2_requests_are_reset(conn: RawH2, bad: tuple[str, str]) -> None:
    """nghttp2's HTTP messaging checks are on: connection-specific headers, a `te` other than trailers and
    uppercase names get the stream reset, and the connection keeps working (#13)."""
    r = conn.call(HEALTH_CHECK, grpc_frame(b""), te=False, extra=[bad])
    served = r.reset_code is None and r.grpc_status == "0"
    assert not served, f"request with {bad} was served: {r.describe()}"
    assert_health_ok(conn)


def test_end_stream_on_headers_for_client_stream(conn: RawH2) -> None:
    """END_STREAM on the request HEADERS (zero messages) is accepted: StreamingInputCall sums to 0 (#24)."""
    sid = conn.start_request(f"{TS}/StreamingInputCall", None, end_stream=True)
    r = conn.wait_stream(sid)
    assert_ok(r)
    reply = tpb.StreamingInputResponse.FromString(r.messages()[0])
    assert (reply.aggregated_payload_size, reply.message_count) == (0, 0)


# ---- message framing (#25, #26) ---------------------------------------------------------------------------


def test_zero_length_message(conn: RawH2) -> None:
    """The 5-byte zero-length message `00 00 00 00 00` is a valid EmptyCall request (#25)."""
    r = conn.call(f"{TS}/EmptyCall", b"\0\0\0\0\0")
    assert_ok(r)
    assert r.messages() == [b""]


def test_length_prefix_split_across_data_frames(conn: RawH2) -> None:
    """A length prefix split over two DATA frames is reassembled (#25)."""
    msg = unary(b"split prefix")
    sid = conn.start_request(f"{TS}/UnaryCall", msg[:3], end_stream=False)
    conn.send_data(sid, msg[3:], end_stream=True)
    r = conn.wait_stream(sid)
    assert_ok(r)
    assert echo_payload(r) == b"split prefix"


def test_message_spanning_many_data_frames(conn: RawH2) -> None:
    """A 100 KiB message sent in 1000-byte DATA frames is reassembled (#25)."""
    payload = bytes(range(256)) * 400
    sid = conn.start_request(f"{TS}/UnaryCall", None, end_stream=False)
    conn.send_data(sid, unary(payload), end_stream=True, frame_size=1000)
    r = conn.wait_stream(sid)
    assert_ok(r)
    assert echo_payload(r) == payload


def test_two_messages_in_one_data_frame_then_empty_end_stream(conn: RawH2) -> None:
    """Two messages in one DATA frame both count, and END_STREAM on a trailing empty DATA frame ends the
    client stream (#24, #25)."""
    sid = conn.start_request(f"{TS}/StreamingInputCall", unary(b"abc") + unary(b"defg"), end_stream=False)
    conn.send_data(sid, b"", end_stream=True)
    r = conn.wait_stream(sid)
    assert_ok(r)
    reply = tpb.StreamingInputResponse.FromString(r.messages()[0])
    assert (reply.aggregated_payload_size, reply.message_count) == (7, 2)


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        (grpc_frame(tpb.SimpleRequest(payload=b"x").SerializeToString(), compressed=1), []),
        (grpc_frame(tpb.SimpleRequest(payload=b"x").SerializeToString(), compressed=1), [("grpc-encoding", "identity")]),
        (grpc_frame(tpb.SimpleRequest(payload=b"x").SerializeToString(), compressed=2), []),
        (struct.pack(">BI", 0, 10) + b"abc", []),  # END_STREAM 3 bytes into a 10-byte message
        (b"\0\0\0", []),  # END_STREAM inside the length prefix
    ],
    ids=["flag1-no-encoding", "flag1-identity", "flag2", "eos-mid-message", "eos-mid-prefix"],
)
def test_malformed_framing_is_internal(conn: RawH2, body: bytes, extra: list[tuple[str, str]]) -> None:
    """Bad framing gets INTERNAL: compressed flag without an encoding, an unknown flag value, END_STREAM in
    the middle of a message; the connection keeps working (#26)."""
    r = conn.call(f"{TS}/UnaryCall", body, extra=extra)
    assert_grpc_error(r, 13)
    assert_health_ok(conn)


# ---- compression (#61, #62, #27) --------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "identity"], ids=["no-accept-encoding", "accept-identity"])
def test_gzip_message(conn: RawH2, accept: str | None) -> None:
    """A gzip message (flag 1, grpc-encoding gzip) is decompressed; a client that lists no grpc-accept-encoding
    (or only identity) gets an uncompressed response (#61, #63)."""
    body = grpc_frame(gzip.compress(tpb.SimpleRequest(payload=b"zip " * 1000).SerializeToString()), compressed=1)
    extra = [("grpc-encoding", "gzip")] + ([("grpc-accept-encoding", accept)] if accept else [])
    r = conn.call(f"{TS}/UnaryCall", body, extra=extra)
    assert_ok(r)
    assert r.header("grpc-encoding") in (None, "identity"), \
        f"response compressed with {r.header('grpc-encoding')} though grpc-accept-encoding was {accept!r}: " \
        f"{r.describe()}"
    assert echo_payload(r) == b"zip " * 1000


def test_gzip_message_with_accept_encoding(conn: RawH2) -> None:
    """With `grpc-accept-encoding: gzip` the response may be gzip-compressed, and then it says so in
    grpc-encoding (#63, #88)."""
    body = grpc_frame(gzip.compress(tpb.SimpleRequest(payload=b"zip " * 1000).SerializeToString()), compressed=1)
    r = conn.call(f"{TS}/UnaryCall", body, extra=[("grpc-encoding", "gzip"), ("grpc-accept-encoding", "gzip")])
    assert_ok(r)
    messages = r.messages(allow_compressed=True)
    assert [tpb.SimpleResponse.FromString(m).payload for m in messages] == [b"zip " * 1000]


def test_corrupt_gzip_is_internal(conn: RawH2) -> None:
    """A message that does not gunzip gets INTERNAL (#62)."""
    body = grpc_frame(b"\x1f\x8b\x08\x00garbage-not-deflate", compressed=1)
    r = conn.call(f"{TS}/UnaryCall", body, extra=[("grpc-encoding", "gzip")])
    assert_grpc_error(r, 13)
    assert_health_ok(conn)


def test_gzip_bomb_is_resource_exhausted(conn: RawH2) -> None:
    """A small gzip message that inflates past the 4 MiB limit gets RESOURCE_EXHAUSTED (#27 decompressed cap)."""
    inner = tpb.SimpleRequest(payload=bytes(MAX_MESSAGE + 1024)).SerializeToString()
    packed = gzip.compress(inner)
    assert len(packed) < 64 * 1024
    r = conn.call(f"{TS}/UnaryCall", grpc_frame(packed, compressed=1), extra=[("grpc-encoding", "gzip")])
    assert_grpc_error(r, 8)
    assert_health_ok(conn)


def test_unsupported_encoding_is_unimplemented(conn: RawH2) -> None:
    """An unsupported grpc-encoding gets UNIMPLEMENTED and a grpc-accept-encoding that lists gzip but not the
    rejected algorithm (#61)."""
    r = conn.call(f"{TS}/UnaryCall", grpc_frame(b"\x0a\x01x", compressed=1), extra=[("grpc-encoding", "snappy")])
    assert_grpc_error(r, 12)
    accept = r.header("grpc-accept-encoding") or r.trailer("grpc-accept-encoding") or ""
    algorithms = {a.strip() for a in accept.split(",")}
    assert "gzip" in algorithms and "snappy" not in algorithms, r.describe()
    assert_health_ok(conn)


# ---- grpc-timeout (#20, #45) ------------------------------------------------------------------------------


def test_grpc_timeout_zero_is_deadline_exceeded(conn: RawH2) -> None:
    """`grpc-timeout: 0n` (already expired, as grpc-go sends it) gets DEADLINE_EXCEEDED at once (#20)."""
    start = time.monotonic()
    r = conn.call(f"{TS}/UnaryCall", unary(sleep_ms=1000), extra=[("grpc-timeout", "0n")])
    assert time.monotonic() - start < 0.9, r.describe()
    assert_grpc_error(r, 4)


@pytest.mark.parametrize("value", ["1H", "1M", "30S", "100m", "5000000u", "99999999n", "00000001H"])
def test_grpc_timeout_units_accepted(conn: RawH2, value: str) -> None:
    """Every grpc-timeout unit (H M S m u n), up to 8 digits, is accepted (#20)."""
    r = conn.call(f"{TS}/EmptyCall", grpc_frame(b""), extra=[("grpc-timeout", value)])
    assert_ok(r)


def test_grpc_timeout_is_enforced_by_the_server(conn: RawH2) -> None:
    """With `grpc-timeout: 100m` a 2 s sleep ends within a second: DEADLINE_EXCEEDED or RST_STREAM(CANCEL)
    from the server, not the client (#45)."""
    start = time.monotonic()
    sid = conn.start_request(f"{TS}/UnaryCall", unary(sleep_ms=2000), extra=[("grpc-timeout", "100m")])
    r = conn.wait_stream(sid, timeout=5)
    elapsed = time.monotonic() - start
    assert elapsed < 1.0, f"server took {elapsed:.2f} s to enforce a 100 ms deadline: {r.describe()}"
    assert r.reset_code == CANCEL or r.grpc_status == "4", r.describe()
    assert_health_ok(conn)


@pytest.mark.parametrize("value", ["abc", "123456789S", "1x", "", "-1S", "1.5S", "S"])
def test_grpc_timeout_malformed_is_internal(conn: RawH2, value: str) -> None:
    """A malformed grpc-timeout gets INTERNAL on that stream (no crash, no hang), and the connection keeps
    working (#20)."""
    r = conn.call(f"{TS}/EmptyCall", grpc_frame(b""), extra=[("grpc-timeout", value)], timeout=5)
    assert r.reset_code is None, r.describe()
    assert r.grpc_status == "13", r.describe()
    assert_health_ok(conn)


# ---- non-HTTP/2 input (#6) --------------------------------------------------------------------------------

TLS_CLIENT_HELLO_START = bytes.fromhex("160301010001000100fc0303") + bytes(32)


@pytest.mark.parametrize(
    "data",
    [b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", TLS_CLIENT_HELLO_START],
    ids=["http1", "tls-client-hello"],
)
def test_non_http2_bytes_close_the_connection(weftd_address: str, data: bytes) -> None:
    """An HTTP/1.1 request or a TLS ClientHello on the plaintext port gets the connection closed within 2 s;
    the server keeps serving others (#6)."""
    host, port = weftd_address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(data)
        deadline = time.monotonic() + 2.0
        closed = False
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
        assert closed, "connection still open 2 s after non-HTTP/2 bytes"
    with RawH2(weftd_address) as c:
        assert_health_ok(c)


# ---- abuse (#23, #57, #58) --------------------------------------------------------------------------------


def test_rapid_reset_flood_gets_goaway(fresh_weftd: WeftdProcess) -> None:
    """2000 x (HEADERS + RST_STREAM(CANCEL)) sent at once make the server send GOAWAY (or close) on that
    connection; the process survives and a new connection is served (CVE-2023-44487, #58)."""
    c = RawH2(fresh_weftd.address)
    try:
        assert c.wait_for(lambda: bool(c.server_settings), timeout=5), "no server SETTINGS"
        blob = bytearray()
        for _ in range(2000):
            sid = c.allocate_stream_id()
            blob += c.encode_headers_frames(sid, c.request_headers(f"{TS}/UnaryCall"), end_stream=False)
            blob += encode_rst(sid, CANCEL)
        start = time.monotonic()
        try:
            c.send_raw(bytes(blob))
        except ConnectionClosed:
            pass
        reacted = c.wait_for(lambda: bool(c.goaways) or c.closed, timeout=10)
        elapsed = time.monotonic() - start
        assert reacted, f"no GOAWAY and no close {elapsed:.1f} s after the flood"
    finally:
        c.close()
    assert fresh_weftd.is_alive(), fresh_weftd.log_tail()
    with RawH2(fresh_weftd.address) as fresh:
        assert_health_ok(fresh)


def test_oversized_headers_fail_only_that_stream(conn: RawH2) -> None:
    """A 20 KiB header (over the 16 KiB limit) fails its own stream (RST_STREAM, 431 or a gRPC error) while
    the next stream on the same connection succeeds (#5, #23)."""
    big = conn.start_request(HEALTH_CHECK, grpc_frame(b""), extra=[("x-big", "a" * 20 * 1024)])
    ok = conn.start_request(HEALTH_CHECK, grpc_frame(b""))
    r_ok = conn.wait_stream(ok)
    r_big = conn.wait_stream(big)
    assert_ok(r_ok)
    assert r_ok.messages() == [SERVING_BYTES]
    failed = (r_big.reset_code is not None or r_big.header(":status") not in (None, "200")
              or r_big.grpc_status not in (None, "0"))
    assert failed, f"20 KiB of headers were accepted: {r_big.describe()}"
    if r_big.reset_code is None and r_big.header(":status") == "200":
        assert r_big.grpc_status == "8", f"expected RESOURCE_EXHAUSTED: {r_big.describe()}"
    assert_health_ok(conn)


def test_headers_under_the_limit_are_accepted(conn: RawH2) -> None:
    """A 12 KiB header, under the advertised 16 KiB list size, is accepted (#5)."""
    r = conn.call(HEALTH_CHECK, grpc_frame(b""), extra=[("x-medium", "m" * 12 * 1024)])
    assert_ok(r)


def test_max_concurrent_streams_is_enforced(weftd_factory: Callable[..., WeftdProcess]) -> None:
    """With --max-concurrent-streams 2, a third concurrent stream is refused (RST_STREAM(REFUSED_STREAM) or a
    PROTOCOL_ERROR GOAWAY); the server stays up and serves a new connection (#3)."""
    server = weftd_factory("--max-concurrent-streams", "2")
    with RawH2(server.address) as c:
        assert_health_ok(c)  # our SETTINGS ACK has reached the server before the streams below
        sids = [c.start_request(f"{TS}/UnaryCall", unary(sleep_ms=1000)) for _ in range(3)]
        third = c.streams[sids[2]]
        refused = c.wait_for(lambda: third.reset_code is not None or bool(c.goaways) or c.closed, timeout=5)
        assert refused, f"third stream not refused: {third.describe()}"
        if third.reset_code is not None:
            assert third.reset_code == REFUSED_STREAM, third.describe()
            for sid in sids[:2]:
                assert_ok(c.wait_stream(sid))
        else:
            assert not c.goaways or c.goaways[0].error_code == PROTOCOL_ERROR, c.goaways[0]
    assert server.is_alive()
    with RawH2(server.address) as c:
        assert_health_ok(c)


def test_reset_uploads_do_not_leak_connection_window(conn: RawH2) -> None:
    """50 uploads reset mid-message (60 KB each) leave the connection window intact: a 4 MiB upload on the
    same connection then succeeds (#50)."""
    for _ in range(50):
        sid = conn.start_request(f"{TS}/StreamingInputCall", struct.pack(">BI", 0, 1024 * 1024) + bytes(60_000),
                                 end_stream=False)
        conn.send_rst(sid, CANCEL)
    payload = bytes(range(256)) * ((MAX_MESSAGE - 64) // 256)
    sid = conn.start_request(f"{TS}/UnaryCall", None, end_stream=False)
    conn.send_data(sid, unary(payload), end_stream=True, timeout=20)
    r = conn.wait_stream(sid, timeout=20)
    assert_ok(r)
    assert echo_payload(r) == payload


def test_pings_with_traffic_are_tolerated(conn: RawH2) -> None:
    """A PING before every request (as BDP-probing clients do while data flows) is answered and never
    earns a too_many_pings GOAWAY (#55, #56)."""
    for i in range(20):
        conn.send_raw(PingFrame(0, opaque_data=struct.pack(">Q", i)).serialize())
        assert_health_ok(conn)
    acks = [f for f in conn.frames if f.kind == "PING" and "ACK" in f.flags]
    assert conn.wait_for(lambda: len([f for f in conn.frames if f.kind == "PING" and "ACK" in f.flags]) >= 20,
                         timeout=5), f"{len(acks)} PING ACKs"
    assert not conn.goaways, [(g.error_code, g.additional_data) for g in conn.goaways]


def test_continuation_flood_gets_goaway(weftd_address: str) -> None:
    """A header block split into one-byte CONTINUATION frames (far more than nghttp2's limit of 8) ends that
    connection with GOAWAY or a close; the server keeps serving (CVE-2024-28182, #57)."""
    with RawH2(weftd_address) as c:
        block = c.encoder.encode(c.request_headers(HEALTH_CHECK, extra=[("x-pad", "p" * 200)]))
        frames = bytearray()
        for i in range(len(block)):
            f = HeadersFrame(1) if i == 0 else ContinuationFrame(1)
            f.data = block[i : i + 1]
            if i == len(block) - 1:
                f.flags.add("END_HEADERS")
            frames += f.serialize()
        try:
            c.send_raw(bytes(frames))
        except ConnectionClosed:
            pass
        assert c.wait_for(lambda: bool(c.goaways) or c.closed, timeout=5), "no GOAWAY and no close"
    with RawH2(weftd_address) as c:
        assert_health_ok(c)


def test_abrupt_client_disconnects(weftd_address: str, weftd_server: WeftdProcess) -> None:
    """Clients vanishing mid-call (socket closed or reset with calls sleeping and streaming) leave the server
    up and serving (#47, #48, #60)."""
    for i in range(20):
        c = RawH2(weftd_address)
        c.start_request(f"{TS}/UnaryCall", unary(sleep_ms=5000))
        c.start_request(f"{TS}/StreamingOutputCall",
                        grpc_frame(tpb.StreamingOutputRequest(count=1000, size=1024, interval_us=1000).SerializeToString()))
        c.start_request(f"{TS}/FullDuplexCall", unary(b"half"), end_stream=False)
        if i % 2:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
        c.close()
    with RawH2(weftd_address) as c:
        assert_health_ok(c)
    assert weftd_server.is_alive()


# ---- graceful drain (#53) ---------------------------------------------------------------------------------


def test_sigterm_goaway_sequence(fresh_weftd: WeftdProcess) -> None:
    """SIGTERM mid-stream: GOAWAY(2^31-1, NO_ERROR), then a final GOAWAY(last processed id, NO_ERROR); the
    in-flight stream completes with grpc-status 0, the server closes the connection and exits 0 (#53)."""
    c = RawH2(fresh_weftd.address, timeout=15)
    try:
        count = 10
        body = grpc_frame(tpb.StreamingOutputRequest(count=count, size=8, interval_us=100_000).SerializeToString())
        sid = c.start_request(f"{TS}/StreamingOutputCall", body)
        stream = c.streams[sid]
        assert c.wait_for(lambda: len(stream.data) > 0, timeout=5), stream.describe()
        fresh_weftd.sigterm()
        assert c.wait_for(lambda: len(c.goaways) >= 2 and stream.done, timeout=15), \
            f"goaways={[(g.last_stream_id, g.error_code) for g in c.goaways]} stream={stream.describe()}"
        notice, final = c.goaways[0], c.goaways[-1]
        assert (notice.last_stream_id, notice.error_code) == (MAX_STREAM_ID, NO_ERROR)
        assert final.error_code == NO_ERROR
        assert sid <= final.last_stream_id < MAX_STREAM_ID
        assert_ok(stream)
        assert len(stream.messages()) == count
        assert c.read_until_closed(timeout=10), "server did not close the drained connection"
    finally:
        c.close()
    code = fresh_weftd.wait_exit(20)
    assert code == 0, f"exit code {code} (None = still running)\n{fresh_weftd.log_tail()}"


# ---- nghttp -v (Debian nghttp2-client) --------------------------------------------------------------------

_RECV_FRAME = re.compile(r"recv (\w+) frame <length=\d+, flags=(0x[0-9a-f]+), stream_id=(\d+)>")


def nghttp(address: str, path: str, body: Path, *, te: bool = True) -> tuple[str, list[tuple[str, int, int]]]:
    """Runs `nghttp -v` for one POST; returns its output and the received frames (type, flags, stream)."""
    exe = shutil.which("nghttp")
    if exe is None:
        pytest.fail("nghttp is not installed (Debian nghttp2-client)")
    cmd = [exe, "-v", "--no-content-length", "-H", ":method: POST", "-H", "content-type: application/grpc"]
    if te:
        cmd += ["-H", "te: trailers"]
    cmd += ["-d", str(body), f"http://{address}{path}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    frames = [(m[1], int(m[2], 16), int(m[3])) for m in _RECV_FRAME.finditer(proc.stdout)]
    return proc.stdout, frames


@pytest.fixture
def empty_body(tmp_path: Path) -> Path:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"\0\0\0\0\0")
    return path


@pytest.mark.parametrize("te", [True, False], ids=["te-trailers", "no-te"])
def test_nghttp_unary_frames(weftd_address: str, empty_body: Path, te: bool) -> None:
    """`nghttp -v` sees SETTINGS first, then HEADERS, DATA without END_STREAM and a final HEADERS with
    END_STREAM carrying grpc-status 0, with or without `te: trailers` (#2, #19, #25, #32)."""
    out, frames = nghttp(weftd_address, f"{TS}/EmptyCall", empty_body, te=te)
    assert frames and frames[0][0] == "SETTINGS" and not frames[0][1] & 0x1, out
    stream_frames = [f for f in frames if f[2] != 0]
    assert stream_frames, out
    sid = stream_frames[0][2]
    kinds = [(t, flags) for t, flags, s in stream_frames if s == sid]
    assert kinds[0][0] == "HEADERS" and not kinds[0][1] & 0x1, out
    assert kinds[-1][0] == "HEADERS" and kinds[-1][1] & 0x1, out
    assert all(not flags & 0x1 for t, flags in kinds if t == "DATA"), out
    assert any(t == "DATA" for t, _ in kinds), out
    assert f"recv (stream_id={sid}) grpc-status: 0" in out, out


def test_nghttp_unknown_method_trailers_only(weftd_address: str, empty_body: Path) -> None:
    """`nghttp -v` on an unknown method sees one HEADERS with flags 0x05 (END_STREAM | END_HEADERS) holding
    :status 200 and grpc-status 12 (#35)."""
    out, frames = nghttp(weftd_address, f"{TS}/Nope", empty_body)
    stream_frames = [f for f in frames if f[2] != 0 and f[0] != "RST_STREAM"]
    assert [(t, flags) for t, flags, _ in stream_frames] == [("HEADERS", 0x05)], out
    sid = stream_frames[0][2]
    assert f"recv (stream_id={sid}) :status: 200" in out, out
    assert f"recv (stream_id={sid}) grpc-status: 12" in out, out

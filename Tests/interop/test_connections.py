"""Connection management against a real weftd, with the raw HTTP/2 client of h2raw.py: idle and age GOAWAYs
(with their debug data and the age grace), the client ping policy (lenient by default, strict when configured),
server keepalive pings and the connection cap. Limits are set to seconds so the suite stays short; the 30 s
ping test is the issue's own requirement."""

from __future__ import annotations

import struct
import time

import pytest
from conftest import WeftdProcess
from hyperframe.frame import Frame, PingFrame

from h2raw import CANCEL, ENHANCE_YOUR_CALM, NO_ERROR, MAX_STREAM_ID, REFUSED_STREAM, RawH2, RecvFrame, grpc_frame
from weft.testing.v1 import testing_pb2 as tpb

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
UNARY_CALL = "/weft.testing.v1.TestService/UnaryCall"
KEEPALIVE_PAYLOAD = b"weftkeep"


def health_ok(c: RawH2) -> None:
    r = c.call(HEALTH_CHECK, grpc_frame(b""))
    assert r.grpc_status == "0", r.describe()


def goaway_summary(c: RawH2) -> list[tuple[int, int, bytes]]:
    return [(g.last_stream_id, g.error_code, bytes(g.additional_data)) for g in c.goaways]


class SilentH2(RawH2):
    """A client that records the server's PINGs but never acknowledges them (a peer that has gone away)."""

    def _on_frame(self, frame: Frame) -> None:
        if isinstance(frame, PingFrame) and "ACK" not in frame.flags:
            self.frames.append(RecvFrame("PING", 0, frozenset(frame.flags), frame))
            return
        super()._on_frame(frame)


def server_pings(c: RawH2) -> list[bytes]:
    return [bytes(f.frame.opaque_data) for f in c.frames if f.kind == "PING" and "ACK" not in f.flags]


def test_idle_connection_gets_max_idle_goaway(weftd_factory) -> None:
    """--max-connection-idle 1s: a connection left idle after a call gets GOAWAY NO_ERROR "max_idle" and is
    closed, not before the idle time."""
    server: WeftdProcess = weftd_factory("--max-connection-idle", "1s")
    with RawH2(server.address) as c:
        health_ok(c)
        last_call = time.monotonic()
        assert c.read_until_closed(timeout=10), f"not closed; goaways {goaway_summary(c)}"
        assert time.monotonic() - last_call >= 0.9
        final = c.goaways[-1]
        assert (final.error_code, bytes(final.additional_data)) == (NO_ERROR, b"max_idle"), goaway_summary(c)
        assert final.last_stream_id == 1
        # The first GOAWAY is the graceful notice, which lets streams racing with it complete.
        assert c.goaways[0].last_stream_id == MAX_STREAM_ID


def test_busy_connection_is_not_idle(weftd_factory) -> None:
    """Calls every 300 ms for 2.5 s keep a connection with --max-connection-idle 1s open."""
    server: WeftdProcess = weftd_factory("--max-connection-idle", "1s")
    with RawH2(server.address) as c:
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            health_ok(c)
            c.wait_for(lambda: c.closed, timeout=0.3)
        assert not c.goaways, goaway_summary(c)
        assert not c.closed


def test_max_age_goaway_then_grace_cuts_open_streams(weftd_factory) -> None:
    """--max-connection-age 2s --max-connection-age-grace 1s: GOAWAY "max_age" at 2 s ± 10%; a stream still open
    is allowed to go on through the grace, then reset with CANCEL and the connection closed. A new connection
    is served."""
    server: WeftdProcess = weftd_factory("--max-connection-age", "2s", "--max-connection-age-grace", "1s")
    with RawH2(server.address) as c:
        opened = time.monotonic()
        health_ok(c)
        # Request HEADERS without END_STREAM: the stream stays open, waiting for its message.
        sid = c.start_request(UNARY_CALL, None, end_stream=False)
        assert c.wait_for(lambda: any(bytes(g.additional_data) == b"max_age" for g in c.goaways), timeout=5), \
            goaway_summary(c)
        age = time.monotonic() - opened
        assert 1.7 <= age <= 2.6, age
        assert c.goaways[-1].error_code == NO_ERROR
        assert c.goaways[-1].last_stream_id == sid
        assert not c.closed
        assert c.read_until_closed(timeout=5), "the connection outlived the age grace"
        assert c.streams[sid].reset_code == CANCEL, c.streams[sid].describe()
        assert time.monotonic() - opened >= 2.7
    with RawH2(server.address) as c:
        health_ok(c)


def test_client_pinging_every_second_for_30s_is_not_disconnected(weftd_address: str) -> None:
    """The default policy is lenient: a PING every second for 30 s on a connection with no stream (as a mesh
    proxy or a keepalive-happy client sends) is answered every time; no GOAWAY; the connection still serves."""
    with RawH2(weftd_address) as c:
        for i in range(30):
            sent = time.monotonic()
            c.send_raw(PingFrame(0, opaque_data=struct.pack(">Q", i)).serialize())
            c.wait_for(lambda: c.closed, timeout=max(0.0, 1.0 - (time.monotonic() - sent)))
            assert not c.closed, f"closed after {i + 1} pings; goaways {goaway_summary(c)}"
        acks = [f for f in c.frames if f.kind == "PING" and "ACK" in f.flags]
        assert len(acks) == 30
        assert not c.goaways, goaway_summary(c)
        health_ok(c)


def test_aggressive_pinger_gets_too_many_pings_under_strict_policy(weftd_factory) -> None:
    """--min-client-ping-interval 5s --max-ping-strikes 2: the third early PING after the first ends the
    connection with GOAWAY ENHANCE_YOUR_CALM "too_many_pings"; other connections are unaffected."""
    server: WeftdProcess = weftd_factory("--min-client-ping-interval", "5s", "--max-ping-strikes", "2")
    with RawH2(server.address) as bystander, RawH2(server.address) as c:
        health_ok(bystander)
        for i in range(10):
            try:
                c.send_raw(PingFrame(0, opaque_data=struct.pack(">Q", i)).serialize())
            except Exception:
                break
            if c.wait_for(lambda: c.closed, timeout=0.1):
                break
        assert c.read_until_closed(timeout=5), goaway_summary(c)
        assert [(g.error_code, bytes(g.additional_data)) for g in c.goaways] == [(ENHANCE_YOUR_CALM, b"too_many_pings")]
        # PINGs 0-2 (two strikes) are answered; nghttp2 answers the fourth too before the GOAWAY goes out.
        assert len([f for f in c.frames if f.kind == "PING" and "ACK" in f.flags]) >= 3
        health_ok(bystander)


def test_server_keepalive_pings_and_drops_a_silent_client(weftd_factory) -> None:
    """--keepalive-interval 1s --keepalive-timeout 1s: an idle client that answers gets a keepalive PING every
    second or so and stays connected; one that does not answer gets GOAWAY "keepalive_timeout" and is closed."""
    server: WeftdProcess = weftd_factory("--keepalive-interval", "1s", "--keepalive-timeout", "1s")
    with RawH2(server.address) as answering, SilentH2(server.address) as silent:
        # Both connections are read in turns (RawH2 answers PINGs only while it reads).
        deadline = time.monotonic() + 8
        while not (silent.closed and len(server_pings(answering)) >= 3) and time.monotonic() < deadline:
            answering.wait_for(lambda: answering.closed, timeout=0.05)
            silent.wait_for(lambda: silent.closed, timeout=0.05)
        assert silent.closed, f"silent client not dropped; goaways {goaway_summary(silent)}"
        assert server_pings(silent)[:1] == [KEEPALIVE_PAYLOAD]
        assert [(g.error_code, bytes(g.additional_data)) for g in silent.goaways] == [(NO_ERROR, b"keepalive_timeout")]
        assert server_pings(answering)[:3] == [KEEPALIVE_PAYLOAD] * 3
        assert not answering.closed and not answering.goaways, goaway_summary(answering)
        health_ok(answering)


def test_connection_cap_refuses_extra_connections_cleanly(weftd_factory) -> None:
    """--max-connections 2: a third connection gets SETTINGS and GOAWAY NO_ERROR (last-stream-id 0,
    "connection_limit") and is closed; the two open ones keep serving; once one closes, a new one is served."""
    server: WeftdProcess = weftd_factory("--max-connections", "2")
    first, second = RawH2(server.address), RawH2(server.address)
    try:
        health_ok(first)
        health_ok(second)
        with RawH2(server.address) as third:
            assert third.read_until_closed(timeout=5), goaway_summary(third)
            assert goaway_summary(third) == [(0, NO_ERROR, b"connection_limit")]
            assert third.frames[0].kind == "SETTINGS"
        health_ok(first)
        first.close()
        deadline = time.monotonic() + 5
        while True:
            with RawH2(server.address) as fourth:
                if fourth.wait_for(lambda: bool(fourth.goaways) or fourth.closed, timeout=0.2):
                    # The server had not yet seen the first connection close: try again.
                    assert time.monotonic() < deadline, goaway_summary(fourth)
                    continue
                health_ok(fourth)
                break
        health_ok(second)
    finally:
        first.close()
        second.close()


def test_handlers_per_connection_cap_refuses_extra_streams(weftd_factory) -> None:
    """--max-handlers-per-connection 2: with two handlers running (sleeping UnaryCalls), a third stream on the
    connection is refused with RST_STREAM(REFUSED_STREAM), which clients retry transparently; once a handler
    finishes, the next call runs. Other connections are not limited by it."""
    server: WeftdProcess = weftd_factory("--max-handlers-per-connection", "2")
    sleepy = grpc_frame(tpb.SimpleRequest(payload=b"z", sleep_ms=1500).SerializeToString())
    with RawH2(server.address) as c, RawH2(server.address) as other:
        first = c.start_request(UNARY_CALL, sleepy)
        second = c.start_request(UNARY_CALL, sleepy)
        third = c.start_request(UNARY_CALL, grpc_frame(tpb.SimpleRequest(payload=b"x").SerializeToString()))
        result = c.wait_stream(third, timeout=5)
        assert result.reset_code == REFUSED_STREAM, result.describe()
        health_ok(other)
        for sid in (first, second):
            assert c.wait_stream(sid, timeout=10).grpc_status == "0"
        health_ok(c)


@pytest.mark.parametrize("flag", ["--max-connection-idle", "--keepalive-timeout"])
def test_bad_durations_are_refused_at_start(flag: str, tmp_path) -> None:
    """A value that is not a duration stops weftd at start with a message naming the variable or flag."""
    import subprocess
    from conftest import weftd_binary

    proc = subprocess.run([str(weftd_binary()), flag, "soon", "--listen", "127.0.0.1:0"], capture_output=True,
                          timeout=30, text=True)
    assert proc.returncode != 0
    assert "is not a duration" in proc.stderr


def test_grpcio_client_reconnects_after_idle_and_age_goaways(weftd_factory) -> None:
    """A grpcio (C-core) channel whose connection gets the max_age or max_idle GOAWAY opens a new one and its
    next calls succeed: every call is OK while the connection is replaced (both GOAWAYs counted in /metrics)."""
    from conftest import make_channel
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from test_metrics import free_port, sample, scrape

    port = free_port()
    server: WeftdProcess = weftd_factory("--max-connection-idle", "300ms", "--max-connection-age", "2s",
                                         "--max-connection-age-grace", "1s", "--metrics-listen", f"127.0.0.1:{port}")
    channel = make_channel(server.address)
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        calls = 0

        def check() -> None:
            nonlocal calls
            reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            calls += 1

        # Busy for 3 s: a call every 100 ms keeps the connection from idling until it ages out (at 1.8-2.2 s).
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            check()
            time.sleep(0.1)
        # Then a pause past the idle limit, well before the new connection's age, between two calls.
        check()
        time.sleep(1.0)
        check()
        assert calls >= 15
        _, samples = scrape(port)
        assert sample(samples, "weft_http2_goaways_total", cause="max_idle") >= 1, samples
        assert sample(samples, "weft_http2_goaways_total", cause="max_age") >= 1, samples
    finally:
        channel.close()

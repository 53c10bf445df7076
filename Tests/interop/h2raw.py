"""A small HTTP/2 client over a raw socket for frame-level tests, built on the h2 project's frame and HPACK
layers (hyperframe, hpack).

Unlike `h2.connection.H2Connection` it keeps no protocol state machine of its own, so a test can send what a
conforming client would not (GET to a gRPC path, bad grpc-timeout values, END_STREAM mid-message, floods of
HEADERS + RST_STREAM) and can keep reading after a graceful GOAWAY. It records every frame the server sends,
in order, answers SETTINGS and PING, and returns flow-control credit for every DATA frame it receives.
Every read is bounded by a deadline.
"""

from __future__ import annotations

import gzip
import socket
import struct
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import hpack
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
MAX_STREAM_ID = 2**31 - 1

# HTTP/2 error codes used in assertions.
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
REFUSED_STREAM = 0x7
CANCEL = 0x8
ENHANCE_YOUR_CALM = 0xB

# SETTINGS identifiers.
SETTINGS_HEADER_TABLE_SIZE = 0x1
SETTINGS_ENABLE_PUSH = 0x2
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
SETTINGS_MAX_FRAME_SIZE = 0x5
SETTINGS_MAX_HEADER_LIST_SIZE = 0x6

CLIENT_INITIAL_WINDOW = 16 * 1024 * 1024


def grpc_frame(payload: bytes, compressed: int = 0) -> bytes:
    """One gRPC length-prefixed message."""
    return struct.pack(">BI", compressed, len(payload)) + payload


def parse_grpc_messages(data: bytes, encoding: str | None = None) -> list[bytes]:
    """Splits a response body into its messages; fails on a truncated message, and on a compressed one unless
    `encoding` (the response's grpc-encoding) says how to decompress it."""
    messages: list[bytes] = []
    i = 0
    while i < len(data):
        if len(data) - i < 5:
            raise AssertionError(f"truncated length prefix at offset {i}: {data[i:]!r}")
        flag, length = struct.unpack(">BI", data[i : i + 5])
        if flag not in (0, 1) or (flag == 1 and encoding not in ("gzip", "deflate")):
            raise AssertionError(f"response message at offset {i} has compressed flag {flag} "
                                 f"(response grpc-encoding: {encoding})")
        if len(data) - i - 5 < length:
            raise AssertionError(f"truncated message at offset {i}: {length} announced, {len(data) - i - 5} left")
        message = data[i + 5 : i + 5 + length]
        if flag == 1:
            message = gzip.decompress(message) if encoding == "gzip" else zlib.decompress(message)
        messages.append(message)
        i += 5 + length
    return messages


def encode_rst(stream_id: int, error_code: int) -> bytes:
    """A serialized RST_STREAM frame."""
    f = RstStreamFrame(stream_id)
    f.error_code = error_code
    return f.serialize()


@dataclass
class RecvFrame:
    """A frame received from the server, with its decoded header block (HEADERS only)."""

    kind: str  # the frame class name without "Frame": "SETTINGS", "HEADERS", "DATA", ...
    stream_id: int
    flags: frozenset[str]
    frame: Frame
    headers: list[tuple[str, str]] | None = None

    @property
    def end_stream(self) -> bool:
        return "END_STREAM" in self.flags

    def describe(self) -> str:
        extra = ""
        if self.headers is not None:
            extra = " " + ", ".join(f"{k}: {v[:80]}" for k, v in self.headers)
        elif isinstance(self.frame, GoAwayFrame):
            extra = f" last_stream_id={self.frame.last_stream_id} error_code={self.frame.error_code}"
        elif isinstance(self.frame, RstStreamFrame):
            extra = f" error_code={self.frame.error_code}"
        elif isinstance(self.frame, DataFrame):
            extra = f" length={len(self.frame.data)}"
        return f"{self.kind}[{self.stream_id}] {'|'.join(sorted(self.flags))}{extra}"


@dataclass
class StreamResult:
    """Everything the server sent on one stream."""

    stream_id: int
    frames: list[RecvFrame] = field(default_factory=list)
    headers: list[tuple[str, str]] | None = None  # the first HEADERS block
    trailers: list[tuple[str, str]] | None = None  # a second HEADERS block (must carry END_STREAM)
    data: bytearray = field(default_factory=bytearray)
    reset_code: int | None = None  # RST_STREAM before END_STREAM: the stream was aborted
    reset_after_end: int | None = None  # RST_STREAM after END_STREAM (e.g. early server closure, NO_ERROR)
    ended: bool = False  # END_STREAM seen

    @property
    def done(self) -> bool:
        return self.ended or self.reset_code is not None

    def header(self, name: str) -> str | None:
        return _lookup(self.headers, name)

    def trailer(self, name: str) -> str | None:
        return _lookup(self.trailers, name)

    @property
    def trailers_only(self) -> bool:
        """A Trailers-Only response: a single HEADERS frame carrying END_STREAM, nothing else."""
        kinds = [f.kind for f in self.frames if f.kind != "RST_STREAM"]
        return kinds == ["HEADERS"] and self.frames[0].end_stream

    @property
    def grpc_status(self) -> str | None:
        """grpc-status from the trailers, or from the headers of a Trailers-Only response."""
        if self.trailers is not None:
            return self.trailer("grpc-status")
        if self.ended and self.headers is not None:
            return self.header("grpc-status")
        return None

    @property
    def grpc_message(self) -> str | None:
        block = self.trailers if self.trailers is not None else self.headers
        return _lookup(block, "grpc-message")

    def messages(self, allow_compressed: bool = False) -> list[bytes]:
        """The response messages; compressed ones only if allow_compressed (and grpc-encoding names gzip or
        deflate)."""
        return parse_grpc_messages(bytes(self.data), self.header("grpc-encoding") if allow_compressed else None)

    def describe(self) -> str:
        return "; ".join(f.describe() for f in self.frames) or "(no frames)"


def _lookup(block: list[tuple[str, str]] | None, name: str) -> str | None:
    if block is None:
        return None
    values = [v for k, v in block if k == name]
    return values[0] if values else None


class ConnectionClosed(Exception):
    """The server closed the TCP connection."""


class RawH2:
    """One client connection. Not thread-safe; every wait takes a timeout."""

    def __init__(self, address: str, *, timeout: float = 10.0, handshake: bool = True) -> None:
        host, port = address.rsplit(":", 1)
        self.address = address
        self.timeout = timeout
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.decoder.max_header_list_size = 1 << 20
        self.frames: list[RecvFrame] = []
        self.streams: dict[int, StreamResult] = {}
        self.goaways: list[GoAwayFrame] = []
        self.server_settings: list[dict[int, int]] = []
        self.closed = False
        self.next_stream_id = 1
        self._buf = bytearray()
        self._header_frames: list[Frame] = []  # HEADERS + CONTINUATIONs awaiting END_HEADERS
        self._peer_max_frame_size = 16384
        self._peer_initial_window = 65535
        self._conn_send_window = 65535
        self._stream_send_window: dict[int, int] = {}
        if handshake:
            self.handshake()

    # ---- sending -------------------------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            self.closed = True
            raise ConnectionClosed(str(e)) from e

    def handshake(self) -> None:
        """Client preface, our SETTINGS, and a large connection window."""
        settings = SettingsFrame(0)
        settings.settings = {SETTINGS_ENABLE_PUSH: 0, SETTINGS_INITIAL_WINDOW_SIZE: CLIENT_INITIAL_WINDOW}
        wu = WindowUpdateFrame(0)
        wu.window_increment = (1 << 30) - 65535
        self.send_raw(PREFACE + settings.serialize() + wu.serialize())

    def allocate_stream_id(self) -> int:
        sid = self.next_stream_id
        self.next_stream_id += 2
        self.streams.setdefault(sid, StreamResult(sid))
        self._stream_send_window[sid] = self._peer_initial_window
        return sid

    def encode_headers_frames(self, stream_id: int, headers: Iterable[tuple[str, str]], end_stream: bool) -> bytes:
        """HEADERS (+ CONTINUATION) frames for one header block, split at the peer's max frame size."""
        block = self.encoder.encode(list(headers))
        limit = self._peer_max_frame_size
        chunks = [block[i : i + limit] for i in range(0, len(block), limit)] or [b""]
        out = bytearray()
        for i, chunk in enumerate(chunks):
            f: Frame = HeadersFrame(stream_id) if i == 0 else ContinuationFrame(stream_id)
            f.data = chunk
            if i == 0 and end_stream:
                f.flags.add("END_STREAM")
            if i == len(chunks) - 1:
                f.flags.add("END_HEADERS")
            out += f.serialize()
        return bytes(out)

    def send_headers(self, stream_id: int, headers: Iterable[tuple[str, str]], end_stream: bool = False) -> None:
        self.send_raw(self.encode_headers_frames(stream_id, headers, end_stream))

    def send_data(self, stream_id: int, data: bytes, end_stream: bool = False, *, frame_size: int | None = None,
                  timeout: float | None = None) -> None:
        """DATA frames of at most `frame_size` bytes (default: peer max), waiting for flow-control credit."""
        size = min(frame_size or self._peer_max_frame_size, self._peer_max_frame_size)
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        offset = 0
        while True:
            chunk_len = min(size, len(data) - offset)
            while chunk_len > 0 and min(self._conn_send_window, self._stream_send_window.get(stream_id, 0)) < chunk_len:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no flow-control credit to send {chunk_len} bytes on stream {stream_id}")
                self._read_some(deadline)
            chunk = data[offset : offset + chunk_len]
            offset += chunk_len
            last = offset >= len(data)
            f = DataFrame(stream_id)
            f.data = chunk
            if last and end_stream:
                f.flags.add("END_STREAM")
            self._conn_send_window -= chunk_len
            self._stream_send_window[stream_id] = self._stream_send_window.get(stream_id, 0) - chunk_len
            self.send_raw(f.serialize())
            if last:
                return

    def send_rst(self, stream_id: int, error_code: int = CANCEL) -> None:
        self.send_raw(encode_rst(stream_id, error_code))

    def request_headers(self, path: str, *, method: str = "POST", te: bool = True,
                        content_type: str | None = "application/grpc",
                        extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
        headers = [(":method", method), (":scheme", "http"), (":path", path), (":authority", self.address)]
        if content_type is not None:
            headers.append(("content-type", content_type))
        if te:
            headers.append(("te", "trailers"))
        headers.extend(extra)
        return headers

    def start_request(self, path: str, body: bytes | None = b"", *, end_stream: bool = True, **kw: object) -> int:
        """Opens a stream: HEADERS, then `body` in DATA frames (END_STREAM on the last one if asked).

        body=None sends HEADERS only (with END_STREAM if end_stream)."""
        sid = self.allocate_stream_id()
        headers = self.request_headers(path, **kw)  # type: ignore[arg-type]
        if body is None:
            self.send_headers(sid, headers, end_stream=end_stream)
        else:
            self.send_headers(sid, headers, end_stream=False)
            self.send_data(sid, body, end_stream=end_stream)
        return sid

    def call(self, path: str, body: bytes = b"", *, timeout: float | None = None, **kw: object) -> StreamResult:
        """A whole request (END_STREAM after `body`) and the stream's complete result."""
        sid = self.start_request(path, body, **kw)
        return self.wait_stream(sid, timeout=timeout)

    # ---- receiving -----------------------------------------------------------------------------------------

    def wait_stream(self, stream_id: int, timeout: float | None = None) -> StreamResult:
        """Reads until the stream ends (END_STREAM or RST_STREAM); fails on timeout or connection close."""
        result = self.streams.setdefault(stream_id, StreamResult(stream_id))
        ok = self.wait_for(lambda: result.done, timeout)
        if not ok:
            state = "connection closed" if self.closed else "timed out"
            raise AssertionError(f"stream {stream_id} did not finish ({state}); frames so far: {result.describe()}; "
                                 f"goaways: {[(g.last_stream_id, g.error_code) for g in self.goaways]}")
        return result

    def wait_for(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Reads frames until predicate() holds (True), or the deadline passes or the server closes (False)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while not predicate():
            if self.closed or time.monotonic() >= deadline:
                return predicate()
            self._read_some(deadline)
        return True

    def read_until_closed(self, timeout: float) -> bool:
        """Reads (and records) everything until the server closes the connection; True if it did in time."""
        return self.wait_for(lambda: self.closed, timeout)

    def first_frame(self, timeout: float | None = None) -> RecvFrame:
        if not self.wait_for(lambda: bool(self.frames), timeout):
            raise AssertionError("the server sent no frame")
        return self.frames[0]

    def _read_some(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.closed = True
            return
        self._buf += data
        self._parse()

    def _parse(self) -> None:
        while len(self._buf) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(bytes(self._buf[:9])))
            if len(self._buf) < 9 + length:
                return
            body = bytes(self._buf[9 : 9 + length])
            del self._buf[: 9 + length]
            frame.parse_body(memoryview(body))
            self._on_frame(frame)

    def _on_frame(self, frame: Frame) -> None:
        kind = type(frame).__name__.removesuffix("Frame")
        kind = {"Settings": "SETTINGS", "Headers": "HEADERS", "Data": "DATA", "GoAway": "GOAWAY",
                "RstStream": "RST_STREAM", "Ping": "PING", "WindowUpdate": "WINDOW_UPDATE",
                "Continuation": "CONTINUATION", "PushPromise": "PUSH_PROMISE", "Priority": "PRIORITY"}.get(kind, kind)
        rec = RecvFrame(kind, frame.stream_id, frozenset(frame.flags), frame)
        if isinstance(frame, (HeadersFrame, ContinuationFrame)):
            # A header block is recorded once, as one HEADERS record, when END_HEADERS arrives; its flags are
            # the first frame's plus END_HEADERS.
            self._header_frames.append(frame)
            if "END_HEADERS" not in frame.flags:
                return
            block = b"".join(f.data for f in self._header_frames)
            first = self._header_frames[0]
            self._header_frames = []
            decoded = self.decoder.decode(block, raw=False)
            rec = RecvFrame("HEADERS", first.stream_id, frozenset(first.flags) | {"END_HEADERS"}, first,
                            [(str(k), str(v)) for k, v in decoded])
        self.frames.append(rec)

        if isinstance(frame, SettingsFrame):
            if "ACK" not in frame.flags:
                self.server_settings.append(dict(frame.settings))
                if SETTINGS_MAX_FRAME_SIZE in frame.settings:
                    self._peer_max_frame_size = frame.settings[SETTINGS_MAX_FRAME_SIZE]
                if SETTINGS_INITIAL_WINDOW_SIZE in frame.settings:
                    delta = frame.settings[SETTINGS_INITIAL_WINDOW_SIZE] - self._peer_initial_window
                    self._peer_initial_window = frame.settings[SETTINGS_INITIAL_WINDOW_SIZE]
                    for sid in self._stream_send_window:
                        self._stream_send_window[sid] += delta
                if SETTINGS_HEADER_TABLE_SIZE in frame.settings:
                    self.encoder.header_table_size = frame.settings[SETTINGS_HEADER_TABLE_SIZE]
                ack = SettingsFrame(0, flags=["ACK"])
                self._send_quietly(ack.serialize())
            return
        if isinstance(frame, PingFrame):
            if "ACK" not in frame.flags:
                self._send_quietly(PingFrame(0, opaque_data=frame.opaque_data, flags=["ACK"]).serialize())
            return
        if isinstance(frame, GoAwayFrame):
            self.goaways.append(frame)
            return
        if isinstance(frame, WindowUpdateFrame):
            if frame.stream_id == 0:
                self._conn_send_window += frame.window_increment
            else:
                self._stream_send_window[frame.stream_id] = (
                    self._stream_send_window.get(frame.stream_id, self._peer_initial_window) + frame.window_increment)
            return
        if frame.stream_id == 0:
            return
        stream = self.streams.setdefault(frame.stream_id, StreamResult(frame.stream_id))
        stream.frames.append(rec)
        if rec.kind == "HEADERS":
            if stream.headers is None:
                stream.headers = rec.headers
            else:
                stream.trailers = rec.headers
            if rec.end_stream:
                stream.ended = True
        elif isinstance(frame, DataFrame):
            stream.data += frame.data
            if rec.end_stream:
                stream.ended = True
            credit = frame.flow_controlled_length
            if credit:
                out = b""
                for sid in (0, frame.stream_id):
                    wu = WindowUpdateFrame(sid)
                    wu.window_increment = credit
                    out += wu.serialize()
                self._send_quietly(out)
        elif isinstance(frame, RstStreamFrame):
            if stream.ended:
                stream.reset_after_end = frame.error_code
            else:
                stream.reset_code = frame.error_code

    def _send_quietly(self, data: bytes) -> None:
        """Protocol replies (ACKs, WINDOW_UPDATEs): a closed connection is noticed on the next read."""
        try:
            self.sock.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> RawH2:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

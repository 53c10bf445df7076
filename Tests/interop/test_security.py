"""TLS and bearer-token authentication of weftd, from grpcio, grpcurl, openssl s_client and Python's ssl.

Certificates are made per test module with the `cryptography` package in a temp dir: two CAs, server
certificates for 127.0.0.1 and localhost signed by each, and a client certificate signed by the first.
Every wait is bounded; every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from conftest import WeftdProcess
from weft.v1 import worker_pb2, worker_pb2_grpc, workflow_pb2, workflow_pb2_grpc

RPC_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10.0
PROCESS_TIMEOUT = 20.0
SERVING = health_pb2.HealthCheckResponse.SERVING
CLIENT_TOKEN = "client-9f3b7c1d2e"
WORKER_TOKEN = "worker-0a8e6d4c2b"


# --- certificates ---------------------------------------------------------------------------------------------


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _make_ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_leaf(ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], name: str,
               server: bool) -> tuple[bytes, bytes]:
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
    return _pem_cert(builder.sign(ca_key, hashes.SHA256())), _pem_key(key)


@dataclass
class Pki:
    dir: Path
    ca1: bytes
    ca2: bytes
    server1: tuple[bytes, bytes]  # (certificate, key) signed by CA1
    server2: tuple[bytes, bytes]  # signed by CA2
    client: tuple[bytes, bytes]  # signed by CA1

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def install_server(self, pair: tuple[bytes, bytes]) -> None:
        """Writes server.pem and server.key, each replaced atomically."""
        for name, data in (("server.pem", pair[0]), ("server.key", pair[1])):
            temporary = self.dir / (name + ".tmp")
            temporary.write_bytes(data)
            temporary.replace(self.dir / name)


@pytest.fixture(scope="module")
def pki_files() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="weft-interop-pki-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def pki(pki_files: Path) -> Pki:
    ca1, ca2 = _make_ca("weft test CA 1"), _make_ca("weft test CA 2")
    result = Pki(dir=pki_files, ca1=_pem_cert(ca1[1]), ca2=_pem_cert(ca2[1]),
                 server1=_make_leaf(ca1, "weftd", server=True), server2=_make_leaf(ca2, "weftd", server=True),
                 client=_make_leaf(ca1, "weft client", server=False))
    (pki_files / "ca1.pem").write_bytes(result.ca1)
    (pki_files / "ca2.pem").write_bytes(result.ca2)
    result.install_server(result.server1)
    return result


def tls_flags(pki: Pki, *extra: str) -> tuple[str, ...]:
    return ("--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key"), *extra)


# --- helpers ----------------------------------------------------------------------------------------------------


def secure_channel(address: str, root: bytes | None, client: tuple[bytes, bytes] | None = None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=root,
        private_key=client[1] if client else None,
        certificate_chain=client[0] if client else None,
    )
    return grpc.secure_channel(address, credentials)


def health_check(channel: grpc.Channel) -> int:
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=RPC_TIMEOUT)
    return reply.status


def rpc_error(fn: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        fn()
    return info.value


def wait_for_log(server: WeftdProcess, text: str, timeout: float = PROCESS_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in server.log_path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    pytest.fail(f"weftd did not log {text!r} within {timeout:.0f} s\n{server.log_tail()}")


# --- TLS --------------------------------------------------------------------------------------------------------


def test_grpcio_health_over_tls(weftd_factory: Callable[..., WeftdProcess], pki: Pki) -> None:
    server = weftd_factory(*tls_flags(pki))
    with secure_channel(server.address, pki.ca1) as channel:
        assert health_check(channel) == SERVING
    # localhost is in the certificate too.
    with secure_channel(f"localhost:{server.port}", pki.ca1) as channel:
        assert health_check(channel) == SERVING


def test_plaintext_client_fails_on_tls_port(weftd_factory: Callable[..., WeftdProcess], pki: Pki) -> None:
    server = weftd_factory(*tls_flags(pki))
    with grpc.insecure_channel(server.address) as channel:
        err = rpc_error(lambda: health_check(channel))
    assert err.code() == grpc.StatusCode.UNAVAILABLE


def test_openssl_s_client_negotiates_h2(weftd_factory: Callable[..., WeftdProcess], pki: Pki) -> None:
    server = weftd_factory(*tls_flags(pki))
    proc = subprocess.run(
        ["openssl", "s_client", "-alpn", "h2", "-connect", server.address, "-CAfile", pki.path("ca1.pem")],
        input="", capture_output=True, text=True, errors="replace", timeout=PROCESS_TIMEOUT)
    # errors="replace": s_client also prints the server's SETTINGS frame, raw bytes that are not UTF-8.
    assert "ALPN protocol: h2" in proc.stdout, proc.stdout + proc.stderr
    assert "Verify return code: 0 (ok)" in proc.stdout


def test_tls_versions_and_alpn(weftd_factory: Callable[..., WeftdProcess], pki: Pki) -> None:
    """TLS 1.1 is refused; a client offering only http/1.1 gets no protocol and its connection is closed."""
    server = weftd_factory(*tls_flags(pki))

    def connect(context: ssl.SSLContext) -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=CONNECT_TIMEOUT)
        return context.wrap_socket(raw, server_hostname="localhost")

    context = ssl.create_default_context(cadata=pki.ca1.decode())
    context.set_alpn_protocols(["h2"])
    with connect(context) as tls:
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in ("TLSv1.2", "TLSv1.3")

    old = ssl.create_default_context(cadata=pki.ca1.decode())
    try:
        old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer TLS 1.1, so the refusal is the server's
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1_1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot offer TLS 1.1")
    with pytest.raises((ssl.SSLError, ConnectionError)) as refused:
        connect(old).close()
    assert "NO_PROTOCOLS_AVAILABLE" not in str(refused.value), refused.value

    http1 = ssl.create_default_context(cadata=pki.ca1.decode())
    http1.set_alpn_protocols(["http/1.1"])
    with connect(http1) as tls:
        assert tls.selected_alpn_protocol() is None
        tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        received = b""
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while time.monotonic() < deadline:
            try:
                chunk = tls.recv(65536)
            except (ssl.SSLError, ConnectionError):
                break
            if not chunk:
                break
            received += chunk
        else:
            pytest.fail("the server kept an HTTP/1.1 connection open")
        assert not received.startswith(b"HTTP/1.1")


def test_refused_without_the_ca(weftd_factory: Callable[..., WeftdProcess], pki: Pki) -> None:
    server = weftd_factory(*tls_flags(pki))
    with secure_channel(server.address, None) as channel:  # the system roots do not know the test CA
        err = rpc_error(lambda: health_check(channel))
    assert err.code() == grpc.StatusCode.UNAVAILABLE
    with secure_channel(server.address, pki.ca2) as channel:
        err = rpc_error(lambda: health_check(channel))
    assert err.code() == grpc.StatusCode.UNAVAILABLE


def test_grpcurl_with_cacert(weftd_factory: Callable[..., WeftdProcess], pki: Pki, grpcurl_bin: str) -> None:
    server = weftd_factory(*tls_flags(pki))
    proc = subprocess.run([grpcurl_bin, "-cacert", pki.path("ca1.pem"), server.address, "list"],
                          capture_output=True, text=True, timeout=PROCESS_TIMEOUT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "grpc.health.v1.Health" in proc.stdout.split()
    assert "weft.v1.WorkflowService" in proc.stdout.split()
    refused = subprocess.run([grpcurl_bin, "-cacert", pki.path("ca2.pem"), server.address, "list"],
                             capture_output=True, text=True, timeout=PROCESS_TIMEOUT, stdin=subprocess.DEVNULL)
    assert refused.returncode != 0


def test_mtls_requires_a_client_certificate(weftd_factory: Callable[..., WeftdProcess], pki: Pki) -> None:
    server = weftd_factory(*tls_flags(pki, "--tls-client-ca", pki.path("ca1.pem")))
    with secure_channel(server.address, pki.ca1) as channel:
        err = rpc_error(lambda: health_check(channel))
    assert err.code() == grpc.StatusCode.UNAVAILABLE
    with secure_channel(server.address, pki.ca1, client=pki.client) as channel:
        assert health_check(channel) == SERVING
    # A client certificate from another CA is refused as well.
    stranger = _make_leaf(_make_ca("stranger CA"), "stranger", server=False)
    with secure_channel(server.address, pki.ca1, client=stranger) as channel:
        err = rpc_error(lambda: health_check(channel))
    assert err.code() == grpc.StatusCode.UNAVAILABLE


def test_sighup_reloads_the_certificate_without_dropping_connections(
        weftd_factory: Callable[..., WeftdProcess], pki: Pki) -> None:
    server = weftd_factory(*tls_flags(pki))
    existing = secure_channel(server.address, pki.ca1)
    try:
        assert health_check(existing) == SERVING
        pki.install_server(pki.server2)
        server.proc.send_signal(signal.SIGHUP)
        wait_for_log(server, "TLS certificate reloaded")
        with secure_channel(server.address, pki.ca2) as fresh:
            assert health_check(fresh) == SERVING
        with secure_channel(server.address, pki.ca1) as stale:
            assert rpc_error(lambda: health_check(stale)).code() == grpc.StatusCode.UNAVAILABLE
        # New handshakes fail against CA1, so this works only on the connection opened before the reload.
        for _ in range(3):
            assert health_check(existing) == SERVING
        assert server.is_alive()

        # A broken certificate keeps the current one.
        (pki.dir / "server.pem").write_bytes(b"not a certificate\n")
        server.proc.send_signal(signal.SIGHUP)
        wait_for_log(server, "TLS reload failed")
        with secure_channel(server.address, pki.ca2) as fresh:
            assert health_check(fresh) == SERVING
    finally:
        existing.close()


# --- authentication ---------------------------------------------------------------------------------------------


@pytest.fixture
def token_file(pki_files: Path) -> Path:
    path = pki_files / "tokens"
    path.write_text(f"# weft tokens\nclient:{CLIENT_TOKEN}\n\nworker:{WORKER_TOKEN}\n")
    return path


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def list_workflows(channel: grpc.Channel, token: str | None) -> object:
    return workflow_pb2_grpc.WorkflowServiceStub(channel).ListWorkflows(
        workflow_pb2.ListWorkflowsRequest(), timeout=RPC_TIMEOUT, metadata=bearer(token) if token else None)


def poll_activity(channel: grpc.Channel, token: str | None) -> object:
    return worker_pb2_grpc.WorkerServiceStub(channel).PollActivity(
        worker_pb2.PollActivityRequest(), timeout=RPC_TIMEOUT, metadata=bearer(token) if token else None)


def list_services(channel: grpc.Channel, token: str | None) -> list[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                          timeout=RPC_TIMEOUT, metadata=bearer(token) if token else None)
    return [s.name for r in responses for s in r.list_services_response.service]


def test_auth_matrix(weftd_factory: Callable[..., WeftdProcess], token_file: Path) -> None:
    server = weftd_factory("--auth-tokens", str(token_file))
    with grpc.insecure_channel(server.address) as channel:
        err = rpc_error(lambda: list_workflows(channel, None))
        assert (err.code(), err.details()) == (grpc.StatusCode.UNAUTHENTICATED, "missing bearer token")
        err = rpc_error(lambda: list_workflows(channel, "not-a-token-5150"))
        assert (err.code(), err.details()) == (grpc.StatusCode.UNAUTHENTICATED, "invalid bearer token")

        list_workflows(channel, CLIENT_TOKEN)

        err = rpc_error(lambda: list_workflows(channel, WORKER_TOKEN))
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "weft.v1.WorkflowService" in err.details()
        assert WORKER_TOKEN not in err.details()

        # Past authentication, the service itself answers: the empty request names no queue.
        err = rpc_error(lambda: poll_activity(channel, WORKER_TOKEN))
        assert (err.code(), err.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "queue is empty")
        err = rpc_error(lambda: poll_activity(channel, CLIENT_TOKEN))
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        err = rpc_error(lambda: poll_activity(channel, None))
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED

        assert health_check(channel) == SERVING

        err = rpc_error(lambda: list_services(channel, None))
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "weft.v1.WorkflowService" in list_services(channel, CLIENT_TOKEN)
    log = server.log_path.read_text(errors="replace")
    for secret in (CLIENT_TOKEN, WORKER_TOKEN, "not-a-token-5150"):
        assert secret not in log


def test_auth_exempt_reflection(weftd_factory: Callable[..., WeftdProcess], token_file: Path) -> None:
    server = weftd_factory("--auth-tokens", str(token_file), "--auth-exempt-reflection")
    with grpc.insecure_channel(server.address) as channel:
        assert "weft.v1.WorkflowService" in list_services(channel, None)
        assert rpc_error(lambda: list_workflows(channel, None)).code() == grpc.StatusCode.UNAUTHENTICATED


def test_sighup_reloads_the_token_file(weftd_factory: Callable[..., WeftdProcess], token_file: Path) -> None:
    server = weftd_factory("--auth-tokens", str(token_file))
    with grpc.insecure_channel(server.address) as channel:
        list_workflows(channel, CLIENT_TOKEN)
        token_file.write_text("client:rotated-token-77\n")
        server.proc.send_signal(signal.SIGHUP)
        wait_for_log(server, "token file reloaded")
        list_workflows(channel, "rotated-token-77")
        assert rpc_error(lambda: list_workflows(channel, CLIENT_TOKEN)).code() == grpc.StatusCode.UNAUTHENTICATED
        assert server.is_alive()


def test_auth_over_tls_with_grpcurl(weftd_factory: Callable[..., WeftdProcess], pki: Pki, token_file: Path,
                                    grpcurl_bin: str) -> None:
    server = weftd_factory(*tls_flags(pki), "--auth-tokens", str(token_file))
    base = [grpcurl_bin, "-cacert", pki.path("ca1.pem")]
    denied = subprocess.run([*base, server.address, "weft.v1.WorkflowService/ListWorkflows"],
                            capture_output=True, text=True, timeout=PROCESS_TIMEOUT, stdin=subprocess.DEVNULL)
    assert denied.returncode != 0 and "Unauthenticated" in denied.stderr, denied.stderr
    allowed = subprocess.run(
        [*base, "-H", f"authorization: Bearer {CLIENT_TOKEN}", server.address, "weft.v1.WorkflowService/ListWorkflows"],
        capture_output=True, text=True, timeout=PROCESS_TIMEOUT, stdin=subprocess.DEVNULL)
    assert allowed.returncode == 0, allowed.stderr

"""The `weft` Python package's Client against a real weftd: submit/get/cancel, and `watch` surviving a broken
connection (a loopback TCP proxy cut mid-stream) by resuming with `after_sequence`: every event once, in order.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import grpc
import pytest

from conftest import WeftdProcess
from weft.client import Client
from weft.v1 import workflow_pb2 as pb


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to the server; `cut()` drops every open connection, new ones still work."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
                self.accepted += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.listener.close()
        self.cut()


@pytest.fixture
def proxy(weftd_address: str) -> Iterator[CuttableProxy]:
    p = CuttableProxy(weftd_address)
    yield p
    p.close()


def chain(count: int, ms: int) -> list[dict[str, object]]:
    return [{"id": f"t{i}", "executor": "sim", "description": f"client chain {i}",
             "depends_on": [f"t{i - 1}"] if i else [], "input": json.dumps({"duration_ms": ms})} for i in range(count)]


NO_CACHE = pb.ExecutionOptions(cache=pb.CacheOptions(disabled=True))


def test_watch_resumes_after_the_connection_breaks(proxy: CuttableProxy) -> None:
    with Client(proxy.address) as client:
        workflow_id = client.submit(chain(8, 150), options=NO_CACHE).workflow_id
        sequences: list[int] = []
        last_kind = ""
        for event in client.watch(workflow_id, reconnect_delay=0.05):
            sequences.append(event.sequence)
            last_kind = event.WhichOneof("payload") or ""
            if len(sequences) == 4:
                proxy.cut()  # mid-stream: the workflow is still running
        assert proxy.accepted >= 2, "the watch did not reconnect"
        assert sequences == list(range(1, len(sequences) + 1)), sequences
        assert last_kind == "workflow_completed"
        assert client.get(workflow_id).last_sequence == sequences[-1]


def test_watch_after_sequence_and_get_and_cancel(weftd_address: str) -> None:
    with Client(weftd_address) as client:
        done = client.submit(chain(2, 10), options=NO_CACHE).workflow_id
        everything = list(client.watch(done))
        tail = list(client.watch(done, after_sequence=3))
        assert [e.sequence for e in tail] == [e.sequence for e in everything[3:]]
        assert client.get(done).status == pb.WORKFLOW_STATUS_COMPLETED

        running = client.submit(chain(1, 60_000), options=NO_CACHE).workflow_id
        assert client.cancel(running, reason="test") == pb.WORKFLOW_STATUS_CANCELLED
        assert [e.WhichOneof("payload") for e in client.watch(running)][-1] == "workflow_cancelled"

        with pytest.raises(grpc.RpcError) as info:
            list(client.watch("no-such-workflow"))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND

"""The TCP proxy the store-outage scenario relies on: it forwards, cuts, freezes and restores."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.chaos.proxy import TcpProxy

pytestmark = [pytest.mark.chaos]


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    """A proxy in front of an echo server on 127.0.0.1."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=echo, args=(conn,), daemon=True).start()

    def echo(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(1024):
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    forwarding = TcpProxy(server.getsockname())
    forwarding.start()
    yield forwarding
    forwarding.close()
    server.close()


def roundtrip(sock: socket.socket, data: bytes = b"ping") -> bytes:
    """Send ``data`` and return what comes back."""
    sock.sendall(data)
    return sock.recv(1024)


def ended(sock: socket.socket) -> bool:
    """True when the peer closed the connection (a reset too: it had unread bytes)."""
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def test_cut_breaks_connections_and_refuses_new_ones(proxy: TcpProxy) -> None:
    """After cut() a live connection ends and connecting is refused; restore() forwards again."""
    live = socket.create_connection(proxy.address, timeout=2)
    assert roundtrip(live) == b"ping"
    proxy.cut()
    assert ended(live)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(proxy.address, timeout=2)
    proxy.restore()
    with socket.create_connection(proxy.address, timeout=2) as again:
        assert roundtrip(again) == b"ping"


def test_freeze_holds_bytes_until_restore_closes_the_frozen_connections(proxy: TcpProxy) -> None:
    """Frozen: nothing comes back, new connections hang; restore() drops them and forwards."""
    live = socket.create_connection(proxy.address, timeout=0.5)
    proxy.freeze()
    with pytest.raises(TimeoutError):
        roundtrip(live)
    late = socket.create_connection(proxy.address, timeout=0.5)  # accepted, then silent
    with pytest.raises(TimeoutError):
        roundtrip(late)
    proxy.restore()
    live.settimeout(2)
    assert ended(live)
    with socket.create_connection(proxy.address, timeout=2) as again:
        assert roundtrip(again) == b"ping"

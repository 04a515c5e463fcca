"""A TCP proxy on 127.0.0.1 that a test can cut, freeze and restore: a database that goes away.

The daemon reaches PostgreSQL through it. ``cut()`` closes every forwarded
connection and the listening socket, so connections in use break at once and
new ones are refused, as when the server stops. ``freeze()`` keeps the port
open but moves no byte either way, so queries in flight and new connections
hang, as behind a network partition. ``restore()`` ends either: frozen
connections are closed (the clients see them break, as after a fail-over)
and the port forwards again. Everything runs on daemon threads with plain
sockets, so a test process can hold several proxies.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading

from tests.receivers import free_port

__all__ = ["TcpProxy"]


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target`` until cut or frozen."""

    def __init__(self, target: tuple[str, int], port: int | None = None) -> None:
        self.target = target
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._flowing = threading.Event()  # cleared while frozen
        self._flowing.set()

    @property
    def address(self) -> tuple[str, int]:
        """Where clients connect."""
        return "127.0.0.1", self.port

    def start(self) -> None:
        """Listen (again) on the port and forward; the same as ``restore()``."""
        self.restore()

    def stop(self) -> None:
        """Stop forwarding and refuse connections; the same as ``cut()``."""
        self.cut()

    def cut(self) -> None:
        """Close every forwarded connection and the listening socket: new ones are refused."""
        with self._lock:
            listener, self._listener = self._listener, None
            pairs, self._pairs = self._pairs, []
        if listener is not None:
            # shutdown() wakes a thread blocked in accept(); close() alone may let one more in.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        _shut(pairs)

    def freeze(self) -> None:
        """Keep accepting connections but move no byte: every query hangs."""
        self._flowing.clear()

    def restore(self) -> None:
        """End a cut or a freeze: frozen connections are closed, the port forwards again."""
        if not self._flowing.is_set():
            with self._lock:
                pairs, self._pairs = self._pairs, []
            _shut(pairs)
            self._flowing.set()
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(self.address)
            listener.listen(64)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True,
                         name=f"proxy:{self.port}").start()

    def close(self) -> None:
        """Release the port and every connection for good."""
        self._flowing.set()
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # cut(): the listener was shut down
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()  # the server itself is down: so is the proxy
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    for sock in (client, upstream):
                        sock.close()
                    return
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        """Copy bytes both ways until either side closes, holding them while frozen."""
        try:
            while True:
                if not self._flowing.is_set():
                    self._flowing.wait(0.2)
                    continue
                ready, _, _ = select.select([a, b], [], [], 0.2)
                for sock in ready:
                    if not self._flowing.is_set():
                        break  # frozen between select() and recv(): leave the bytes unread
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except OSError:  # shut by cut() or restore(), or reset by a peer
            return
        finally:
            with self._lock:
                if (a, b) in self._pairs:
                    self._pairs.remove((a, b))
            _shut([(a, b)])
            a.close()
            b.close()


def _shut(pairs: list[tuple[socket.socket, socket.socket]]) -> None:
    """Shut both ends down: the peers see the connection end, and the pump wakes and exits."""
    for pair in pairs:
        for sock in pair:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

"""HTTPS transport of the Graph simulator: a threading server that does each TLS handshake
in the connection's own thread, and a handler that passes requests to `Handles.handle`."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from .wire import Reply

CHUNK = 64 * 1024


class Handles(Protocol):
    """What answers requests: the simulator."""

    def handle(
        self, method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Reply | None:
        """The answer, or None to drop the connection without one."""


class TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive client connections must not hold up stop()
    sim: Handles
    tls: ssl.SSLContext

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._live: set[ssl.SSLSocket] = set()
        self._live_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake in the connection's own thread, so a bad client blocks only itself."""
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. a client that does not trust the CA
        with self._live_lock:
            self._live.add(conn)
        try:
            cast("type[Handler]", self.RequestHandlerClass)(conn, client_address, self)
        except (ConnectionError, ssl.SSLError, TimeoutError):
            pass  # the client went away
        finally:
            with self._live_lock:
                self._live.discard(conn)
            conn.close()

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._live_lock:
            live = list(self._live)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' session expects
    server: TlsServer

    def setup(self) -> None:
        """Send each answer at once: headers and body go out as separate writes, and Nagle's
        algorithm would hold the second until the client's delayed ACK (40 ms a request)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): ", ".join(self.headers.get_all(k) or []) for k in self.headers}
        reply = self.server.sim.handle(self.command, url.path, url.query, raw, headers)
        if reply is None:  # a dropped connection: no status line, no bytes
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = reply.encode()
        if reply.status in (204, 304):
            # No body, ever (RFC 9110 15.3.5, 15.4.5): a client reads none, and bytes sent
            # anyway are read as the next answer on the connection (review rev38).
            data = b""
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", reply.content_type)
        if reply.chunked or reply.truncated:
            self._send_chunked(data, cut=reply.truncated)
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_chunked(self, data: bytes, *, cut: bool) -> None:
        """The body in chunks of at most 64 KiB; when `cut`, only the first half of it is
        sent and the connection is closed before the terminating chunk."""
        self.send_header("Transfer-Encoding", "chunked")
        if cut:  # the connection goes away after this answer: say so, as a server would
            self.send_header("Connection", "close")
        self.end_headers()
        body = data[: len(data) // 2] if cut else data
        for start in range(0, len(body), CHUNK):
            piece = body[start : start + CHUNK]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        if cut:
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(b"0\r\n\r\n")

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the simulator keeps its own request log."""

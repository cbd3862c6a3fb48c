"""How the Jira simulator is reached: HTTP, or HTTPS with a test CA, on 127.0.0.1.

The handler sends what `JiraSimulator.handle` answers; a `Broken` answer is sent as the fault
it names (no answer at all, a chunked body cut short, a captive portal's HTML page, Jira's
answer trickling in a byte at a time).
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import trustme

from ..graph.https import TlsServer
from .faults import PORTAL_PAGE, Broken

if TYPE_CHECKING:
    from .server import JiraSimulator

__all__ = ["TlsServer", "listen"]


def listen(sim: JiraSimulator, ca_path: str | None) -> ThreadingHTTPServer:
    """A server on a free port of 127.0.0.1 for `sim`; HTTPS when `ca_path` is given, with a
    CA made now (its PEM written there) and a certificate for 127.0.0.1 and localhost."""
    if ca_path is None:
        plain = _Server(("127.0.0.1", 0), _Handler)
        plain.sim = sim
        return plain
    ca = trustme.CA(organization_name="dirsync-bridge Jira simulator test CA")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca.cert_pem.write_to_path(ca_path)
    server = TlsServer(("127.0.0.1", 0), _Handler)
    server.sim, server.tls = sim, context  # type: ignore[assignment]
    return server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive client connections must not hold up stop()
    sim: JiraSimulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' session expects
    server: _Server

    def setup(self) -> None:
        """Send each answer at once: headers and body go out as separate writes, and Nagle's
        algorithm would hold the second until the client's delayed ACK (40 ms a request)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload, headers = self.server.sim.handle(
            self.command, url.path, url.query, raw, {k.lower(): v for k, v in self.headers.items()}
        )
        if isinstance(payload, Broken):
            self._broken(payload)
            return
        data = b"" if payload is None else json.dumps(payload).encode()
        if status in (204, 304):
            # No body, ever (RFC 9110 15.3.5, 15.4.5): a client reads none, and the bytes
            # sent anyway were read as the next answer on the connection (a test that
            # answered 304 with a body failed at random: "no answer", ConnectionError).
            data = b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _broken(self, answer: Broken) -> None:
        # The connection closes after a broken answer; saying so (Connection: close) keeps
        # a client from sending its next request down a socket that is about to go away,
        # which would make the *next* request fail at random instead of this one.
        self.close_connection = True
        if answer.how == "html":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PORTAL_PAGE)))
            self.end_headers()
            self.wfile.write(PORTAL_PAGE)
            return
        if answer.how == "trickle":
            self.send_response(answer.status)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up waiting: it closed
                for byte in answer.body:  # each byte its own chunk, each well within a read
                    self.wfile.write(b"1\r\n%s\r\n" % bytes([byte]))
                    self.wfile.flush()
                    time.sleep(self.server.sim.faults.trickle_every)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            return
        if answer.how == "chunked":
            # A chunk that promises 0x40 bytes and delivers a few: IncompleteRead for the client.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b'40\r\n{"id": "1000')
            self.wfile.flush()
        with contextlib.suppress(OSError):  # "drop", or the end of the cut body
            self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is `JiraSimulator.log`."""

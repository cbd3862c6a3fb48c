"""``[graph] timeout`` bounds a whole compressed answer too (review rev39).

rev37 bounds each Graph answer as a whole by reading it ``read1`` at a time and checking
the deadline between reads. With ``Content-Encoding: gzip``, urllib3's ``read1`` reads on
until the decompressor gives something: a gzip header trickling in (its file name a byte at
a time, each byte within the timeout) held the pass far past the deadline, the deadline
never checked. A tiny server on 127.0.0.1 plays the proxy; the session is the real one.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from dirsync_bridge.graph.wire import Session
from dirsync_bridge.http_bodies import MIN_RATE, arrivals

TRICKLE_SECONDS = 8.0
DEADLINE = 1.0


class _GzipHeaderTrickle(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        head = b"\x1f\x8b\x08\x08" + b"\0" * 6  # FNAME: a NUL-ended file name follows
        self.wfile.write(b"%x\r\n%s\r\n" % (len(head), head))
        self.wfile.flush()
        try:
            for _ in range(int(TRICKLE_SECONDS / 0.2)):  # the name, a byte every 0.2 s
                self.wfile.write(b"1\r\na\r\n")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up: as it should


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _GzipHeaderTrickle)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_gzip_answer_trickling_in_is_a_timeout_within_the_deadline(server: str) -> None:
    session = Session(False, DEADLINE, "[graph] url", server)
    began = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        session.get(f"{server}/v1.0/users")
    took = time.monotonic() - began
    assert took < TRICKLE_SECONDS / 2, f"held {took:.1f} s with a {DEADLINE} s timeout"


class _Gzipped(BaseHTTPRequestHandler):
    """A whole gzip answer, chunked, its pieces apart: read and decoded as ever."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        body = gzip.compress(json.dumps({"value": ["x" * 200_000]}).encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 100):
            piece = body[start : start + 100]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def test_a_gzip_answer_within_the_deadline_is_decoded_whole() -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Gzipped)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        root = f"http://127.0.0.1:{httpd.server_port}"
        answer = Session(False, 5.0, "[graph] url", root).get(f"{root}/v1.0/users")
        assert answer.json() == {"value": ["x" * 200_000]}
        # A streamed download, read as it arrives (``arrivals``), is decoded too.
        streamed = Session(False, 5.0, "[graph] url", root).get(f"{root}/v1.0/users", stream=True)
        body = b"".join(arrivals(streamed, 5.0, rate=MIN_RATE))
        assert json.loads(body) == {"value": ["x" * 200_000]}
    finally:
        httpd.shutdown()
        httpd.server_close()

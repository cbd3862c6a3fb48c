"""The whole-body deadline of ``http_bodies``, against a real HTTP server on 127.0.0.1: a body
sent steadily faster than ``MIN_RATE`` is read however long it takes past ``seconds``; a
trickle is a ``ReadTimeout`` soon after ``seconds``, whatever each read waits."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from dirsync_bridge.http_bodies import CHUNK, MAX_ANSWER, MIN_RATE, arrivals, read_within

PIECE = 16 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        # /steady: 256 KiB in 16 KiB pieces, 0.1 s apart (160 KiB/s, 1.6 s in all);
        # /trickle: a byte every 0.05 s, 100 of them (5 s in all).
        pieces = [b"x" * PIECE] * 16 if self.path == "/steady" else [b"y"] * 100
        pause = 0.1 if self.path == "/steady" else 0.05
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for piece in pieces:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
                time.sleep(pause)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client gave up

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_large_body_on_a_slow_steady_link_gets_its_time(server: str) -> None:
    """1.6 s for 256 KiB against ``seconds`` = 0.5: within 0.5 s + 256 KiB / MIN_RATE."""
    assert MIN_RATE < 160 * 1024  # the link is faster than the floor
    with requests.get(f"{server}/steady", stream=True, timeout=5) as response:
        body = b"".join(arrivals(response, 0.5, rate=MIN_RATE))
    assert len(body) == 16 * PIECE


def test_the_same_body_as_one_answer_is_late(server: str) -> None:
    """Without a rate (a JSON answer), the same body is late after 0.5 s."""
    with (
        requests.get(f"{server}/steady", stream=True, timeout=5) as response,
        pytest.raises(requests.ReadTimeout),
    ):
        read_within(response, 0.5)


def test_a_trickle_is_late_soon_after_its_seconds(server: str) -> None:
    began = time.monotonic()
    with (
        requests.get(f"{server}/trickle", stream=True, timeout=5) as response,
        pytest.raises(requests.ReadTimeout),
    ):
        b"".join(arrivals(response, 0.5, rate=MIN_RATE))
    assert time.monotonic() - began < 2.5  # not the 5 s the whole trickle takes


# 64 MiB of zeros, gzipped twice: a few hundred bytes on the wire (review rev40).
_BOMB = gzip.compress(gzip.compress(bytes(64 * 1024 * 1024), 9), 9)
_MESSAGE = b"From: a@example.com\r\nSubject: x\r\n\r\n" + b"a report line\r\n" * 4000
_GZIP = gzip.compress(_MESSAGE)
_ZLIB = zlib.compress(_MESSAGE)
_RAW = zlib.compressobj(wbits=-zlib.MAX_WBITS)
_RAW_DEFLATE = _RAW.compress(_MESSAGE) + _RAW.flush()
_WHOLE = {  # each decodes to _MESSAGE, as requests reads it
    "/gzip": ("gzip", _GZIP),
    "/gzip-junk-after": ("gzip", _GZIP + b"\x00\x00junk"),
    "/gzip-newline-after": ("gzip", _GZIP + b"\n"),
    "/zlib": ("deflate", _ZLIB),
    "/raw-deflate": ("deflate", _RAW_DEFLATE),
    "/gzip-gzip": ("gzip, gzip", gzip.compress(_GZIP)),
}
_CUT = {  # compressed streams that end before their end, the HTTP body whole
    "/gzip-half": ("gzip", _GZIP[: len(_GZIP) // 2]),
    "/gzip-no-trailer": ("gzip", _GZIP[:-8]),
    "/zlib-no-checksum": ("deflate", _ZLIB[:-4]),
    "/raw-deflate-half": ("deflate", _RAW_DEFLATE[: len(_RAW_DEFLATE) // 2]),
    "/gzip-gzip-inner-cut": ("gzip, gzip", gzip.compress(_GZIP[:-8])),
}


def _zeros_gzipped(size: int) -> bytes:
    """``size`` zero bytes gzipped, made a MiB at a time (never all in memory)."""
    packer = zlib.compressobj(9, wbits=16 + zlib.MAX_WBITS)
    mib = bytes(1024 * 1024)
    return b"".join(packer.compress(mib) for _ in range(size // len(mib))) + packer.flush()


_ENCODED = {
    **_WHOLE,
    # A JSON answer (Graph's page, Jira's search) of a few kilobytes decoding past the limit.
    "/answer-bomb": ("gzip, gzip", gzip.compress(_zeros_gzipped(MAX_ANSWER + 1024 * 1024))),
    **_CUT,
    "/empty": ("gzip", b""),
    "/bomb": ("gzip, gzip", _BOMB),
    "/six": ("gzip, gzip, gzip, gzip, gzip, gzip", b"{}"),
    "/unknown": ("x-custom, x-other", b'{"a": 1}'),
}


class _Encoded(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        encoding, body = _ENCODED[self.path]
        self.send_response(200)
        self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def encoded() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Encoded)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_compressed_bomb_is_decoded_in_bounded_pieces(encoded: str) -> None:
    """A caller's limit (a message's max_message_bytes) sees the body as it decodes: the
    bomb's hundreds of bytes came as one piece of 64 MiB, and a larger one takes gigabytes."""
    assert len(_BOMB) < 10_000
    seen = 0
    with requests.get(f"{encoded}/bomb", stream=True, timeout=5) as response:
        for piece in arrivals(response, 5, rate=MIN_RATE):
            assert len(piece) <= CHUNK
            seen += len(piece)
            if seen > 1024 * 1024:
                break  # as the caller's limit stops it
    assert seen > 1024 * 1024


def test_too_many_encodings_is_an_undecodable_answer_as_requests_says(encoded: str) -> None:
    # urllib3 refuses a chain of six: requests' own exception, as requests raises it, not
    # urllib3's (which no caller catches).
    with (
        requests.get(f"{encoded}/six", stream=True, timeout=5) as response,
        pytest.raises(requests.exceptions.ContentDecodingError),
    ):
        read_within(response, 5)


def test_a_list_of_unknown_encodings_is_read_as_it_came(encoded: str) -> None:
    assert requests.get(f"{encoded}/unknown", timeout=5).content == b'{"a": 1}'  # requests'
    with requests.get(f"{encoded}/unknown", stream=True, timeout=5) as response:
        read_within(response, 5)
        assert response.content == b'{"a": 1}'


@pytest.mark.parametrize("path", sorted(_WHOLE))
def test_a_whole_compressed_answer_is_read_as_requests_reads_it(encoded: str, path: str) -> None:
    assert requests.get(f"{encoded}{path}", timeout=5).content == _MESSAGE
    with requests.get(f"{encoded}{path}", stream=True, timeout=5) as response:
        read_within(response, 5)
        assert response.content == _MESSAGE


def test_an_empty_answer_with_an_encoding_is_empty(encoded: str) -> None:
    with requests.get(f"{encoded}/empty", stream=True, timeout=5) as response:
        read_within(response, 5)
        assert response.content == b""


@pytest.mark.parametrize("path", sorted(_CUT))
def test_a_compressed_answer_cut_short_is_undecodable_never_read_half(
    encoded: str, path: str
) -> None:
    """A compressed stream that ends before its end (a gateway cutting a close-delimited
    body, a server's broken gzip) was read as whole, as requests reads it: half a message,
    or one whose gzip checksum was never checked (review rev41)."""
    with (
        requests.get(f"{encoded}{path}", stream=True, timeout=5) as response,
        pytest.raises(requests.exceptions.ContentDecodingError, match="ends before"),
    ):
        b"".join(arrivals(response, 5, rate=MIN_RATE))


def test_a_whole_answer_decoding_past_its_limit_is_refused_as_it_decodes(encoded: str) -> None:
    """``read_within`` (every JSON answer, Graph's and Jira's) had no limit: a bomb of a few
    kilobytes (``gzip, gzip``) was decoded whole into memory, a gigabyte or a terabyte,
    whatever the 64 KiB pieces (review rev41)."""
    with (
        requests.get(f"{encoded}/answer-bomb", stream=True, timeout=5) as response,
        pytest.raises(requests.exceptions.ContentDecodingError, match="more than"),
    ):
        assert int(response.headers["Content-Length"]) < 1024 * 1024
        read_within(response, 30)

"""An HTTP answer's body read under a deadline on the whole of it, for Graph and Jira alike.

requests' ``timeout`` bounds every single read of a socket, never an answer: a stalled
proxy (or a server) that sends a body a byte at a time, each well within it, passes every
read and holds the pass, and its run lock, for hours (found by hostile review rev37). Here
the body is read with ``read1``, which returns whatever has come, so the deadline is
checked between arrivals (``iter_content`` blocks until a whole chunk is in); a late body
is ``requests.ReadTimeout``, which both clients already retry as a timeout.

Kept out of ``graph`` and ``sinks`` so that neither imports the other.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Final

import requests
import urllib3
import urllib3.response

CHUNK: Final = 64 * 1024
"""The most read at once."""

MAX_ANSWER: Final = 64 * 1024 * 1024
"""The most a whole answer (``read_within``: a page of a listing or a search, a token) may
decode to: ten times the largest page asked for, and a bound on what a bomb of a few
kilobytes (``gzip, gzip``) can take in memory."""

MIN_RATE: Final = 64 * 1024
"""Bytes a second a streamed download (a message's ``/$value``) must average past its
first ``timeout`` seconds: a 25 MiB message may take ``timeout`` + 400 s, however slow the
link that still moves it; a body slower than this is a stalled link, not a large message."""


def arrivals(
    response: requests.Response, seconds: float, *, rate: float | None = None
) -> Iterator[bytes]:
    """The body of a streamed ``response``, each piece as it arrives; ``ReadTimeout`` when
    it is still coming ``seconds`` after its headers, plus, with ``rate``, one second for
    every ``rate`` bytes received so far (a large body on a slow link is given its time, a
    trickle is not). Failures are requests' own exceptions, as ``iter_content`` raises them.
    """
    start = time.monotonic()
    received = 0
    try:
        decoder = _decoder(response)
    except urllib3.exceptions.DecodeError as exc:  # six encodings and more, say
        response.close()
        raise requests.exceptions.ContentDecodingError(exc) from None
    while True:
        try:
            # Undecoded: a compressed body's ``read1`` would read on until its decompressor
            # gives something, and a gzip header trickling in (its file name a byte at a
            # time) was never checked against the deadline (review rev39). Decoded here.
            chunk = response.raw.read1(CHUNK, decode_content=False)
        except urllib3.exceptions.ProtocolError as exc:  # a body cut mid-chunk
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # a read timeout, say
            raise requests.ConnectionError(exc) from None
        if not chunk:
            if decoder is not None:
                yield _decoded(decoder.flush)
                if received and not _ended(decoder):
                    # urllib3 reads such a stream as whole (review rev41): half a message,
                    # or one whose checksum was never seen, read as the message.
                    raise requests.exceptions.ContentDecodingError(
                        f"the compressed answer ends before its stream does ({received} bytes)"
                    )
            return
        received += len(chunk)
        allowed = seconds + (received / rate if rate else 0.0)
        if time.monotonic() - start > allowed:
            response.close()
            raise requests.ReadTimeout(
                f"the answer was still coming in after {allowed:.0f} s "
                f"({received} bytes; timeout {seconds:g} s)"
            )
        if decoder is None:
            yield chunk
        else:
            yield from _pieces(decoder, chunk)


def _decoder(response: requests.Response) -> Any:
    """The decoder urllib3 would use for the answer's ``Content-Encoding`` (None: none)."""
    raw = response.raw
    encoding = str(raw.headers.get("content-encoding", "")).lower()
    # As urllib3 decides: a list is decoded when one of its names is known (review rev40: a
    # list of unknown ones was decoded as deflate, a plain JSON answer "undecodable").
    known = raw.CONTENT_DECODERS
    if encoding not in known and not any(e.strip() in known for e in encoding.split(",")):
        return None
    return urllib3.response._get_decoder(encoding)  # urllib3 keeps it private; 1.x and 2.x


def _ended(decoder: Any) -> bool:
    """Whether urllib3's ``decoder`` met the end of its stream (its checksum checked, for
    gzip and zlib); urllib3 never asks, and keeps the zlib object private."""
    inner = getattr(decoder, "_decoders", None)  # a MultiDecoder's, one per encoding
    if inner is not None:
        return all(_ended(one) for one in inner)
    if getattr(decoder, "_state", 0) != urllib3.response.GzipDecoderState.FIRST_MEMBER:
        return True  # past a whole gzip member: what follows (junk, a newline) urllib3 drops
    return bool(getattr(getattr(decoder, "_obj", None), "eof", True))  # brotli: no eof here


def _pieces(decoder: Any, chunk: bytes) -> Iterator[bytes]:
    """``chunk`` decoded, at most ``CHUNK`` bytes a piece where urllib3 can bound it (2.6
    and later): 824 bytes of gzip in gzip decoded to 400 MB at once, before a caller's limit
    saw any of it (review rev40); urllib3's own reads bound each piece so."""
    if not hasattr(decoder, "has_unconsumed_tail"):
        yield _decoded(decoder.decompress, chunk)  # an older urllib3: no bound to ask for
        return
    yield _decoded(decoder.decompress, chunk, CHUNK)
    while decoder.has_unconsumed_tail:
        piece = _decoded(decoder.decompress, b"", CHUNK)
        if not piece:
            return  # no progress (a decoder past its end): never loop on it
        yield piece


def _decoded(decode: Callable[..., bytes], *data: Any) -> bytes:
    try:
        return decode(*data)
    except (urllib3.exceptions.DecodeError, zlib.error, OSError) as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None


def read_within(response: requests.Response, seconds: float) -> None:
    """Read the whole body of a streamed ``response`` now, within ``seconds`` of its
    headers (``arrivals``); it is then ``response.content``, as without ``stream``. More
    than ``MAX_ANSWER`` bytes is ``ContentDecodingError``: an answer that cannot be read."""
    parts: list[bytes] = []
    size = 0
    try:
        for piece in arrivals(response, seconds):
            size += len(piece)
            if size > MAX_ANSWER:  # as it decodes: a bomb is never held whole (review rev41)
                raise requests.exceptions.ContentDecodingError(
                    f"the answer decodes to more than {MAX_ANSWER} bytes"
                )
            parts.append(piece)
    except requests.RequestException:
        response.close()
        raise
    response._content = b"".join(parts)


def whole_within(seconds: float) -> Callable[..., None]:
    """A response hook for a session whose requests are not streamed: the hook runs before
    requests reads the body (``Session.send``), so reading it here bounds the whole answer
    by ``seconds``. A streamed request (``stream=True``) is left to its reader."""

    def hook(response: requests.Response, *args: object, **kwargs: object) -> None:
        if not kwargs.get("stream"):
            read_within(response, seconds)

    return hook

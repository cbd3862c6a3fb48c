"""The MIME layer: the single-part shortcut, and bodies decoded in pieces, read exactly what
the full stdlib parse and a whole decode read."""

from __future__ import annotations

import email
import quopri
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dirsync_bridge.parse.mime import read_envelope, read_parts

from ..conftest import REPORTS

FIXTURES = sorted(p for p in REPORTS.glob("*.eml") if p.stat().st_size)
# Multipart messages always take the full parse: only single-part ones have two paths.
SINGLE_PART = [
    p
    for p in FIXTURES
    if email.message_from_bytes(p.read_bytes()).get_content_maintype()
    not in ("multipart", "message")
]


def _decoded(part: email.message.Message) -> str:
    # What the parser read before bodies were decoded in pieces: the stdlib's payload, then
    # the declared charset, UTF-8, windows-1252, and UTF-8 with replacements.
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    declared = part.get_content_charset()
    for charset in ((declared,) if declared else ()) + ("utf-8", "windows-1252"):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def _full_parse_bodies(raw: bytes) -> tuple[list[str], list[str]]:
    message = email.message_from_bytes(raw)
    html, plain = [], []
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        if part.get_content_type() == "text/html":
            html.append(_decoded(part))
        elif part.get_content_type() == "text/plain":
            plain.append(_decoded(part))
    return html, plain


@pytest.mark.parametrize("path", SINGLE_PART, ids=lambda p: p.stem)
def test_single_part_bodies_match_the_full_stdlib_parse(path: Path) -> None:
    raw = path.read_bytes()
    parts = read_parts(raw)
    bodies = [p.text() for p in parts.html], [p.text() for p in parts.plain]
    assert bodies == _full_parse_bodies(raw)


def test_at_least_half_the_fixtures_are_single_part() -> None:
    # Guards the test above against silently comparing nothing.
    assert len(SINGLE_PART) >= len(FIXTURES) // 2


def test_folded_subject_is_unfolded_and_from_is_lower_cased() -> None:
    raw = (
        b"From: Team <MSOnlineServicesTeam@MicrosoftOnline.com>\r\n"
        b"Subject: Directory Synchronization Error Report:\r\n Monday, 09 December 2019\r\n\r\nx"
    )
    envelope = read_envelope(raw)
    assert envelope.subject == "Directory Synchronization Error Report: Monday, 09 December 2019"
    assert envelope.senders == ["msonlineservicesteam@microsoftonline.com"]


def test_undeclared_8bit_falls_back_to_windows_1252() -> None:
    raw = b"Subject: x\r\nContent-Type: text/plain\r\n\r\ncompany\x92s quota"
    assert [p.text() for p in read_parts(raw).plain] == ["company\u2019s quota"]


def test_a_single_part_body_is_read_from_the_messages_own_bytes() -> None:
    raw = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    [html] = read_parts(raw).html
    assert html.data is raw  # not a copy: the body is decoded from it a piece at a time


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=600),
    noise=st.lists(st.sampled_from([b"=", b"=\r\n", b"=4", b"=ZZ", b"\r", b" \n", b"\xff"])),
    piece=st.integers(1, 80),
    charset=st.sampled_from(
        [
            "utf-8",
            "windows-1252",
            "us-ascii",
            "iso-8859-15",
            "koi8-r",
            "mac-roman",
            "utf-16",
            "shift_jis",
            "utf-8-sig",
            "x-unknown",
            "base64",
        ]
    ),
)
def test_bodies_decoded_in_pieces_read_what_a_whole_decode_reads(
    text: str, noise: list[bytes], piece: int, charset: str
) -> None:
    # Quoted-printable cut into pieces at line ends, soft breaks and broken escapes
    # included; charsets that fail part-way; all against the stdlib's whole decode.
    body = quopri.encodestring(text.encode("utf-8")) + b"".join(noise)
    for cte in ("quoted-printable", "8bit"):
        raw = (
            f"Subject: x\r\nContent-Type: text/plain; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n\r\n"
        ).encode() + body
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("dirsync_bridge.parse.mime._PIECE_BYTES", piece)
            [part] = read_parts(raw).plain
            assert part.text() == _decoded(email.message_from_bytes(raw))

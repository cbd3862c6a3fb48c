"""mbox archives as other tools write them (from the rev21 review): a byte order mark or
blank lines before the first envelope line, and an mbox inside a folder that is walked.

Before: an archive starting with a UTF-8 BOM (PowerShell 5.1's ``Out-File -Encoding utf8``)
or a blank line (LF or CRLF: a ``cat`` of files each ending in one) was read as one message
and rejected ``not-email``, none of its good reports ticketed; and a folder walk skipped
``*.mbox`` without a word. The first four shapes are controls that always passed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dirsync_bridge.sources.files import read_paths

from ..conftest import REPORTS
from .test_cli_input_edges import cli

GOOD = ["aadsync_th_thead.eml", "aadsync_td_bold_headers.eml", "aadconnect_extra_columns.eml"]
ENVELOPE = b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024"


def mbox(sep: bytes = b"\n", extra: list[bytes] | None = None) -> bytes:
    """The ``GOOD`` reports (then ``extra``) as one mbox, lines ending in ``sep``."""
    messages = [(REPORTS / name).read_bytes().replace(b"\r\n", b"\n") for name in GOOD]
    out = b""
    for message in messages + (extra or []):
        out += ENVELOPE + sep + message.replace(b"\n", sep).rstrip(sep) + sep + sep
    return out


def parsed(tmp_path: Path, path: Path) -> list[dict[str, object]]:
    """What ``parse --format json PATH`` read."""
    done = cli(tmp_path, "parse", "--format", "json", str(path))
    assert "Traceback" not in done.stderr
    items: list[dict[str, object]] = json.loads(done.stdout)
    return items


SHAPES = {
    "lf": lambda: mbox(),
    "crlf": lambda: mbox(b"\r\n"),
    "no-final-newline": lambda: mbox().rstrip(b"\n"),
    "mixed-bad": lambda: mbox(extra=[b"", b"garbage\n", b"\x00\x01\n"]),
    "utf8-bom": lambda: b"\xef\xbb\xbf" + mbox(),
    "leading-blank-line": lambda: b"\n" + mbox(),
    "leading-crlf-blank-line": lambda: b"\r\n" + mbox(b"\r\n"),
    "bom-then-blank-lines": lambda: b"\xef\xbb\xbf\n \n\r\n" + mbox(),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_good_message_of_an_mbox_is_parsed(tmp_path: Path, shape: str) -> None:
    path = tmp_path / "archive.mbox"
    path.write_bytes(SHAPES[shape]())
    items = parsed(tmp_path, path)
    good = [i["source"] for i in items if i["status"] == "parsed"]
    assert good == [f"{path}#{n}" for n in (1, 2, 3)], [(i["source"], i["reason"]) for i in items]


def test_an_mbox_in_a_folder_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "one.eml").write_bytes((REPORTS / "aadsync_th_thead.eml").read_bytes())
    (folder / "2019.mbox").write_bytes(mbox())
    items = parsed(tmp_path, folder)
    sources = [(i["source"], i["status"]) for i in items]
    assert sources == [(f"{folder}/2019.mbox#{n}", "parsed") for n in (1, 2, 3)] + [
        (f"{folder}/one.eml", "parsed")
    ]


def test_a_folder_holding_only_an_mbox_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    (folder / "2019").mkdir(parents=True)
    (folder / "2019" / "Archive.MBOX").write_bytes(b"\xef\xbb\xbf" + mbox())
    items = parsed(tmp_path, folder)
    assert [i["status"] for i in items] == ["parsed"] * 3, items


def test_a_cr_only_mbox_is_named_for_its_line_ends_not_called_empty(tmp_path: Path) -> None:
    """rev25 (7): lines ending in CR alone (classic Mac OS, some exporters) split into no
    lines: the archive was read as one envelope line and one empty message, and rejected
    "empty: the input is empty", a false reason hiding its three reports."""
    path = tmp_path / "cr.mbox"
    path.write_bytes(mbox(b"\r"))
    items = list(read_paths([path], 25 * 2**20))
    assert [(type(i).__name__, getattr(i, "code", None)) for i in items] == [
        ("Rejected", "unreadable")
    ]
    assert "CR only" in items[0].detail  # type: ignore[union-attr]


def test_the_cr_only_mbox_reason_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "cr.mbox").write_bytes(mbox(b"\r"))
    done = cli(tmp_path, "parse", "cr.mbox")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "dirsync-bridge: rejected cr.mbox: unreadable: an mbox whose lines end in CR only "
        "(classic Mac OS), so no message can be told apart; convert the line ends to LF "
        "first: tr '\\r' '\\n' < IN > OUT.mbox"
    ], done.stderr


def test_a_cr_inside_an_lf_mbox_is_data_not_a_line_end(tmp_path: Path) -> None:
    """The control: a stray CR after the envelope line's first LF changes nothing."""
    path = tmp_path / "archive.mbox"
    path.write_bytes(mbox(extra=[b"Subject: x\r y\n\nbody\r\n"]))
    items = parsed(tmp_path, path)
    assert [i["status"] for i in items][:3] == ["parsed"] * 3, items

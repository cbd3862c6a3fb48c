"""Reading saved mail from disk: regular files only, a bounded read, safe names.

Every input here is real: a FIFO made with ``mkfifo``, a socket bound in the directory, links
to ``/dev/zero`` and to a ``/proc`` file whose size ``stat`` does not know, names made of
bytes that are not UTF-8.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dirsync_bridge.models import Rejected
from dirsync_bridge.ports import RawMessage
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sources.files import FileSource, printable, read_paths

from ..conftest import REPORTS

REPORT = REPORTS / "aadsync_th_thead.eml"
LIMIT = 1 << 20


def read(*paths: Path, limit: int = LIMIT) -> list[RawMessage | Rejected]:
    return list(read_paths(paths, limit))


def reasons(items: list[RawMessage | Rejected]) -> dict[str, str]:
    return {Path(i.source).name: i.reason if isinstance(i, Rejected) else "read" for i in items}


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "good.eml").write_bytes(REPORT.read_bytes())
    return folder


def test_a_fifo_is_rejected_without_waiting_for_a_writer(inbox: Path) -> None:
    os.mkfifo(inbox / "x.eml")
    found = reasons(read(inbox))
    assert found["good.eml"] == "read"
    assert found["x.eml"] == "unreadable: not a regular file (a FIFO); only files are read"


def test_a_link_to_dev_zero_is_rejected_without_reading_it(inbox: Path) -> None:
    (inbox / "zero.eml").symlink_to("/dev/zero")
    (found,) = read(inbox / "zero.eml")
    assert isinstance(found, Rejected)
    assert found.reason == (
        "unreadable: not a regular file (a character device); only files are read"
    )


def test_a_socket_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "s.eml"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        (found,) = read(path)
    assert isinstance(found, Rejected) and found.code == "unreadable"


def test_a_directory_named_like_a_report_is_not_read_as_one(inbox: Path) -> None:
    (inbox / "folder.eml").mkdir()
    assert reasons(read(inbox)) == {"good.eml": "read"}


def test_the_size_limit_holds_while_reading_when_stat_does_not_know_the_size(
    tmp_path: Path,
) -> None:
    # /proc files are regular files that stat as 0 bytes: only the read can tell.
    maps = Path(f"/proc/{os.getpid()}/maps")
    assert maps.stat().st_size == 0 and len(maps.read_bytes()) > 200
    link = tmp_path / "maps.eml"
    link.symlink_to(maps)
    (found,) = read(link, limit=100)
    assert isinstance(found, Rejected)
    assert found.reason == "too-large: the message is over [parse] max_message_bytes (100)"


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    data = REPORT.read_bytes()
    path = tmp_path / "r.eml"
    path.write_bytes(data)
    (exact,) = read(path, limit=len(data))
    assert isinstance(exact, RawMessage) and exact.data == data
    (over,) = read(path, limit=len(data) - 1)
    assert isinstance(over, Rejected) and over.code == "too-large"


def test_a_file_over_the_limit_is_counted_rejected_as_stderr_names_it(tmp_path: Path) -> None:
    """stderr says "rejected ...: too-large": the summary line counts it rejected too, and
    a file that cannot be opened stays unreadable."""
    data = REPORT.read_bytes()
    (tmp_path / "big.eml").write_bytes(data)
    summary = RunSummary()
    source = FileSource([tmp_path / "big.eml", tmp_path / "gone.eml"], len(data) - 1)
    assert list(source.messages(summary)) == []
    assert [p.code for p in summary.problems] == ["too-large", "unreadable"]
    assert (summary.rejected, summary.unreadable) == (1, 1)


def test_a_symlink_loop_in_a_directory_is_walked_once(inbox: Path) -> None:
    (inbox / "loop").symlink_to(inbox)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "up").symlink_to("..")
    (inbox / "a.eml").symlink_to("b.eml")
    (inbox / "b.eml").symlink_to("a.eml")
    found = reasons(read(inbox))
    assert found["good.eml"] == "read"
    assert found["a.eml"].startswith("unreadable: cannot read the file: ")
    assert len(found) == 3


def test_a_link_to_a_regular_file_is_read(inbox: Path) -> None:
    (inbox / "link.eml").symlink_to(REPORT)
    assert reasons(read(inbox))["link.eml"] == "read"


# ---------------------------------------------------------------------------------------------
# Names that are not UTF-8


def test_printable_escapes_undecodable_bytes_and_control_characters() -> None:
    assert printable(Path(os.fsdecode(b"in/bad\xff.eml"))) == "in/bad\\xff.eml"
    assert printable("new\nline\x1b[31m.eml") == "new\\x0aline\\x1b[31m.eml"
    assert printable("caf\u00e9.eml") == "caf\u00e9.eml"


@pytest.fixture
def badly_named(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "mail"
    folder.mkdir()
    path = Path(os.fsdecode(bytes(folder) + b"/bad\xff\xfe.eml"))
    path.write_bytes(REPORT.read_bytes())
    yield path


def test_a_name_that_is_not_utf8_is_read_and_named_printably(badly_named: Path) -> None:
    (found,) = read(badly_named.parent)
    assert isinstance(found, RawMessage)
    assert found.source.endswith("/bad\\xff\\xfe.eml")
    found.source.encode("utf-8")  # storable, printable, JSON-encodable as UTF-8
    json.dumps(found.source, ensure_ascii=False).encode("utf-8")


def test_a_rejected_name_that_is_not_utf8_is_named_printably(tmp_path: Path) -> None:
    path = Path(os.fsdecode(bytes(tmp_path) + b"/\xff.eml"))
    os.mkfifo(path)
    (found,) = read(path)
    assert isinstance(found, Rejected) and found.source.endswith("/\\xff.eml")
    found.to_json_dict()["source"].encode("utf-8")


def test_an_mbox_message_over_the_limit_is_rejected_and_the_others_are_read(
    tmp_path: Path,
) -> None:
    small, big = b"Subject: a\n\nshort\n", b"Subject: b\n\n" + b"x" * 5000 + b"\n"
    mbox = tmp_path / "archive.mbox"
    mbox.write_bytes(
        b"".join(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2015\n" + m for m in (small, big, small))
    )
    found = read(mbox, limit=1000)
    assert [type(i).__name__ for i in found] == ["RawMessage", "Rejected", "RawMessage"]
    assert isinstance(found[1], Rejected) and found[1].source == f"{mbox}#2"
    assert found[1].reason == "too-large: the message is over [parse] max_message_bytes (1000)"


def nest(top: Path, depth: int, bottom: bytes) -> None:
    """``top/d/d/.../d/bottom.eml``, ``depth`` folders deep, made one folder at a time from
    an open descriptor: no path is ever spelled out whole, however long it gets."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("bottom.eml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, bottom)
        os.close(out)
    finally:
        os.close(fd)


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    top = tmp_path / "deep"
    top.mkdir()
    (top / "top.eml").write_bytes(REPORT.read_bytes())
    yield top
    # shutil.rmtree (pytest's clean-up) recurses once per folder: rm walks with descriptors.
    subprocess.run(["rm", "-rf", str(top)], check=True)


def test_a_folder_nested_a_thousand_deep_is_walked_whole(deep: Path) -> None:
    nest(deep, 1_100, REPORT.read_bytes())  # 2,200 characters of path: under PATH_MAX
    found = read(deep)
    assert reasons(found) == {"top.eml": "read", "bottom.eml": "read"}


def test_a_folder_too_deep_to_be_named_is_rejected_by_name_and_the_rest_read(
    deep: Path,
) -> None:
    nest(deep, 2_100, REPORT.read_bytes())  # 4,200 characters: past PATH_MAX (4,096)
    found = read(deep)
    (unlisted,) = [item for item in found if isinstance(item, Rejected)]
    assert unlisted.source.startswith(f"{deep}/d/d/d/")
    assert unlisted.reason == "unreadable: cannot list the directory: File name too long"
    assert [Path(item.source).name for item in found if isinstance(item, RawMessage)] == ["top.eml"]

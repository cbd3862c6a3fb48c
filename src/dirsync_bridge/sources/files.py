"""Saved inputs: ``.eml`` files, mbox archives, Connect Sync export files, and directories.

What a file is, is decided by its content (``parse.detect``, ``mbox.is_mbox``), never by its
name; a directory walk picks up ``*.eml``, ``*.mbox``, ``*.xml`` and ``*.evtx`` files (it has
to choose by name, or read every file it meets), each then read by what it holds. An mbox
without the extension (Thunderbird's ``Inbox``) is read when named itself. Each export file
is one report, known by the sha256 of its bytes.

Messages are read one at a time (each message of an mbox read as the scan finds it), so a
large archive costs memory for one message, not for the archive, however many it holds. A
file that cannot be used becomes a ``Rejected`` with its reason, and the rest of the run goes
on.

Only regular files are read (a link to one is followed). A FIFO, socket or device, or a
link to one, is rejected without being read: it is opened with ``O_NONBLOCK`` (so that a
FIFO with no writer cannot block) and judged by ``fstat`` of the open descriptor, never by a
``stat`` of the name that could be swapped in between. No more than
``max_message_bytes + 1`` bytes are ever read from a file, whatever its size claims to be.
Directory walks do not follow links to directories, so a link loop is walked once; they
keep no state on Python's stack, so no depth of folders is too deep.

A name is shown, logged and stored in its ``printable`` form: bytes that are not UTF-8
and control characters become backslash escapes.

The path ``-`` is one message read from standard input (bounded as a file is), named
``<stdin>``. Outlook's ``.msg`` files (OLE compound files, not MIME) are not read: each one
given, and each folder holding some, gets one line saying how to save them as ``.eml``.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final

from ..models import ParseResult, Rejected, Report
from ..parse.detect import read_input
from ..parse.message import ParseSettings
from ..parse.parsed_report import ParsedReport
from ..parse.tenants import TenantRules
from ..parse.trust import TrustPolicy
from ..raw_message import RawMessage
from . import mbox

if TYPE_CHECKING:  # named in signatures only: ``parse`` need not build the ports' models
    from ..ports import Outcome, Progress
    from ..run_summary import RunSummary

_WALKED = (".eml", ".mbox", ".xml", ".evtx")
"""What a directory walk reads: report emails, mbox archives of them (``replay FILE.mbox``
reads one: a folder holding it must not skip it unsaid) and the export files (csexport,
event logs)."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_READ_CHUNK = 1 << 20
STDIN: Final = "-"
STDIN_SOURCE: Final = "<stdin>"
_OLE_MAGIC: Final = bytes.fromhex("D0CF11E0A1B11AE1")
"""The first bytes of an OLE compound file: what Outlook saves a ``.msg`` as."""
MSG_HINT: Final = (
    "save as .eml: drag the messages from Outlook on the web or the new Outlook into a "
    "folder, or convert with msgconvert (Debian package libemail-outlook-message-perl)"
)
"""Classic Outlook's Save As offers .msg, not .eml; these two ways give MIME files."""
CR_ONLY: Final = (
    "an mbox whose lines end in CR only (classic Mac OS), so no message can be told apart; "
    "convert the line ends to LF first: tr '\\r' '\\n' < IN > OUT.mbox"
)
"""Not split at CR: Python's own ``mailbox`` does not either, and a CR inside a message of
an ordinary mbox is data, not a line end."""


def printable(name: Path | str) -> str:
    """``name`` as valid, one-line UTF-8: undecodable bytes and control characters escaped.

    A file name is bytes; Python decodes those that are not UTF-8 to lone surrogates, which
    can be neither printed, JSON-encoded as UTF-8, nor stored in SQLite. ``b"bad\\xff.eml"``
    becomes ``bad\\xff.eml`` (a backslash, then ``xff``).
    """
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


Indexed = Callable[[int], None]
"""Told how many messages an mbox holds, once it is indexed (a progress bar's total)."""


def read_paths(
    paths: Iterable[Path],
    max_message_bytes: int,
    indexed: Indexed | None = None,
    stdin: BinaryIO | None = None,
) -> Iterator[RawMessage | Rejected]:
    """Every input under ``paths``: files, directories (``*.eml``, ``*.mbox``, ``*.xml``,
    ``*.evtx``, recursively), mboxes (one message at a time), and ``-``: one message from ``stdin``
    (standard input unless given)."""
    stdin_read = False
    for path in paths:
        if str(path) == STDIN:
            yield _read_stdin(stdin, max_message_bytes, again=stdin_read)
            stdin_read = True
        elif path.is_dir():
            unlisted: list[Rejected] = []
            outlook: list[Path] = []
            files = sorted(_eml_files(path, unlisted, outlook))
            yield from unlisted
            if outlook:
                count = f"{len(outlook)} Outlook .msg file{'' if len(outlook) == 1 else 's'}"
                detail = f"{count} not read (not MIME mail); {MSG_HINT}"
                yield Rejected(source=printable(path), code="unreadable", detail=detail)
            elif not files and not unlisted:
                yield Rejected(
                    source=printable(path),
                    code="unreadable",
                    detail="the directory holds no .eml or .mbox files, nor .xml or .evtx exports",
                )
            for file in files:
                yield from _read_file(file, max_message_bytes, indexed)
        else:
            yield from _read_file(path, max_message_bytes, indexed)


def count_files(paths: Iterable[Path]) -> int:
    """How many files ``read_paths`` will open (an mbox counts once): a bar's first total."""
    count = 0
    for path in paths:
        if path.is_dir():
            unlisted: list[Rejected] = []
            found = sum(1 for _ in _eml_files(path, unlisted, [])) + len(unlisted)
            count += found or 1  # a folder with nothing to read is one rejection
        else:
            count += 1
    return count


def _read_stdin(
    stdin: BinaryIO | None, max_message_bytes: int, *, again: bool
) -> RawMessage | Rejected:
    """One message from standard input, no more than the limit read (as for a file)."""
    if again:
        # The first "-" read the message; a second would read nothing and call it empty.
        detail = "standard input was read already: give - once"
        return Rejected(source=STDIN_SOURCE, code="unreadable", detail=detail)
    stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
    if stream is None:
        detail = "cannot read the file: there is no standard input"
        return Rejected(source=STDIN_SOURCE, code="unreadable", detail=detail)
    try:
        data = _read_at_most(stream, max_message_bytes + 1)
    except OSError as exc:
        return _unreadable(STDIN_SOURCE, exc)
    if len(data) > max_message_bytes:
        return _too_large(STDIN_SOURCE, None, max_message_bytes)
    if data.startswith(_OLE_MAGIC):
        return _outlook(STDIN_SOURCE)
    return RawMessage(source=STDIN_SOURCE, data=data)


def _outlook(source: str) -> Rejected:
    detail = f"an Outlook .msg file, not MIME mail; {MSG_HINT}"
    return Rejected(source=source, code="not-email", detail=detail)


def _eml_files(folder: Path, unlisted: list[Rejected], outlook: list[Path]) -> Iterator[Path]:
    """Every ``*.eml``, ``*.mbox``, ``*.xml`` and ``*.evtx`` under ``folder`` that is not a
    directory; links to folders not followed.

    The ``*.msg`` files met on the way are added to ``outlook``: a folder of Outlook's
    messages is not silently skipped.

    Not only regular files: a broken link or a FIFO named ``*.eml`` is reported, not skipped;
    so is a folder that cannot be listed (added to ``unlisted``), a folder nested so deep
    that its path is too long to open included. The folders still to list are kept in a
    list, not on Python's stack: a tree a thousand folders deep walks like a flat one.
    """
    waiting = [folder]
    while waiting:
        here = waiting.pop()
        try:
            entries = list(os.scandir(here))
        except OSError as exc:
            reason = printable(exc.strerror or str(exc))
            unlisted.append(
                Rejected(
                    source=printable(here),
                    code="unreadable",
                    detail=f"cannot list the directory: {reason}",
                )
            )
            continue
        for entry in entries:
            path = here / entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    waiting.append(path)
                elif entry.name.lower().endswith(_WALKED) and not entry.is_dir():
                    # Any case: Windows saves ERRORS.XML and App.EVTX as readily.
                    yield path
                elif entry.name.lower().endswith(".msg") and not entry.is_dir():
                    outlook.append(path)
            except OSError:
                yield path  # reported as unreadable when it is opened


def _read_file(
    path: Path, max_message_bytes: int, indexed: Indexed | None = None
) -> Iterator[RawMessage | Rejected]:
    source = printable(path)
    try:
        # O_NONBLOCK: opening a FIFO that no one writes to returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        yield _unreadable(source, exc)
        return
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                yield _not_a_file(source, info.st_mode)
                return
            head = _read_at_most(handle, min(mbox.HEAD, max_message_bytes + 1))
            if mbox.is_mbox(head) and mbox.cr_only(head):
                yield Rejected(source=source, code="unreadable", detail=CR_ONLY)
                return
            if mbox.is_mbox(head):
                # Read from this descriptor, the regular file just checked, not the name.
                yield from _read_mbox(handle, source, max_message_bytes, indexed)
                return
            data = head + _read_at_most(handle, max_message_bytes + 1 - len(head))
        except OSError as exc:
            yield _unreadable(source, exc)
            return
    if data.startswith(_OLE_MAGIC):
        yield _outlook(source)
    elif len(data) > max_message_bytes:
        size = info.st_size if info.st_size > max_message_bytes else None
        yield _too_large(source, size, max_message_bytes)
    else:
        # When the file was written: the time of an export that has none of its own (one in
        # the future is capped when it is ingested: ``problem.written_at``).
        written = datetime.fromtimestamp(info.st_mtime, UTC)
        yield RawMessage(source=source, data=data, at=written)


def _read_at_most(handle: io.FileIO | BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes: a file that grows, or whose size is unknown, is cut short."""
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = handle.read(min(left, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_mbox(
    handle: BinaryIO, source: str, max_message_bytes: int, indexed: Indexed | None = None
) -> Iterator[RawMessage | Rejected]:
    """Each message of the mbox open in ``handle``, named ``source#N``; an error reading the
    file (``OSError``) is the caller's to report."""
    if indexed is not None:
        # A first pass that keeps nothing but the count: where each message lies is found
        # again as it is read (a list of them all grew with the archive, not the message).
        indexed(mbox.count(handle))
    for number, (start, stop) in enumerate(mbox.spans(handle), start=1):
        item = f"{source}#{number}"
        handle.seek(start)
        # Read one byte past the limit: enough to know, without loading a huge message.
        data = handle.read(min(stop - start, max_message_bytes + 1))
        if len(data) > max_message_bytes:
            yield _too_large(item, None, max_message_bytes)
        else:
            yield RawMessage(source=item, data=data)


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
)


def _not_a_file(source: str, mode: int) -> Rejected:
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    return Rejected(
        source=source,
        code="unreadable",
        detail=f"not a regular file ({kind}); only files are read",
    )


def _unreadable(source: str, exc: Exception) -> Rejected:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return Rejected(
        source=source, code="unreadable", detail=f"cannot read the file: {printable(reason)}"
    )


def _too_large(source: str, size: int | None, limit: int) -> Rejected:
    what = f"{size} bytes is" if size is not None else "the message is"
    return Rejected(
        source=source,
        code="too-large",
        detail=f"{what} over [parse] max_message_bytes ({limit})",
    )


class FileSource:
    """A ``Source``: the messages of saved files, in path order; nothing to do after."""

    def __init__(
        self, paths: Iterable[Path], max_message_bytes: int, progress: Progress | None = None
    ) -> None:
        """Nothing is read until ``messages``."""
        self.name = "files"
        self._paths = list(paths)
        self._limit = max_message_bytes
        self._progress = progress

    def messages(self, summary: RunSummary) -> Iterator[RawMessage]:
        """Every readable message; the others are counted and named in ``summary``."""
        progress = self._progress
        indexed = None
        if progress is not None:
            progress.expect(count_files(self._paths))

            def indexed(messages: int) -> None:
                progress.expect(messages - 1)  # the mbox was counted as one file

        for item in read_paths(self._paths, self._limit, indexed):
            if isinstance(item, Rejected):
                # Counted as stderr names it: a file over the limit was read and refused.
                if item.code == "too-large":
                    summary.rejected += 1
                else:
                    summary.unreadable += 1
                summary.problems.append(item)
                if progress is not None:
                    progress.advance(item.source)
            else:
                yield item
            # Hold no message while the next is read: two large ones would be held at once.
            del item

    def read(self, message: RawMessage | Report, outcome: Outcome) -> None:
        """Nothing to remember: the ledger knows the message by its keys."""

    def finish(self, summary: RunSummary) -> None:
        """Nothing owed."""


def read_inputs(
    paths: Iterable[Path],
    trust: TrustPolicy,
    settings: ParseSettings,
    tenants: TenantRules | None = None,
) -> Iterator[ParsedReport | Report | Rejected]:
    """``parse``: every input under ``paths`` parsed by what its content is (an email, a
    csexport file, an event-log export), its tenant settled by ``tenants``; one at a time,
    in path order (nothing of the ledger, the sinks or the look-ups is loaded for it).

    An email's errors stay rows (``ParsedReport``) until they are read."""
    for item in read_paths(paths, settings.max_message_bytes):
        if isinstance(item, Rejected):
            yield item
            continue
        source, data = item.source, item.data
        del item  # nothing of one input is held while the next is read
        yield read_input(data, source, trust, settings, tenants or TenantRules())


def parse_paths(
    paths: Iterable[Path],
    trust: TrustPolicy,
    settings: ParseSettings,
    tenants: TenantRules | None = None,
) -> Iterator[ParseResult]:
    """``read_inputs``, each report whole (every error a model)."""
    for result in read_inputs(paths, trust, settings, tenants):
        yield result.report() if isinstance(result, ParsedReport) else result

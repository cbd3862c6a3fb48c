"""Saved mail: ``.eml`` files, directories of them, and mbox archives.

Messages are read one at a time (an mbox is indexed, then each message read on its own), so
a large archive costs memory for one message, not for the archive. A file that cannot be
used becomes a ``Rejected`` with its reason, and the rest of the run goes on.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..models import Rejected


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One email's bytes and where they came from."""

    source: str
    data: bytes


_MBOX_MAGIC = b"From "


def read_paths(paths: Iterable[Path], max_message_bytes: int) -> Iterator[RawMessage | Rejected]:
    """Every message under ``paths``: files, directories (``*.eml``, recursively), mboxes."""
    for path in paths:
        if path.is_dir():
            # Not only regular files: a broken link named *.eml is reported, not skipped.
            files = sorted(p for p in path.rglob("*.eml") if not p.is_dir())
            if not files:
                yield Rejected(
                    source=str(path), code="unreadable", detail="the directory holds no .eml files"
                )
            for file in files:
                yield from _read_file(file, max_message_bytes)
        else:
            yield from _read_file(path, max_message_bytes)


def _read_file(path: Path, max_message_bytes: int) -> Iterator[RawMessage | Rejected]:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(len(_MBOX_MAGIC))
    except OSError as exc:
        yield _unreadable(path, exc)
        return
    if head == _MBOX_MAGIC:
        yield from _read_mbox(path, max_message_bytes)
        return
    if size > max_message_bytes:
        yield _too_large(str(path), size, max_message_bytes)
        return
    try:
        yield RawMessage(source=str(path), data=path.read_bytes())
    except OSError as exc:
        yield _unreadable(path, exc)


def _read_mbox(path: Path, max_message_bytes: int) -> Iterator[RawMessage | Rejected]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as exc:
        yield _unreadable(path, exc)
        return
    try:
        for number, key in enumerate(keys, start=1):
            source = f"{path}#{number}"
            with box.get_file(key) as handle:
                # Read one byte past the limit: enough to know, without loading a huge message.
                data = handle.read(max_message_bytes + 1)
            if len(data) > max_message_bytes:
                yield _too_large(source, None, max_message_bytes)
            else:
                yield RawMessage(source=source, data=data)
    finally:
        box.close()


def _unreadable(path: Path, exc: Exception) -> Rejected:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return Rejected(source=str(path), code="unreadable", detail=f"cannot read the file: {reason}")


def _too_large(source: str, size: int | None, limit: int) -> Rejected:
    what = f"{size} bytes is" if size is not None else "the message is"
    return Rejected(
        source=source,
        code="too-large",
        detail=f"{what} over [parse] max_message_bytes ({limit})",
    )

"""Terminal output: parse results as a table that reads well in 80 columns."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator

from .models import ParseResult, Rejected, SyncError

_KIND_WIDTH = 38


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, marked with ``...`` when cut."""
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def detail(error: SyncError) -> str:
    """The one line that says what is wrong, after the kind and identity."""
    if error.conflicts:
        return "; ".join(
            f"{c.attribute}: {', '.join(c.values)}" if c.values else c.attribute
            for c in error.conflicts
        )
    if error.invalid_attribute:
        return f"invalid attribute: {error.invalid_attribute}"
    return error.message


def result_lines(result: ParseResult, width: int = 80) -> Iterator[str]:
    """The lines for one parsed or rejected message."""
    if isinstance(result, Rejected):
        yield clip(f"{result.source}  REJECTED", width)
        yield from textwrap.wrap(
            result.reason, width, initial_indent="    ", subsequent_indent="    "
        )
        return
    tenant = result.tenant or "tenant not named"
    count = f"{len(result.errors)} error" + ("" if len(result.errors) == 1 else "s")
    yield clip(f"{result.source}  {tenant}, {count}", width)
    for error in result.errors:
        identity = error.identity or "(tenant-level)"
        yield clip(f"  {error.kind:<{_KIND_WIDTH}}{identity}", width)
        yield clip(f"      {detail(error)}", width)


def table(results: Iterable[ParseResult], width: int = 80) -> Iterator[str]:
    """Every result's lines, then a summary line."""
    parsed = rejected = errors = 0
    for result in results:
        if isinstance(result, Rejected):
            rejected += 1
        else:
            parsed += 1
            errors += len(result.errors)
        yield from result_lines(result, width)
    messages = parsed + rejected
    yield (
        f"{messages} message{'' if messages == 1 else 's'}: {parsed} parsed "
        f"({errors} error{'' if errors == 1 else 's'}), {rejected} rejected"
    )

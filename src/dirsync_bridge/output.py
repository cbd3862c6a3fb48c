"""Terminal output: parse results as a table that reads well in 80 columns.

Every value from outside (a report's identity, tenant or text, a file name) is ``shown``
with its control characters escaped (``terminal``): a report can carry escape sequences.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Final, TextIO

from . import interrupt
from .models import ParseResult, Rejected, Report, SyncError
from .terminal import shown

if TYPE_CHECKING:  # the ledger (and sqlite3) is not loaded for `parse`, the parser (and lxml)
    # not for the commands that only print summaries and tickets, a pass's summary (its
    # dataclasses) not for `parse`
    from .ledger.listing import TicketRow
    from .parse.parsed_report import ParsedReport
    from .run_summary import RunSummary

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


def result_lines(result: ParseResult | ParsedReport, width: int = 80) -> Iterator[str]:
    """The lines for one parsed or rejected message (a parsed one's errors made as shown)."""
    if isinstance(result, Rejected):
        yield clip(f"{shown(result.source)}  REJECTED", width)
        yield from textwrap.wrap(
            shown(result.reason), width, initial_indent="    ", subsequent_indent="    "
        )
        return
    header = result if isinstance(result, Report) else result.header
    tenant = shown(header.tenant or "tenant not named")
    errors = error_count(result)
    count = f"{errors} error" + ("" if errors == 1 else "s")
    yield clip(f"{shown(header.source)}  {tenant}, {count}", width)
    for error in result.errors if isinstance(result, Report) else result.errors():
        # An event-log error names its object by its on-premises id alone.
        named = error.identity or (f"object id {error.object_id}" if error.object_id else None)
        identity = shown(named or "(tenant-level)")
        yield clip(f"  {error.kind:<{_KIND_WIDTH}}{identity}", width)
        yield clip(f"      {shown(detail(error))}", width)


def error_count(result: ParseResult | ParsedReport) -> int:
    """How many errors a parsed message lists (none for a rejected one)."""
    if isinstance(result, Rejected):
        return 0
    return len(result.errors) if isinstance(result, Report) else len(result.rows)  # one a row


def table(results: Iterable[ParseResult | ParsedReport], width: int = 80) -> Iterator[str]:
    """Every result's lines, then a summary line."""
    parsed = rejected = errors = 0
    for result in results:
        if isinstance(result, Rejected):
            rejected += 1
        else:
            parsed += 1
            errors += error_count(result)
        yield from result_lines(result, width)
        del result  # not held while the next message is read
    messages = parsed + rejected
    yield (
        f"{messages} message{'' if messages == 1 else 's'}: {parsed} parsed "
        f"({errors} error{'' if errors == 1 else 's'}), {rejected} rejected"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_lines(summary: RunSummary, dry_run: bool) -> Iterator[str]:
    """The closing lines of a replay: what was read, what was written (or would be)."""
    if dry_run:
        yield "Dry run: nothing was written. The run would make these ticket writes:"
        writes = [f"would {w}" for w in summary.writes] or ["none"]
        yield from (f"  {clip(shown(w), 78)}" for w in writes)
    read = summary.parsed + summary.rejected + summary.already_seen + summary.unreadable
    yield (
        f"messages: {read} read: {summary.parsed} parsed, {summary.rejected} rejected, "
        f"{summary.already_seen} already seen, {summary.unreadable} unreadable" + _earlier(summary)
    )
    verb = "would be" if dry_run else ""
    yield (
        f"tickets{' (' + verb + ')' if verb else ''}: {summary.created} created, "
        f"{summary.commented} commented, {summary.resolved} resolved, "
        f"{summary.reopened} reopened, {summary.updated} updated, {summary.unchanged} unchanged"
    )
    if summary.attention:
        yield f"needing attention: {len(summary.attention)} ticket(s) (named on stderr)"
    if summary.unconfirmed:
        yield f"unconfirmed: {len(summary.unconfirmed)} write(s); the next run settles them"


def _earlier(summary: RunSummary) -> str:
    # Named here, read by an earlier pass stopped before its output: in no count of reads.
    n = summary.named_for_earlier
    return f", {n} rejection(s) of an earlier pass named" if n else ""


def run_line(summary: RunSummary, dry_run: bool) -> str:
    """The one line a cron pass ends with."""
    new = summary.parsed + summary.rejected
    return (
        f"run{' (dry run, nothing written)' if dry_run else ''}: {new} new message(s) "
        f"({summary.parsed} parsed, {summary.rejected} rejected), {summary.already_seen} "
        f"already seen, {summary.ignored} ignored; tickets: {summary.created} created, "
        f"{summary.commented} commented, {summary.resolved} resolved, {summary.reopened} "
        f"reopened; mailbox: {summary.mailbox_actions} marked"
        + _earlier(summary).replace(",", ";", 1)
        + (f"; {len(summary.attention)} need attention" if summary.attention else "")
        + (f"; {len(summary.unconfirmed)} unconfirmed" if summary.unconfirmed else "")
        + "".join(f"; {scan}" for scan in summary.scans)
    )


def summary_json(summary: RunSummary, dry_run: bool) -> dict[str, Any]:
    """The pass's summary as one JSON object, but for its list of rejections (which may be
    hundreds of thousands long: ``summary_json_text`` reads them back one at a time)."""
    return {
        "dry_run": dry_run,
        "messages": {
            "parsed": summary.parsed,
            "rejected": summary.rejected,
            "already_seen": summary.already_seen,
            "unreadable": summary.unreadable,
            "ignored": summary.ignored,
            "named_for_earlier": summary.named_for_earlier,
        },
        "mailbox_actions": summary.mailbox_actions,
        "scans": summary.scans,
        "tickets": {
            "created": summary.created,
            "commented": summary.commented,
            "resolved": summary.resolved,
            "reopened": summary.reopened,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
        },
        "writes": summary.writes,
        "attention": summary.attention,
        "unconfirmed": summary.unconfirmed,
    }


def summary_json_text(summary: RunSummary, dry_run: bool, time: str) -> Iterator[str]:
    """The pass's summary as one JSON object stamped with ``time``, in pieces: the text of
    ``json.dumps`` of the whole (``rejected`` after ``writes``, one ``{"source", "reason"}``
    each), its rejections read back from their spool one at a time, never all held."""
    data = summary_json(summary, dry_run)
    after = {key: data.pop(key) for key in ("attention", "unconfirmed")}
    head = json.dumps({"time": time, **data}, ensure_ascii=False)
    yield head[:-1] + ', "rejected": ['
    for number, rejection in enumerate(summary.problems):
        item = {"source": rejection.source, "reason": rejection.reason}
        yield (", " if number else "") + json.dumps(item, ensure_ascii=False)
    yield "], " + json.dumps(after, ensure_ascii=False)[1:]


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def ticket_json(row: TicketRow) -> dict[str, Any]:
    """One ticket in the JSON contract of design.md section 5."""
    return {
        "key": row.key,
        "fingerprint": row.fingerprint,
        "status": row.status,
        "summary": row.summary,
        "kind": row.kind,
        "identity": row.identity,
        "tenant": row.tenant,
        "first_seen": _iso(row.first_seen),
        "last_seen": _iso(row.last_seen),
        "occurrences": row.occurrences,
        "comments": row.comments,
    }


def ticket_table(rows: Iterable[TicketRow], width: int = 80) -> Iterator[str]:
    """Tickets in ``width`` columns: key, status, when last seen (the order they come in)
    and counts, then the summary below."""
    count = 0
    for row in rows:
        count += 1
        last = row.last_seen.strftime("%Y-%m-%d %H:%M") if row.last_seen else "-"
        yield clip(
            f"{shown(row.key):<12}{row.status:<10}last seen {last}  "
            f"{_plural(row.occurrences, 'sighting')}, {_plural(row.comments, 'comment')}",
            width,
        )
        yield clip(f"    {shown(row.summary)}", width)
    yield _plural(count, "ticket")


TICKET_FIELDS: Final = (
    "key",
    "fingerprint",
    "status",
    "summary",
    "kind",
    "identity",
    "tenant",
    "first_seen",
    "last_seen",
    "occurrences",
    "comments",
)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_SPLIT_FORMULA: Final = re.compile(r"(?<=[;,\t\r\n])(?=[ \t\r\n]*[=+\-@])")
"""Inside a cell, a place a spreadsheet may start a new cell or row (after ``;``, ``,``, a tab
or a line break) where the text goes on like a formula."""


def csv_cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet shows and never runs.

    Identities, tenants and summaries come from reports anyone could have sent: a cell that
    starts like a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, or a tab or carriage
    return before one) would be evaluated by Excel or LibreOffice on opening, so it gets a
    leading ``'``, which they read as "text" (OWASP's advice for CSV injection).

    So does each part after a separator that starts like one: Excel opens a ``.csv`` with
    the system's list separator, ``;`` in much of Europe (de-DE, fr-FR): there a row of this
    comma-separated file reads as one field that starts unquoted, its quotes plain text,
    and a cell ``tax;=cmd|' /C calc'!A0`` gives a cell ``=cmd|...``, a formula. Quoting
    every field would not help, for that reason; a line break in a quoted cell starts a row.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)  # counts: numbers, never text from a report
    value = _SPLIT_FORMULA.sub("'", value)
    # (Leading blanks too: a spreadsheet that trims them on import, as LibreOffice can, would
    # see the formula.)
    blanks_off = value.lstrip(" \t\r\n")
    starts = value.startswith(_FORMULA_STARTS) or blanks_off.startswith(_FORMULA_STARTS)
    return "'" + value if starts else value


def write_ticket_csv(rows: Iterable[TicketRow], out: TextIO) -> None:
    """Tickets as CSV (RFC 4180, with a header row): the JSON fields, in that order."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TICKET_FIELDS)
    for row in rows:
        values = ticket_json(row)
        with interrupt.deferred():  # a signal stops it between rows, never inside one
            writer.writerow([csv_cell(values[field]) for field in TICKET_FIELDS])


def print_json_array(items: Iterator[bytes | dict[str, Any] | Iterable[bytes]]) -> None:
    """A JSON array on stdout, streamed item by item: a large mbox never sits in memory.

    An item is JSON already (a report's bytes, straight from pydantic's serialiser), JSON in
    pieces (a large report's, its errors a batch at a time), or a dict to encode; either way
    it is written as UTF-8, as JSON is (RFC 8259).

    A signal (SIGINT, SIGTERM) stops it between items: the item being written is finished
    first (``interrupt.deferred``: at most one message's worth) and the array closed, so
    that what was written is still one JSON document; the command then exits 130 as ever.
    """
    sys.stdout.flush()
    out = sys.stdout.buffer
    out.write(b"[")
    whole = True  # False while an item is half-written (a Ctrl-C without our handlers)
    try:
        for number, item in enumerate(items):  # a signal while the next is read: stopped here
            with interrupt.deferred():
                whole = False
                out.write(b",\n" if number else b"\n")
                _write_item(out, item)
                whole = True
            del item  # not held while the next message is read
        with interrupt.deferred():
            whole = False
            out.write(b"\n]\n")
    except KeyboardInterrupt:
        if whole:  # no second signal is raised (``interrupt``): this write is whole too
            out.write(b"\n]\n")
        raise


def _write_item(out: BinaryIO, item: bytes | dict[str, Any] | Iterable[bytes]) -> None:
    if isinstance(item, bytes):
        out.write(item)
    elif isinstance(item, dict):
        out.write(json.dumps(item, ensure_ascii=False).encode())
    else:
        for piece in item:
            out.write(piece)


def utc_now() -> str:
    """Now, as the JSON summaries stamp it (like the log lines around them)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"

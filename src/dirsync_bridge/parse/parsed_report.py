"""A trusted report whose errors are still rows, each made a model only when it is read.

``message.read_message`` gives one; ``parse_message`` makes it a whole ``Report``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic_core import to_json

from ..models import FAMILY_OF, Report, SyncError
from .body import Row
from .catalog import classify, stated_kind
from .collector import collector_paused

_BATCH = 500
_ToData = Callable[[Any], dict[str, Any]]


def _error(row: Row) -> dict[str, Any]:
    named = stated_kind(row.stated)
    found = classify(row.message, named)
    return {
        "kind": found.kind,
        "kind_stated": named is not None,
        "identity": row.identity,
        "object_id": row.object_id,
        "conflicts": found.conflicts,
        "invalid_attribute": found.invalid_attribute,
        "tracking_id": row.tracking_id or found.tracking_id,
        "message": found.message,
    }


@dataclass(frozen=True, slots=True, eq=False)
class ParsedReport:
    """A trusted report whose errors are still rows: each becomes a model only when read.

    A model of an error costs some 2 KB, and a 25 MiB report lists 70,000 errors: made all at
    once they were most of the memory a large report took. ``errors`` and ``json_chunks``
    make them a batch at a time; ``report`` makes them all (problems need every error).
    """

    fields: Mapping[str, Any]
    """The report's fields but its errors, as ``Report`` takes them."""
    rows: Sequence[Any]
    """An email's ``body.Row``s, or an export's ``export_rows.ExportRow``s (a sequence that
    may read them from disk)."""
    header: Report
    """The report without its errors."""

    # A row's error as plain data: for the models, and as the JSON writes it (an export's
    # rows, ``export_rows.ExportReport``, carry a field the JSON leaves out).
    # (In a tuple: a function there is no method, whatever the class.)
    _row_data: ClassVar[tuple[_ToData, _ToData]] = (_error, _error)
    _rows_checked: ClassVar[bool] = False
    """Its rows validated as they were read (an export's): not again as they are written."""

    @classmethod
    def of(cls, fields: Mapping[str, Any], rows: Sequence[Any]) -> Self:
        """The report of these fields and rows; its fields checked now, its errors when read."""
        return cls(fields, rows, Report.model_validate(fields))

    def report(self) -> Report:
        """The whole report, every error a model."""
        # The errors validated a batch at a time (a model per row would cost more than the
        # rest of the parse; all rows as plain data at once would hold them twice), then
        # set on the validated header as they are.
        return self.header.model_copy(update={"errors": tuple(self.errors())})

    def errors(self) -> Iterator[SyncError]:
        """The errors, in source order, made a batch at a time."""
        for batch in self._batches():
            yield from batch.errors

    def json_chunks(self) -> Iterator[bytes]:
        """``report().to_json()`` in pieces, without every error made at once."""
        start = self.header.to_json()[: -len(b"]}")]  # up to the errors' opening bracket
        yield start
        # Each batch is validated as a report of its own, as ``report`` makes it (the
        # contract's check), and then its plain data is written: pydantic's serialiser
        # writes the same bytes from dicts in a third of the time it takes over models
        # (``test_parsed_report`` holds every fixture to ``to_json``). Made and written
        # with the collector held off (``collector``): what a batch makes is freed before
        # the next, and the collector scanning it was a tenth of this output's time.
        error, written_as = self._row_data
        for at in range(0, len(self.rows), _BATCH):
            with collector_paused():
                rows = self.rows[at : at + _BATCH]
                errors = [error(row) for row in rows]
                if not self._rows_checked:
                    Report.model_validate({**self.fields, "errors": errors})
                if written_as is not error:
                    errors = [written_as(row) for row in rows]
                written = to_json(errors)[1:-1]  # the items, without the list's brackets
            yield b"," + written if at else written
        yield b"]}"

    def errors_at(self, indices: Iterable[int]) -> tuple[SyncError, ...]:
        """The errors of these rows, in the order given, made as one batch (a few hundred:
        each costs some 2 KB while it is held)."""
        return self._report_of(self.rows[at] for at in indices).errors

    def error_fields(self) -> Iterator[dict[str, Any]]:
        """Each row's error as the plain data it is validated from, in source order: what
        names a problem, read without a model made (``problem_rows``)."""
        error = self._row_data[0]
        return (error(row) for row in self.rows)

    def object_ids(self) -> Iterator[tuple[str | None, str | None]]:
        """(object id, identity) of each error, in source order, read from its row as
        ``_error`` copies them: no error is made."""
        return ((row.object_id, row.identity) for row in self.rows)

    def _batches(self) -> Iterator[Report]:
        for at in range(0, len(self.rows), _BATCH):
            yield self._report_of(self.rows[at : at + _BATCH])

    def _report_of(self, rows: Iterable[Row]) -> Report:
        error = self._row_data[0]
        return Report.model_validate({**self.fields, "errors": [error(r) for r in rows]})


NAMELESS_FAMILIES: frozenset[str] = frozenset({"quota", "unknown"})
"""The families an error row may be without naming an object: the tenant's own (the object
quota; format.md: a tenant-level row has no identity) and an error not known, which may be."""


def named_rows(rows: Sequence[Row], guessed: Set[int] = frozenset()) -> tuple[list[Row], int, int]:
    """``rows`` but those that name no object (no identity, no object id) though their error
    is an object's (a duplicate value, a too-large object...): filed, such a row was the
    whole tenant's "(tenant-level)" problem, a ticket no one can act on as one. With how
    many were left out, and how many of those kept name no object only because their
    identity was a guess (``guessed``: the places of rows read from plain-text paragraphs,
    kept, as a shape the guess does not know may name their object). Only a row without
    either is classified (they are rare).

    A row with a ``Tracking Id`` is the tenant's whatever its kind (format.md 10.2: the mark
    of a tenant-level row): a whole request refused, say, for the cloud-only users in it,
    which names no object by nature; its ticket has the id to quote to Microsoft's support
    (review rev42: it was left out, and a report of it alone rejected)."""
    kept = [
        row
        for at, row in enumerate(rows)
        if row.identity or row.object_id or row.tracking_id or at in guessed or _tenants(row)
    ]
    unnamed = sum(
        1
        for at in guessed
        if not (rows[at].identity or rows[at].object_id or rows[at].tracking_id)
        and not _tenants(rows[at])
    )
    return kept, len(rows) - len(kept), unnamed


def unplaced_rows(rows: Sequence[Row], unplaced: Set[int]) -> int:
    """How many rows at ``unplaced`` (``BodyFacts.unplaced``) name no object though their
    error is an object's: each directly after a paragraph the reader could not place, which
    may be its identity in a shape the guess does not know (a display name, ``DOMAIN\\user``
    with a space, an address with a final dot).

    Any makes the report refused (review rev46). Kept, such a row was a "(tenant-level)"
    problem and the report complete: the object's own ticket, its identity unread, resolved
    as absent. Taking the paragraph for the identity instead would name a ticket by whatever
    it holds: an Unknown error's text (rev45's very defect), that error lost with no word.
    Refused, nothing is filed or resolved, and the one-line reason says what to look at."""
    return sum(
        1
        for at in unplaced
        if not (rows[at].identity or rows[at].object_id or rows[at].tracking_id)
        and not _tenants(rows[at])
    )


def doubtful_rows(rows: Sequence[Row], guessed: Set[int]) -> int:
    """How many rows read from plain-text paragraphs (``guessed``) name no object and are not
    plainly the tenant's (the object quota, or a ``Tracking Id``): an Unknown error's text may
    hold its object's identity in a shape the guess does not know (an identity and its
    message in one paragraph), an object's error may have lost its identity to the guess.

    Any makes the report incomplete (``message._report``): its named rows are ticketed, and
    nothing is resolved by its leaving a problem out. Read as complete, the object whose
    identity went unread had its own ticket resolved as absent (review rev48)."""
    return sum(
        1
        for at in guessed
        if not (rows[at].identity or rows[at].object_id or rows[at].tracking_id)
        and FAMILY_OF[classify(rows[at].message, stated_kind(rows[at].stated)).kind] != "quota"
    )


def _tenants(row: Row) -> bool:
    """Whether ``row``'s error may be the tenant's own, naming no object."""
    return FAMILY_OF[classify(row.message, stated_kind(row.stated)).kind] in NAMELESS_FAMILIES

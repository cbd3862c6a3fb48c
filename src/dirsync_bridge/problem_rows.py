"""An email's problems read from its rows: a chunk at a time, and known before they are made.

A large report lists tens of thousands of errors, most of them, day after day, the same rows
as the day before. Making each a ``Sighting`` (errors validated, details merged, texts
serialised) cost several times the parse of the report; most were then found unchanged and
only touched. So a problem is first known by what names it and by a digest of the rows that
show it, both read from the rows as plain data; the ledger makes (``Listed.make``) only the
sightings it needs: those whose rows differ from the ones its last sighting was made of.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from .fingerprint import fingerprint, object_key_of
from .models import FAMILY_OF
from .problem import Sighting, sightings

if TYPE_CHECKING:
    from .parse.body import Row
    from .parse.parsed_report import ParsedReport

CHUNK = 500
"""Problems made (and recorded) at a time from a large report: each costs some 2.5 KB as a
``Sighting``, and a 25 MiB report lists 70,000."""


@dataclass(frozen=True, slots=True)
class Listed:
    """Some of a report's problems, before their sightings are made.

    ``digests``: each problem's fingerprint, and the digest of the rows that show it in this
    report (None: none kept, its sighting is always made). Equal digests mean equal sightings
    but for the report they are in (``rows_digest``). ``make``: the sightings of the
    fingerprints asked for, exactly those.
    """

    digests: Mapping[str, str | None]
    make: Callable[[Collection[str]], list[Sighting]]

    @classmethod
    def made(cls, found: list[Sighting]) -> Listed:
        """Sightings made already (an export's, a scan's), with no digests."""
        return cls(
            {s.problem.fingerprint: None for s in found},
            partial(_those, found),
        )


def _those(found: list[Sighting], wanted: Collection[str]) -> list[Sighting]:
    asked = set(wanted)
    return [s for s in found if s.problem.fingerprint in asked]


def listed_in_chunks(
    parsed: ParsedReport,
    key: str,
    chunk: int | None = None,
    identities: Mapping[str, str] | None = None,
    mark: str | None = None,
) -> Iterator[Listed]:
    """The report's problems, ``chunk`` (default ``CHUNK``) at a time, in order of first
    appearance, each with the digest of its rows (``mark``: what else its sighting depends
    on, such as the look-ups that enrich it; None: no digests).

    A problem's details merge every row of it, wherever in the report it is, so a first pass
    names each row's problem from its plain data (no model made) and numbers the problems;
    a counting sort then puts each problem's rows together, and each chunk's sightings are
    made from its rows, if and when the ledger asks.
    """
    chunk = chunk or CHUNK
    tenant, known = parsed.header.tenant, identities or {}
    numbers: dict[str, int] = {}
    problem_of = array("q")
    for fields in parsed.error_fields():
        identity, object_id = fields["identity"], fields["object_id"]
        if not identity and object_id and object_id.strip() in known:
            identity = known[object_id.strip()]  # as ``problem._identified`` names it
        named = object_key_of(
            identity,
            object_id,
            (value for conflict in fields["conflicts"] for value in conflict["values"]),
            fields["message"],
        )
        fp = fingerprint(tenant, FAMILY_OF[fields["kind"]], named)
        problem_of.append(numbers.setdefault(fp, len(numbers)))
    names = list(numbers)  # the fingerprint of each problem, by its number
    del numbers
    count = len(names)
    # The rows sorted by problem, each problem's in source order (a counting sort): the rows
    # of problems [a, b) are rows[starts[a]:starts[b]].
    starts = array("q", bytes(8 * (count + 1)))
    for number in problem_of:
        starts[number + 1] += 1
    for number in range(count):
        starts[number + 1] += starts[number]
    rows = array("q", bytes(8 * len(problem_of)))
    fill = array("q", starts)
    for row, number in enumerate(problem_of):
        rows[fill[number]] = row
        fill[number] += 1
    del problem_of, fill
    for first in range(0, count, chunk):
        numbers_here = range(first, min(first + chunk, count))
        digests = {
            names[n]: (
                None
                if mark is None
                else rows_digest(mark, parsed.rows, rows[starts[n] : starts[n + 1]])
            )
            for n in numbers_here
        }
        made = _Maker(parsed, key, identities, rows, starts, names, numbers_here)
        yield Listed(digests, made)


@dataclass(frozen=True, slots=True)
class _Maker:
    """The sightings of some of a chunk's problems, made from their rows."""

    parsed: ParsedReport
    key: str
    identities: Mapping[str, str] | None
    rows: array[int]
    starts: array[int]
    names: list[str]
    numbers: range

    def __call__(self, wanted: Collection[str]) -> list[Sighting]:
        asked = set(wanted)
        at = [
            row
            for n in self.numbers
            if self.names[n] in asked
            for row in self.rows[self.starts[n] : self.starts[n + 1]]
        ]
        if not at:
            return []
        # Grouped in order of first appearance here is the report's order: these problems'
        # rows come problem by problem.
        errors = self.parsed.errors_at(at)
        header = self.parsed.header.model_copy(update={"errors": errors})
        return sightings(header, self.key, self.identities)


def rows_digest(mark: str, rows: Sequence[Row], at: Sequence[int]) -> str:
    """The digest of a problem's rows in a report (in source order), with ``mark``: rows and
    mark the same, the sighting made of them is the same (its details, messages, tracking
    ids and enrichment), whatever report they are in. 128 bits of BLAKE2b."""
    text = "\x1e".join([mark, *(repr(tuple(rows[i])) for i in at)])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def listing_digest(mark: str, rows: Sequence[Row], identities: Mapping[str, str]) -> str:
    """The digest of a whole report's rows, in source order, with ``mark`` and the identities
    its object ids alone were named by (``ingest.known_identities``). Equal for two reports
    of a tenant, they list the same problems, each in the same rows, so each with the same
    ``rows_digest`` (``TouchLedger._listed_as_before``). 128 bits of BLAKE2b."""
    digest = hashlib.blake2b(mark.encode("utf-8"), digest_size=16)
    digest.update(repr(sorted(identities.items())).encode("utf-8"))
    # A few thousand rows at a time: the text of all of a 25 MiB report's would be as large.
    for start in range(0, len(rows), 2000):
        text = "".join(["\x1e" + repr(tuple(row)) for row in rows[start : start + 2000]])
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()

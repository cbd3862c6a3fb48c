"""A problem's history, compactly: each sighting a row of four integers.

A sighting's row names its report and its problem (their row ids; keyed in that order, so
that a report's rows are written together at the table's end) and its details and texts
(messages, tracking ids, enrichment), each stored once and named by the first 64 bits of its
sha256: the same details seen in every daily report are one row of ``history_details``, and
Microsoft's message text is never repeated. Sightings recorded before this layout (JSON rows
of ``sightings``) are read alongside. Mixed into ``Ledger``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..models.enrichment import Enrichment
from ..problem import Details, Problem, Sighting


def content_id(text: str) -> int:
    """A row id for a text: the first 64 bits of its sha256 (a signed SQLite integer)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big", signed=True)


def details_json(details: Details) -> str:
    """The details as stored (and digested): their canonical JSON."""
    return details.model_dump_json()


def _texts_json(sighting: Sighting) -> str:
    texts: dict[str, Any] = {
        "messages": sighting.messages,
        "tracking_ids": sighting.tracking_ids,
        "enrichment": (
            sighting.enrichment.model_dump(mode="json") if sighting.enrichment else None
        ),
    }
    return json.dumps(texts, separators=(",", ":"), ensure_ascii=False)


def stamp(value: datetime) -> str:
    """Fixed width, UTC: sorts as text in time order (as every time in the ledger).

    ``%Y-%m-%dT%H:%M:%S.%fZ``, made by ``isoformat``: ``strftime`` costs ten times as much,
    and a replay makes one for every event of every history it folds."""
    utc = value.astimezone(UTC)
    # (isoformat pads a year before 1000 to four digits, as fromisoformat needs: Graph
    # writes a date it never set as 0001-01-01.)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_UNPADDED = re.compile(r"^[0-9]{1,3}-[0-9]{2}-")


def moment(value: str) -> datetime:
    """A time as the ledger stores it (``stamp``), read back: aware, UTC.

    ``fromisoformat`` reads that text twenty times faster than ``strptime`` (timelines of
    hundreds of reports are read for every fold); it also reads the ``isoformat`` text of
    ledgers from before times were fixed-width. Anything else is a ``ValueError``."""
    if _UNPADDED.match(value):
        # Written by builds whose stamps of years before 1000 were strftime's, unpadded.
        year, _, rest = value.partition("-")
        value = f"{int(year):04d}-{rest}"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"not a ledger time: {value!r}")
    return parsed.astimezone(UTC)


_time = moment


class HistoryLedger:
    """The sightings of problems, written and read back (mixed into ``Ledger``)."""

    conn: sqlite3.Connection

    def _write_history(
        self, report: int, rows: Iterable[tuple[int, Sighting, str]]
    ) -> list[tuple[int, int, int, int]]:
        """One report's sightings: (problem row id, sighting, its details' JSON). Returns
        the rows written: (problem, report, details id, texts id)."""
        details: dict[int, str] = {}
        texts: dict[int, str] = {}
        history: list[tuple[int, int, int, int]] = []
        for problem, sighting, details_text in rows:
            texts_text = _texts_json(sighting)
            details_key, texts_key = content_id(details_text), content_id(texts_text)
            details[details_key] = details_text
            texts[texts_key] = texts_text
            history.append((problem, report, details_key, texts_key))
        self.conn.executemany(
            "INSERT OR IGNORE INTO history_details (id, data) VALUES (?, ?)", details.items()
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO history_texts (id, data) VALUES (?, ?)", texts.items()
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO history (problem, report, details, texts) VALUES (?, ?, ?, ?)",
            sorted(history),  # in key order (one report, problem by problem): the last pages
        )
        return history

    def sightings(self, fingerprint: str) -> list[Sighting]:
        """Every sighting of a problem (in no particular order: the fold sorts by time)."""
        found = [
            Sighting.model_validate_json(row[0])
            for row in self.conn.execute(
                "SELECT data FROM sightings WHERE fingerprint = ?", (fingerprint,)
            )
        ]
        rows = self.conn.execute(
            # Through the tenant's reports, a key look-up each (history is keyed by report,
            # then problem): CROSS JOIN keeps that order.
            "SELECT p.data, r.key, r.at, r.source, r.subject, d.data, t.data FROM problems p "
            "CROSS JOIN reports r ON r.tenant_key = p.tenant_key "
            "CROSS JOIN history h ON h.report = r.rowid AND h.problem = p.rowid "
            "JOIN history_details d ON d.id = h.details JOIN history_texts t ON t.id = h.texts "
            "WHERE p.fingerprint = ?",
            (fingerprint,),
        ).fetchall()
        if rows:
            problem = Problem.model_validate_json(rows[0][0])
        for _data, key, at, source, subject, details, texts in rows:
            extra = json.loads(texts)
            enrichment = extra["enrichment"]
            found.append(
                Sighting(
                    problem=problem,
                    report_key=key,
                    at=_time(at),
                    details=Details.model_validate_json(details),
                    messages=tuple(extra["messages"]),
                    tracking_ids=tuple(extra["tracking_ids"]),
                    source=source,
                    subject=subject,
                    enrichment=(
                        Enrichment.model_validate(enrichment) if enrichment is not None else None
                    ),
                )
            )
        return found


def created(value: str) -> datetime:
    """An intent's creation time as stored: ``stamp``'s text, or the ``isoformat`` text of
    ledgers written before times were fixed-width."""
    try:
        return moment(value)
    except ValueError:
        return datetime.fromisoformat(value).astimezone(UTC)

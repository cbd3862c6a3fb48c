"""The batch-run sentence of a report's text: "...completed on <date> for tenant <name>."."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .body import collapse, paragraphs

_TENANT = re.compile(
    r"completed on (?P<date>.+?) for tenant (?P<tenant>.+?)"
    r"(?:\.(?=\s+The following errors|\s*$)|(?=\s+The following errors|\s*$))",
    re.IGNORECASE,
)
"""Matched only at the first "completed on ", once a " for tenant " follows (_sentence)."""
_COMPLETED_ON = re.compile(r"completed on ", re.IGNORECASE)
_FOR_TENANT = re.compile(r" for tenant ", re.IGNORECASE)
_DATE_FORMATS = ("%A, %d %B %Y %H:%M:%S", "%d %B %Y %H:%M:%S", "%A, %B %d, %Y %I:%M:%S %p")


def find_tenant(text: str) -> tuple[str | None, datetime | None]:
    """Tenant and completion time from "...completed on <date> for tenant <name>."."""
    if "for tenant" not in text:
        return None, None
    for para in paragraphs(text):
        found = _sentence(collapse(para))
        if found:
            return found.group("tenant").strip() or None, parse_report_date(found.group("date"))
    return None, None


def _sentence(flat: str) -> re.Match[str] | None:
    """``_TENANT.search(flat)`` for whitespace-collapsed text, in linear time.

    Searched, the regex read from each "completed on " to the end when no " for tenant "
    followed: quadratic in the repeats (52 KB, a second). In collapsed text (no newline for
    ``.`` to stop at, no trailing space) it matches from the first "completed on " exactly
    when a " for tenant " follows it past the date's one character; else from none.
    """
    opener = _COMPLETED_ON.search(flat)
    if opener is None or _FOR_TENANT.search(flat, opener.end() + 1) is None:
        return None
    return _TENANT.match(flat, opener.start())


def parse_report_date(text: str) -> datetime | None:
    """``Tuesday, 03 January 2012 23:54:02 GMT`` (and RFC 2822 dates) as UTC."""
    cleaned = re.sub(r"\s*\b(?:GMT|UTC|Z)\s*$", "", text.strip())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if not parsed.tzinfo:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 31 Dec 9999 23:59:59 -0100 is past the last day in UTC: no date
        return None

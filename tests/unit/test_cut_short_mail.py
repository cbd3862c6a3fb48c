"""A report cut short (still being written, or cut in transit) is rejected ``truncated``.

Taken as a whole report, its missing rows counted as absences, and the whole message read
later was the same report "already seen": the rows it lost were never ticketed (rev21). Only
what the format proves is a cut; complete mail, sloppy HTML included, parses as before.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.trust import TrustPolicy

from ..conftest import REPORTS

EXTRA_COLUMNS = (REPORTS / "aadconnect_extra_columns.eml").read_bytes()
ROWS = len(json.loads((REPORTS / "aadconnect_extra_columns.json").read_bytes())["errors"])
FORWARDERS = TrustPolicy(forwarders=("it-admin@contoso.com",))


def _rejected(raw: bytes, trust: TrustPolicy | None = None) -> Rejected:
    result = parse_message(raw, "cut.eml", trust)
    assert isinstance(result, Rejected), f"parsed with {len(result.errors)} error(s)"
    return result


def test_every_cut_inside_the_error_table_is_truncated_never_a_report() -> None:
    # From just after the table opens (its header not yet whole) to just before </table>:
    # inside a cell, between cells, between rows, right after the header row.
    start = EXTRA_COLUMNS.index(b"<table")
    end = EXTRA_COLUMNS.index(b"</table>")
    first_row = EXTRA_COLUMNS.index(b"</tr>", start) + len(b"</tr>")
    cuts = [*range(start + len(b"<table"), end, 37), first_row, end - 1]
    codes = {_rejected(EXTRA_COLUMNS[:at]).code for at in cuts}
    assert codes == {"truncated"}


def test_a_table_cut_after_its_header_row_is_no_report_of_zero_errors() -> None:
    # The old reading: no row left open (nothing to drop), a complete report of no errors,
    # an absence of every problem of the tenant.
    at = EXTRA_COLUMNS.index(b"</tr>") + len(b"</tr>\n")
    rejected = _rejected(EXTRA_COLUMNS[:at])
    assert rejected.code == "truncated"
    assert "inside a table" in rejected.reason and "\n" not in rejected.reason


def test_a_base64_body_cut_in_the_middle_of_a_group_is_truncated() -> None:
    raw = (REPORTS / "aadconnect_base64_html.eml").read_bytes()
    found = re.search(rb"\r?\n\r?\n", raw)
    assert found is not None
    body = found.end()
    cut = raw[: body + 4 * 40 + 2]  # two characters into a group of four
    rejected = _rejected(cut)
    assert rejected.code == "truncated"
    assert "base64" in rejected.reason


def test_an_attached_forward_cut_short_is_truncated() -> None:
    raw = (REPORTS / "forward_attached_rfc822.eml").read_bytes()
    cut = raw[: raw.rindex(b"</tr>")]  # the outer and the inner message both unfinished
    assert _rejected(cut, FORWARDERS).code == "truncated"


def test_a_cut_message_from_an_untrusted_sender_is_still_refused_by_name() -> None:
    raw = (REPORTS / "hostile_spoofed_display_name.eml").read_bytes()
    cut = raw[: raw.rindex(b"</tr>")]
    assert _rejected(cut).code == "untrusted-sender"


@pytest.mark.parametrize("closing", [b"</body></html>\n", b"</html>", b"</body>"])
def test_sloppy_html_that_never_closes_its_table_but_ends_is_parsed(closing: bytes) -> None:
    complete = EXTRA_COLUMNS.replace(b"</table>", b"", 1)
    body = complete[: complete.index(b"</body>")] + closing
    result = parse_message(body, "sloppy.eml")
    assert isinstance(result, Report), getattr(result, "reason", None)
    assert result.complete and len(result.errors) == ROWS


def test_base64_that_decodes_whole_is_not_taken_for_a_cut() -> None:
    head, body = re.split(rb"\r?\n\r?\n", EXTRA_COLUMNS, maxsplit=1)
    head = head.replace(b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: base64")
    result = parse_message(head + b"\r\n\r\n" + base64.encodebytes(body), "b64.eml")
    assert isinstance(result, Report), getattr(result, "reason", None)
    assert len(result.errors) == ROWS

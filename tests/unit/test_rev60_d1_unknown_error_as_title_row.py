"""Hostile review rev60 D1: a one-cell full-width row under the header holding an error the
catalogue does not know ("Unable to sync this object") is taken for a section title and
skipped silently: the error is gone and the report complete. At 8493556 it was filed (an
Unknown error named by its text); since 76f2c18 nothing of it is left, not even a warning.

A short text no catalogue knows cannot be told from a section title by its words alone: when
unsure, incomplete (``BodyFacts.unsure_rows``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import _email, duplicate, report_html

AT = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY = "<table><tr><th>Identity</th><th>Error Description</th></tr>\n</table>"
HEADER = "<tr><th>Identity</th><th>Error Description</th></tr>\n"
ANN = duplicate("ProxyAddresses", "smtp:ann@contoso.com")
CAT = duplicate("ProxyAddresses", "smtp:cat@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev60-d1@x"), "x.eml", None)


@pytest.mark.parametrize("text", ["Unable to sync this object", "Sync failed: object too large"])
@pytest.mark.parametrize("tag", ["td", "th"])
def test_an_unknown_error_in_a_full_width_row_is_never_dropped_with_the_report_complete(
    text: str, tag: str
) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        f"<tr><{tag} colspan=2>{text}</{tag}></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT}</td></tr>\n"
    )
    result = _report(f"<table>{HEADER}{rows}</table>")
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    assert ("ann@contoso.com", DUPLICATE) in errors and ("cat@contoso.com", DUPLICATE) in errors
    # Seen at 0677149: the row skipped, no warning, complete True (8493556: filed as an
    # Unknown error named by the text, complete True).
    assert result.complete is False, errors

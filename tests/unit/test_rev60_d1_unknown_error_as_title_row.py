"""Hostile review rev60 D1: a one-cell full-width row under the header holding an error the
catalogue does not know ("Unable to sync this object") is taken for a section title and
skipped silently: the error is gone and the report complete. At 8493556 it was filed (an
Unknown error named by its text); since 76f2c18 nothing of it is left, not even a warning.

A short text no catalogue knows cannot be told from a section title by its words alone: when
unsure, incomplete (``BodyFacts.unsure_rows``).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, CAT_DUP, DUPLICATE_KIND, errors_of, parse_html, table_report


@pytest.mark.parametrize("text", ["Unable to sync this object", "Sync failed: object too large"])
@pytest.mark.parametrize("tag", ["td", "th"])
def test_an_unknown_error_in_a_full_width_row_is_never_dropped_with_the_report_complete(
    text: str, tag: str
) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><{tag} colspan=2>{text}</{tag}></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT_DUP}</td></tr>\n"
    )
    result = parse_html(table_report(rows), "rev60-d1@x")
    assert isinstance(result, Report), result
    errors = errors_of(result)
    assert ("ann@contoso.com", DUPLICATE_KIND) in errors
    assert ("cat@contoso.com", DUPLICATE_KIND) in errors
    # Seen at 0677149: the row skipped, no warning, complete True (8493556: filed as an
    # Unknown error named by the text, complete True).
    assert result.complete is False, errors

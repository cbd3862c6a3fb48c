"""Hostile review rev61 D6 (regression from 8493556 in kind: filed then, silent now): a
full-width one-cell row is a silent title when all its words are in ``_TITLE_WORDS``. The
list holds the words of error sentences (``export``, ``failed``, ``for``, ``user``,
``synchronization``, ``provisioning``...): ``Export failed for user`` or ``Synchronization
failed`` under the header, an error the catalogue does not know, is skipped as a title with
the report complete. At 8493556 such a row was filed as an Unknown row (seen, if misnamed);
rev60 D1 (``Unable to sync this object``) is the same defect with other words.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from ..reportgen import ANN_DUP, CAT_DUP, parse_html, table_report


@pytest.mark.parametrize(
    "text", ["Export failed for user", "Synchronization failed", "Provisioning failed"]
)
def test_an_error_sentence_spanning_the_row_is_never_skipped_with_the_report_complete(
    text: str,
) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
        f"<tr><td colspan=2>{text}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT_DUP}</td></tr>\n"
    )
    result = parse_html(table_report(rows), "rev61-d6@x")
    assert isinstance(result, Report), result
    messages = " ".join(f"{error.identity} {error.kind}" for error in result.errors)
    # Seen at 8d9cbb0: ann and cat only, complete True (8493556: the row filed as Unknown).
    assert result.complete is False or text in messages, (result.complete, messages)

"""Hostile review rev61 D6 (regression from 8493556 in kind: filed then, silent now): a
full-width one-cell row is a silent title when all its words are in ``_TITLE_WORDS``. The
list holds the words of error sentences (``export``, ``failed``, ``for``, ``user``,
``synchronization``, ``provisioning``...): ``Export failed for user`` or ``Synchronization
failed`` under the header, an error the catalogue does not know, is skipped as a title with
the report complete. At 8493556 such a row was filed as an Unknown row (seen, if misnamed);
rev60 D1 (``Unable to sync this object``) is the same defect with other words.
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


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev61-d6@x"), "x.eml", None)


@pytest.mark.parametrize(
    "text", ["Export failed for user", "Synchronization failed", "Provisioning failed"]
)
def test_an_error_sentence_spanning_the_row_is_never_skipped_with_the_report_complete(
    text: str,
) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        f"<tr><td colspan=2>{text}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT}</td></tr>\n"
    )
    result = _report(f"<table>{HEADER}{rows}</table>")
    assert isinstance(result, Report), result
    messages = " ".join(f"{error.identity} {error.kind}" for error in result.errors)
    # Seen at 8d9cbb0: ann and cat only, complete True (8493556: the row filed as Unknown).
    assert result.complete is False or text in messages, (result.complete, messages)

"""Hostile review rev60 D2: an identity in a shape ``identity_shape`` does not know (a display
name, a computer's sAMAccountName, a bare sAMAccountName, an object id GUID without dashes)
in a one-cell full-width row is taken for a section title and skipped silently, the report
complete. A report grouping its errors under each object's name (the name spanning the
table, the error rows under it with an empty identity cell) loses every such error: the
name skipped as a title, the rows left out as naming no object, the report complete. At
8493556 the name was filed (an Unknown error named by it): the object stayed visible.
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
BEN = duplicate("ProxyAddresses", "smtp:ben@contoso.com")
CAT = duplicate("ProxyAddresses", "smtp:cat@contoso.com")
DUPLICATE = "AttributeValueMustBeUnique"


def _report(table: str) -> Report | Rejected:
    html = report_html("Contoso", AT, []).replace(EMPTY, table)
    return parse_message(_email(html, AT, "rev60-d2@x"), "x.eml", None)


@pytest.mark.parametrize(
    "name", ["Ben Bell", "BEN-PC01$", "jdoe", "6f9619ff8b86d011b42d00c04fc964ff"]
)
def test_a_name_in_a_full_width_row_under_the_header_is_never_dropped_complete(
    name: str,
) -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        f"<tr><td colspan=2>{name}</td></tr>\n"
        f"<tr><td>cat@contoso.com</td><td>{CAT}</td></tr>\n"
    )
    result = _report(f"<table>{HEADER}{rows}</table>")
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    # Seen at 0677149: [ann, cat], complete True: the name is gone with no word.
    assert result.complete is False or any(identity == name for identity, _ in errors), errors


def test_errors_grouped_under_their_objects_name_are_never_lost_with_the_report_complete() -> None:
    rows = (
        f"<tr><td>ann@contoso.com</td><td>{ANN}</td></tr>\n"
        "<tr><td colspan=2>Ben Bell</td></tr>\n"
        f"<tr><td></td><td>{BEN}</td></tr>\n"
    )
    result = _report(f"<table>{HEADER}{rows}</table>")
    assert isinstance(result, Report), result
    errors = [(error.identity, error.kind) for error in result.errors]
    assert ("ann@contoso.com", DUPLICATE) in errors
    # Seen at 0677149: [ann] alone, complete True; ben's error left out as naming no object,
    # its name skipped as a title (8493556: ('Ben Bell', 'Unknown') filed beside ann).
    assert result.complete is False or any(identity == "Ben Bell" for identity, _ in errors)

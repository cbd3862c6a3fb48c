"""Hostile review rev63 D2 (regression from 8493556, high): ``read_body`` lets a plain part
that reads rows win over an HTML part whose rows were all left out (``unsure_rows``), and
the plain reading carries no doubt: the report is COMPLETE. Every row the HTML table holds
and the plain part lacks resolves (ben below); a plain part of ANOTHER tenant's report
turns the message into that tenant's complete report (Contoso's errors lost, Fabrikam's
open problems not listed resolved). At 8493556 the HTML rows were read (Contoso, ann, ben).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message

from ..reportgen import ANN_DUP, AT, BEN_DUP, CAT_DUP, html_report, multipart_report

HEADER_3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>\n"
SHORT_ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>\n"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>\n"
)
UNSURE_HTML = html_report(f"<table>{HEADER_3}{SHORT_ROWS}</table>")


def _plain(tenant: str, rows: list[tuple[str, str]]) -> str:
    return (
        "Hello,\n\nThe Directory Synchronization batch run was\ncompleted on "
        f"{AT.strftime('%A, %d %B %Y %H:%M:%S GMT')} for tenant {tenant}.\n\n"
        "The following errors occurred during synchronization:\n\n"
        + "".join(f"{identity}\n\n{message}\n\n" for identity, message in rows)
    )


def _message(kind: str, parts: list[tuple[str, str]]) -> bytes:
    return multipart_report(kind, parts, "rev63-d2@x")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            _message(
                "alternative",
                [
                    ("plain", _plain("Contoso", [("ann@contoso.com", ANN_DUP)])),
                    ("html", UNSURE_HTML),
                ],
            ),
            id="plain-lacks-a-row",
        ),
        pytest.param(
            _message(
                "mixed",
                [
                    ("html", UNSURE_HTML),
                    ("plain", _plain("Fabrikam", [("zed@fabrikam.com", CAT_DUP)])),
                ],
            ),
            id="plain-of-another-tenant",
            marks=pytest.mark.xfail(
                strict=True,
                reason="rev63 D2: a plain part of another tenant is read (incomplete) beside "
                "an HTML part whose rows were all left out",
            ),
        ),
    ],
)
def test_rows_left_out_in_html_are_never_resolved_by_a_plain_part(raw: bytes) -> None:
    result = parse_message(raw, "x.eml", None)
    if isinstance(result, Report):
        identities = {error.identity for error in result.errors}
        # Seen: complete True, Contoso with ann alone, or Fabrikam with zed alone.
        assert result.tenant == "Contoso", (result.tenant, identities)
        assert not result.complete or {"ann@contoso.com", "ben@contoso.com"} <= identities, (
            result.complete,
            identities,
        )

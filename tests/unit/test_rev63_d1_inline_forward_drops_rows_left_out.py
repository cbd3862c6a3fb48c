"""Hostile review rev63 D1 (regression from 8493556 for short rows, high): an HTML report
forwarded inline (a Gmail-style "Forwarded message" block) is read by
``forwards.inline_forward``, which builds its ``BodyFacts`` from the rows read and drops the
HTML reading's ``unsure_rows``. A row left out as short (3-column header, 2-cell row) or as a
spanning row is then missing from a COMPLETE report: that object's open ticket resolves
while its error is still listed. 1dbf207 made ``read_body`` keep the count, not this path.
At 8493556 the short row was read (both errors filed).
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.trust import TrustPolicy

from ..reportgen import ANN_DUP, BEN_DUP

HEAD = (
    b"Date: Wed, 4 Jan 2012 09:15:02 -0800\n"
    b"From: Alex Wilber <it-admin@contoso.com>\n"
    b"To: dirsync-reports@contoso.com\n"
    b"Subject: Fwd: Directory Synchronization Error Report\n"
    b"Message-ID: <rev63-d1@x>\n"
    b"MIME-Version: 1.0\n"
    b'Content-Type: text/html; charset="UTF-8"\n\n'
)
OID = "1f0c5b9e-6a0e-4a44-9f5e-0d2b6a1c3e7f"
ANN_FULL = f"<tr><td>ann@contoso.com</td><td>{OID}</td><td>{ANN_DUP}</td></tr>"
H3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>"
H2 = "<tr><th>Identity</th><th>Error Description</th></tr>"
ANN_2 = f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>"


def _forward(table: str) -> bytes:
    return (
        HEAD
        + (
            '<div dir="ltr">FYI<br><br><div class="gmail_quote">'
            "---------- Forwarded message ---------<br>"
            "From: Microsoft Online Services Team "
            "&lt;MSOnlineServicesTeam@MicrosoftOnline.com&gt;<br>"
            "Date: Tue, Jan 3, 2012 at 3:55 PM<br>"
            "Subject: Directory Synchronization Error Report<br>To: sara@contoso.com<br><br>\n"
            "<p>Hello,</p><p>The Directory Synchronization batch run was completed on Tuesday, "
            "03 January 2012 23:54:02 GMT for tenant Contoso.</p>\n"
            "<p>The following errors occurred during synchronization:</p>\n"
            f"{table}\n<p>Thank you,</p></div></div>\n"
        ).encode()
    )


@pytest.mark.parametrize(
    "table",
    [
        pytest.param(
            f"<table>{H3}{ANN_FULL}<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr></table>",
            id="short-row",
        ),
        pytest.param(
            f"<table>{H2}{ANN_2}<tr><td colspan=2>ben@contoso.com {BEN_DUP}</td></tr></table>",
            id="spanning-row",
        ),
    ],
)
def test_a_forwarded_report_with_a_row_left_out_never_reads_complete_without_it(
    table: str,
) -> None:
    trust = TrustPolicy(forwarders=("it-admin@contoso.com",))
    result = parse_message(_forward(table), "fwd.eml", trust)
    assert isinstance(result, Report), result
    identities = {error.identity for error in result.errors}
    assert "ann@contoso.com" in identities
    # Seen: complete True, only ann's error (ben's open ticket would resolve).
    assert "ben@contoso.com" in identities or not result.complete, (result.complete, identities)

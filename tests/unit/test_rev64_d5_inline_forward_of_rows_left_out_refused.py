"""Hostile review rev64 D5 (low: a refusal, nothing resolves; a regression from 8493556,
which read the short rows): a report whose error table's rows were ALL left out (short rows)
reads as an incomplete report sent direct (``read_body`` keeps the HTML part), but
forwarded inline (Gmail's "Forwarded message" block) ``inline_forward`` reads the text after
the header instead: its errors sentence is followed by no row, and the forward is refused
as rows unread. The same report, sent or forwarded, should read the same.
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
    b"Message-ID: <rev64-d5@x>\n"
    b"MIME-Version: 1.0\n"
    b'Content-Type: text/html; charset="UTF-8"\n\n'
)
H3 = "<tr><th>Identity</th><th>Object ID</th><th>Error Description</th></tr>"
SHORT_ROWS = (
    f"<tr><td>ann@contoso.com</td><td>{ANN_DUP}</td></tr>"
    f"<tr><td>ben@contoso.com</td><td>{BEN_DUP}</td></tr>"
)
FORWARD = (
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
        f"<table>{H3}{SHORT_ROWS}</table>\n<p>Thank you,</p></div></div>\n"
    ).encode()
)


@pytest.mark.xfail(
    strict=True,
    reason="rev64 D5: an inline forward of a table whose rows were all left out is refused as "
    "rows unread, where the same report sent direct reads as incomplete",
)
def test_a_forwarded_table_of_rows_all_left_out_reads_as_the_report_sent_direct() -> None:
    trust = TrustPolicy(forwarders=("it-admin@contoso.com",))
    result = parse_message(FORWARD, "fwd.eml", trust)
    # Seen: Rejected not-a-report ('The following errors occurred" is followed by no error
    # row read'); sent direct, Report(tenant='Contoso', complete=False).
    assert isinstance(result, Report), result
    assert result.tenant == "Contoso"
    assert not result.complete

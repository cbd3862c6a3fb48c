"""Hostile review rev48: a report forwarded inline with each line quoted by "> ".

``forwards._FORWARD_MARKER`` and ``_FORWARD_HEADER`` take a ">"-quoted marker and header
lines, so such a forward is read; but its blank lines are quoted too (">"), so the whole
report is one paragraph: the errors' sentence is found, nothing after it, and the forward
is accepted as a report of no errors (its tenant read as "Contoso. > >"). Every error of
the report is lost with no word; a tenant name read right would resolve every open ticket.
"""

from __future__ import annotations

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.trust import TrustPolicy

TRUST = TrustPolicy(forwarders=("it-admin@contoso.com",))
HEAD = (
    b"Date: Thu, 26 Sep 2013 20:00:00 +0000\n"
    b"From: IT Admin <it-admin@contoso.com>\n"
    b"To: helpdesk@contoso.com\n"
    b"Subject: FW: Directory Synchronization Error Report\n"
    b"Message-ID: <rev48-fw@x.test>\n"
    b"MIME-Version: 1.0\n"
    b'Content-Type: text/plain; charset="utf-8"\n'
    b"\n"
)
ORIGINAL = (
    "-----Original Message-----\n"
    "From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
    "Subject: Directory Synchronization Error Report\n"
    "\n"
    "Hello,\n\nThe Directory Synchronization batch run was\n"
    "completed on Thursday, 26 September 2013 19:05:31 GMT for tenant Contoso.\n\n"
    "The following errors occurred during synchronization:\n\n"
    "ann@contoso.com\n\n"
    "A synchronized object with the same proxy address already exists in your "
    "Microsoft Online Services directory.\n"
)


def test_a_quoted_inline_forward_is_not_a_report_of_no_errors() -> None:
    quoted = "\n".join(f"> {line}" if line else ">" for line in ORIGINAL.splitlines())
    result = parse_message(HEAD + b"FYI, see below.\n\n" + quoted.encode() + b"\n", "x.eml", TRUST)
    # Now: a Report with errors == () and tenant == "Contoso. > >".
    assert isinstance(result, Rejected) or [(e.identity, e.kind) for e in result.errors] == [
        ("ann@contoso.com", "AttributeValueMustBeUnique")
    ]

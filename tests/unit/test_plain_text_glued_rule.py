"""An underscore rule right after an error's last line (no blank line) separates it from
the next error, as it always did; only a footer after a rule ends the list (review rev29, 1).

Before: the rule was split off the error's paragraph and ended the list, so a DirSync-era
report (reference/format.md Sample A: error, Tracking ID, rule) kept only its first error;
the others became absences of a report read as complete.
"""

from __future__ import annotations

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.body import read_text
from dirsync_bridge.parse.message import parse_message

PLAIN_HEAD = (
    b"Date: Wed, 12 Oct 2016 08:00:31 +0000\n"
    b"From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
    b"To: admin@contoso.onmicrosoft.com\n"
    b"Subject: Directory Synchronization Error Report\n"
    b"Message-ID: <BN6PR05MB3012D00D0123456789ABCD@BN6PR05MB3012.namprd05.prod.outlook.com>\n"
    b"MIME-Version: 1.0\n"
    b'Content-Type: text/plain; charset="utf-8"\n'
    b"Content-Transfer-Encoding: 7bit\n"
    b"\n"
)

RULE = b"_" * 53

# A DirSync-era plain-text report (format.md Sample A shape: error, Tracking ID, underscore
# rule), with three errors, each closed by its Tracking ID line and the rule on the next
# line (no blank line between them).
PLAIN_BODY = (
    b"Hello Grady Archie,\n\n"
    b"The following errors occurred during synchronization:\n\n"
    b"grady.archie@contoso.com\n\n"
    b"Unable to update this object in Azure Active Directory, because the\n"
    b"attribute [None], is not valid. Update the value in your local directory\n"
    b"services.\n"
    b"Tracking Id: 8f0b1067-a691-4832-b9fe-9e18f35d835a\n" + RULE + b"\n\n"
    b"joni.sherman@contoso.com\n\n"
    b"Another cloud created object with the same source anchor already exists\n"
    b"in Azure Active Directory\n"
    b"Tracking Id: 1b2c3d4e-a691-4832-b9fe-9e18f35d835a\n" + RULE + b"\n\n"
    b"megan.bowen@contoso.com\n\n"
    b"Unable to update this object in Azure Active Directory, because the\n"
    b"attribute [None], is not valid. Update the value in your local directory\n"
    b"services.\n"
    b"Tracking Id: 9a8b7c6d-a691-4832-b9fe-9e18f35d835a\n" + RULE + b"\n"
)


def test_plain_text_rule_right_after_each_error_keeps_every_error() -> None:
    result = parse_message(PLAIN_HEAD + PLAIN_BODY, "x.eml", None)
    assert not isinstance(result, Rejected)
    assert [e.identity for e in result.errors] == [
        "grady.archie@contoso.com",
        "joni.sherman@contoso.com",
        "megan.bowen@contoso.com",
    ]


def test_a_footer_after_the_last_glued_rule_still_ends_the_list() -> None:
    text = (
        PLAIN_BODY.decode() + "CAUTION: This email originated from outside of the organization.\n"
    )
    rows = read_text(text).rows
    assert [row.identity for row in rows] == [
        "grady.archie@contoso.com",
        "joni.sherman@contoso.com",
        "megan.bowen@contoso.com",
    ]

"""A plain-text report's underscore rules, read as c1cbabf read them (review rev30).

Two attempts this stop to make a rule end the list when a gateway's footer follows it
(fixspool, then fixcut4's guess of footer against next error) each dropped real errors
after a rule: a message the catalogue does not know, an identity that is not one token, two
rules in a row. Both were reverted; these are the shapes they got wrong, each read as
c1cbabf reads it. (A footer glued right after a rule is still read as an error: a known
limit, README.)"""

from __future__ import annotations

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.message import parse_message

HEAD = (
    b"Date: Thu, 26 Sep 2013 19:05:31 +0000\n"
    b"From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
    b"To: admin@contoso.onmicrosoft.com\n"
    b"Subject: Directory Synchronization Error Report\n"
    b"Message-ID: <BN6PR05MB3012D00D0123456789ABCE@BN6PR05MB3012.namprd05.prod.outlook.com>\n"
    b"MIME-Version: 1.0\n"
    b'Content-Type: text/plain; charset="utf-8"\n'
    b"Content-Transfer-Encoding: 7bit\n"
    b"\n"
)
RULE = "_" * 53
INTRO = (
    "Hello Kim Akers,\n\n"
    "The Directory Synchronization batch run was\n"
    "completed on Thursday, 26 September 2013 19:05:31 GMT for tenant Contoso.\n\n"
    "The following errors occurred during synchronization:\n\n"
)
FIRST = (
    "kim.akers@contoso.com\n\n"
    "A synchronized object with the same proxy address already exists in your\n"
    "Microsoft Online Services directory.\n"
    "Tracking ID: 5c0f3b1e-8a2d-4e6f-9b7c-1d2e3f4a5b6c\n"
)
LAST = (
    "ben.smith@contoso.com\n\n"
    "Unable to update this object because the user ID is not found.\n\n" + RULE + "\n"
)


def _identities(body: str) -> list[str | None]:
    result = parse_message(HEAD + body.encode(), "x.eml", None)
    assert not isinstance(result, Rejected), result
    return [e.identity for e in result.errors]


def test_unknown_tenant_level_error_glued_after_rule_drops_the_rest() -> None:
    # Sample A shape (tenant-level error, Tracking ID, rule) with a message wording the
    # catalogue does not know: the main reader takes such a paragraph as an error row.
    body = (
        INTRO + FIRST + RULE + "\n"
        "Synchronization could not complete because the Azure Active Directory\n"
        "connector reported a transient failure. Try again later.\n"
        "Tracking ID: 6c0f3b1e-8a2d-4e6f-9b7c-1d2e3f4a5b6c\n" + RULE + "\n\n" + LAST
    )
    # c1cbabf: ['kim.akers@contoso.com', 'ben.smith@contoso.com']; a7ccf83: ben is lost
    assert "ben.smith@contoso.com" in _identities(body)


def test_unknown_object_message_glued_after_rule_drops_the_rest() -> None:
    body = (
        INTRO + FIRST + RULE + "\n"
        "Unable to frobnicate this object in Azure Active Directory.\n"
        "Tracking ID: 7c0f3b1e-8a2d-4e6f-9b7c-1d2e3f4a5b6c\n\n" + LAST
    )
    assert "ben.smith@contoso.com" in _identities(body)


def test_dn_identity_with_a_space_glued_after_rule_drops_its_error() -> None:
    body = (
        INTRO + FIRST + RULE + "\n"
        "CN=Ben Smith,OU=Users,DC=contoso,DC=com\n\n"
        "Unable to update this object because the user ID is not found.\n\n" + RULE + "\n"
    )
    # c1cbabf: 2 rows (the second with no identity); a7ccf83: 1 row
    assert len(_identities(body)) == 2


def test_double_rule_glued_after_error_drops_the_next_error() -> None:
    body = INTRO + FIRST + RULE + "\n" + RULE + "\n" + LAST
    assert len(_identities(body)) == 2


def test_footer_whose_first_line_is_an_address_becomes_an_error() -> None:
    body = INTRO + FIRST + RULE + "\nhelpdesk@contoso.com\nContoso IT Service Desk, ext. 4357\n"
    # c1cbabf: ['kim.akers@contoso.com']; a7ccf83 adds a row "helpdesk@contoso.com Contoso
    # IT Service Desk, ext. 4357" (a ticket for a footer)
    assert _identities(body) == ["kim.akers@contoso.com"]


GLUED = (
    "kim.akers@contoso.com\n\n"
    "A synchronized object with the same proxy address already exists in your\n"
    "Microsoft Online Services directory.\n"
    "Tracking ID: 5c0f3b1e-8a2d-4e6f-9b7c-1d2e3f4a5b6c\n" + RULE + "\n\n"
    "ben.smith@contoso.com\n\n"
    "Unable to update this object because the user ID is not found.\n"
    "Tracking ID: 6c0f3b1e-8a2d-4e6f-9b7c-1d2e3f4a5b6c\n" + RULE + "\n"
)

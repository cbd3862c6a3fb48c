"""Hostile review rev55 D2 of 4563d91 (rev48: a nameless object error after a loose end).

``read_text`` counts (``BodyFacts.glued``) a row naming no object after a paragraph that
"may end in an identity" (``after_loose``: an error the catalogue does not know, or one
whose last line is short with no full stop), saying it is left out as naming none. But a
tenant-level error (the object quota, format.md Sample A, "a tenant-level row has no
identity") is kept (``named_rows``: its family names no object), so nothing is left out and
the count only makes the report incomplete: nothing resolves by it, every day the quota
keeps synchronization stopped. Seen after KB 2669550's verbatim message ("...Update the
value in your local Active Directory", no full stop: the fixture
dirsync_object_errors_paragraphs.eml ends with it), after any Unknown error, and in
Sample A itself once its errors sentence wraps ("during\\nsynchronization:"). At 252afde
each is complete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Report

from .test_rev51_closing_words import HEAD, INTRO, _identities, _report

QUOTA = (
    "Synchronization has been stopped. The company has\n"
    "exceeded the number of objects that can be synchronized. Contact Technical\n"
    "Support and ask for an increase in your company\u2019s quota..\n\n"
    "Tracking ID: cb441337-5739-4d70-9b2e-4f10d87598a0\n\n"
    "_____________________________________________________\n"
)
FEDERATED = (
    "bob@fabrikam.com\n\n"
    "Unable to update this object in Microsoft Online Services, because the\n"
    "attribute FederatedUser.UserPrincipalName is not valid. Update the value\n"
    "in your local Active Directory\n\n"
)
UNKNOWN = "bob@fabrikam.com\n\nSome brand new error text that Microsoft started sending.\n\n"
WRAPPED = INTRO.replace("during synchronization:", "during\nsynchronization:")


@pytest.mark.parametrize(
    ("intro", "rows", "identities"),
    [
        (INTRO, FEDERATED, ["bob@fabrikam.com", None]),
        (INTRO, UNKNOWN, ["bob@fabrikam.com", None]),
        (WRAPPED, "", [None]),
    ],
    ids=["after-kb2669550-message", "after-an-unknown-error", "sample-a-sentence-wrapped"],
)
def test_a_tenant_level_error_after_a_loose_end_leaves_the_report_complete(
    intro: str, rows: str, identities: list[str | None]
) -> None:
    result = _report(HEAD + intro + rows + QUOTA)
    assert isinstance(result, Report), result
    assert _identities(result) == identities
    # Seen: complete False ("1 paragraph the reader could not pair"), nothing left out.
    assert result.complete

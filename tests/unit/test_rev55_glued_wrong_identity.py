"""Hostile review rev55 D3 of 4563d91 (rev48: an identity glued under the paragraph before).

``identity_ending`` takes the last line of an error's (or the errors sentence's) paragraph
for the next row's identity whenever that line is identity-shaped and ``_error_next`` says
the next paragraph may be an error's. But ``_error_next`` says so of a ``Tracking ID:``
paragraph (Microsoft's own layout, format.md Sample A) and of a tenant-level error (the
object quota, which names no object by nature). So a line of Microsoft's message text that
is identity-shaped ("hr=0x80230703" wrapped onto a line of its own, rev47's export error),
or a wrapped line under the errors sentence, becomes an object: the quota is filed on
"hr=0x80230703" or "helpdesk@contoso.com", or (after a Tracking ID paragraph) the next
row's identity paragraph is read as the error text of "hr=0x80230703" and that row's own
error left nameless (with a known error: the report refused). Tickets on objects that do
not exist, the right object's error not on its ticket. At 252afde each was read with the
errors on the right objects, complete.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected

from .test_rev51_closing_words import HEAD, INTRO, _report

TRACKING = "Tracking ID: cb441337-5739-4d70-9b2e-4f10d87598a0\n\n"
RULE = "_____________________________________________________\n"
QUOTA = (
    "Synchronization has been stopped. The company has\n"
    "exceeded the number of objects that can be synchronized. Contact Technical\n"
    "Support and ask for an increase in your company\u2019s quota..\n\n"
)
EXPORT = (
    "ann@contoso.com\n\n"
    "The object CN=Ann Akers,OU=Users,DC=contoso,DC=com could not be exported,\n"
    "hr=0x80230703\n\n"
)
UNKNOWN = "Some brand new error text that Microsoft started sending this week.\n\n"
NOT_FOUND = "Unable to update this object because the user ID is not found.\n\n"
SENTENCE = INTRO.replace(
    "during synchronization:\n", "during synchronization. Questions go to\nhelpdesk@contoso.com\n"
)


@pytest.mark.parametrize(
    ("intro", "body", "expected"),
    [
        (
            INTRO,
            EXPORT + TRACKING + "bob@contoso.com\n\n" + UNKNOWN + RULE,
            ["ann@contoso.com", "bob@contoso.com"],
        ),
        (
            INTRO,
            EXPORT + TRACKING + "bob@contoso.com\n\n" + NOT_FOUND + RULE,
            ["ann@contoso.com", "bob@contoso.com"],
        ),
        (INTRO, EXPORT + QUOTA + TRACKING + RULE, ["ann@contoso.com", None]),
        (SENTENCE, QUOTA + TRACKING + RULE, [None]),
    ],
    ids=[
        "hr-line-then-tracking-id",
        "hr-line-then-tracking-id-known-error",
        "hr-line-then-quota",
        "sentence-line-then-quota",
    ],
)
def test_a_line_of_text_is_not_paired_as_the_next_rows_identity(
    intro: str, body: str, expected: list[str | None]
) -> None:
    result = _report(HEAD + intro + body)
    # Seen: rows on "hr=0x80230703" (bob's paragraph its error text, bob's error nameless;
    # or the quota) and on "helpdesk@contoso.com" (the quota); with bob's error known, the
    # report refused not-a-report (bob's error nameless after an "unplaced" paragraph).
    assert not isinstance(result, Rejected), result
    assert [e.identity for e in result.errors] == expected


@pytest.mark.parametrize(
    "body",
    [
        EXPORT + "bob@contoso.com\n\n" + NOT_FOUND + RULE,
        EXPORT + NOT_FOUND + RULE,
    ],
    ids=["hr-line-then-a-row", "hr-line-then-an-object-error"],
)
def test_a_line_the_sentence_above_runs_on_into_is_not_the_next_rows_identity(body: str) -> None:
    # "could not be exported,\nhr=0x80230703": the sentence runs on into the line (its comma),
    # so the line is the error's text, whatever error comes next.
    result = _report(HEAD + INTRO + body)
    assert not isinstance(result, Rejected), result
    assert "hr=0x80230703" not in [e.identity for e in result.errors]

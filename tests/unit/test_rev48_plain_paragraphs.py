"""Hostile review rev48 of 20fb972 (``BodyFacts.unplaced``): plain-text paragraphs.

20fb972 refuses a report whose nameless object error follows a paragraph the reader could not
place. The shapes it leaves (shapes' own list), judged: each below resolves a real object's
ticket as absent, or files its error "(tenant-level)". Each test accepts either outcome a fix
may choose: the report refused, or each error filed under the object it names.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.message import parse_message

HEAD = (
    b"Date: Thu, 26 Sep 2013 19:05:31 +0000\n"
    b"From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
    b"To: admin@contoso.onmicrosoft.com\n"
    b"Subject: Directory Synchronization Error Report\n"
    b"Message-ID: <rev48-para@x.test>\n"
    b"MIME-Version: 1.0\n"
    b'Content-Type: text/plain; charset="utf-8"\n'
    b"\n"
)
INTRO = (
    "Hello,\n\nThe Directory Synchronization batch run was\n"
    "completed on Thursday, 26 September 2013 19:05:31 GMT for tenant Contoso.\n\n"
    "The following errors occurred during synchronization:\n\n"
)
DUP = (
    "A synchronized object with the same proxy address already exists in your "
    "Microsoft Online Services directory."
)
NOT_FOUND = "Unable to update this object because the user ID is not found."
QUOTA = (
    "Synchronization has been stopped. The company has exceeded the number of objects that "
    "can be synchronized. Contact Technical Support and ask for an increase in your "
    "company's quota.."
)


def _read(body: str) -> Rejected | list[tuple[str | None, str]]:
    result = parse_message(HEAD + body.encode(), "x.eml", None)
    if isinstance(result, Rejected):
        return result
    return [(e.identity, e.kind) for e in result.errors]


@pytest.mark.parametrize("gap", ["\n", "\n\t"], ids=["next-line", "tab-indented-line"])
def test_an_identity_and_its_message_in_one_paragraph(gap: str) -> None:
    read = _read(INTRO + "ann@contoso.com" + gap + DUP + "\n")
    # Now: [(None, 'Unknown')], the report accepted.
    assert isinstance(read, Rejected) or read == [("ann@contoso.com", "AttributeValueMustBeUnique")]


@pytest.mark.parametrize(
    "errors",
    [
        "ann@contoso.com\n\n{dup}\n\nben@contoso.com\n\n{nf}\n",
        "ben@contoso.com\n\n{nf}\nann@contoso.com\n\n{dup}\n",
        "ben@contoso.com\n\n{nf}\nAnn Akers\n\n{dup}\n",
    ],
    ids=["glued-to-the-errors-sentence", "glued-to-the-error-before", "unknown-shape-glued"],
)
def test_a_nameless_object_error_beside_named_rows_is_not_filed_tenant_level(
    errors: str,
) -> None:
    body = INTRO.removesuffix("\n\n") + "\n" if errors.startswith("ann") else INTRO
    read = _read(body + errors.format(dup=DUP, nf=NOT_FOUND))
    # Now: (None, 'AttributeValueMustBeUnique') beside ben's error, the report accepted.
    assert isinstance(read, Rejected) or (None, "AttributeValueMustBeUnique") not in read


def test_an_unknown_shaped_identity_after_an_identity() -> None:
    read = _read(INTRO + "ben@contoso.com\n\nAnn Akers\n\n" + DUP + "\n")
    # Now: [(ben, 'Unknown'), (None, 'AttributeValueMustBeUnique')], the report accepted.
    assert isinstance(read, Rejected) or (None, "AttributeValueMustBeUnique") not in read

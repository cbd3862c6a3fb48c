"""Hostile review rev46 of bafba65: the ``_DN`` identity guess of plain-text report bodies.

bafba65 takes a paragraph of two or more RDNs, values holding spaces, for an identity. Its
last value runs to the end of the paragraph, so error text that starts DN-shaped (or a DN
with its message in the same paragraph) is taken for an identity: its error vanishes, with
no warning, and a report of nothing else is a complete report of no errors (it resolves
every open problem of the tenant). Fixed by the lead but the unknown-shape identity, a
defect older than bafba65, fixed by shapes: the report is refused ``not-a-report``.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.fingerprint import object_key
from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.message import parse_message

from ..reportgen import NOT_FOUND, head_2013
from ..reportgen import PLAIN_INTRO as INTRO
from ..reportgen import PROXY_DUP as DUP

HEAD = head_2013("rev46@x.test")
PLAIN = b'Content-Type: text/plain; charset="utf-8"\n\n'
HTML = b'Content-Type: text/html; charset="utf-8"\n\n'
SEP = "\n\n_____________________________________________________\n"
DN_SHAPED_ERRORS = [
    "CN=Ann Akers,OU=Users,DC=contoso,DC=com could not be exported to Azure Active Directory.",
    "c=US, st=WA: the object could not be exported.",
]


def _parsed(raw: bytes) -> list[tuple[str | None, str]] | Rejected:
    result = parse_message(raw, "x.eml", None)
    if isinstance(result, Rejected):
        return result
    return [(e.identity, e.kind) for e in result.errors]


@pytest.mark.parametrize("text", DN_SHAPED_ERRORS)
def test_an_error_text_starting_dn_shaped_keeps_its_error(text: str) -> None:
    body = INTRO + "ann@contoso.com\n\n" + text + "\n\nben@contoso.com\n\n" + NOT_FOUND + SEP
    errors = _parsed(HEAD + PLAIN + body.encode())
    # Today: [('ben@contoso.com', 'UserIdNotFound')]; at 10eae29 ann's Unknown error was read.
    assert not isinstance(errors, Rejected), errors
    assert "ann@contoso.com" in [identity for identity, _kind in errors]


@pytest.mark.parametrize(
    "raw",
    [
        HEAD + PLAIN + (INTRO + "ann@contoso.com\n\n" + DN_SHAPED_ERRORS[0] + SEP).encode(),
        HEAD
        + PLAIN
        + (
            INTRO + "CN=Ann Akers,OU=Users,DC=contoso,DC=com\nThe object could not be exported."
        ).encode(),
        HEAD
        + HTML
        + (
            b"<html><body><p>The following errors occurred during synchronization:</p>"
            b"<p>CN=Ann Akers,OU=Users,DC=contoso,DC=com<br>The object could not be exported."
            b"</p></body></html>"
        ),
    ],
    ids=["unknown-text-after-identity", "dn-and-message-one-paragraph", "html-no-table-br"],
)
def test_a_report_of_one_dn_shaped_error_is_never_a_report_of_no_errors(raw: bytes) -> None:
    errors = _parsed(raw)
    # Today: [] (a complete report of no errors); at 10eae29: one Unknown error.
    assert isinstance(errors, Rejected) or errors, errors


@pytest.mark.parametrize(
    "identity", ["Ann Akers", "ann@contoso.com.", "CONTOSO\\Ann Akers", "CN=Ann Akers"]
)
def test_an_identity_of_an_unknown_shape_does_not_slip_the_nameless_rejection(
    identity: str,
) -> None:
    errors = _parsed(HEAD + PLAIN + (INTRO + identity + "\n\n" + DUP + SEP).encode())
    # Before shapes: [(None, 'Unknown'), (None, 'AttributeValueMustBeUnique')], the report.
    assert isinstance(errors, Rejected) or (None, "AttributeValueMustBeUnique") not in errors


def test_a_dn_wrapped_after_a_comma_keys_as_the_same_object() -> None:
    def key(dn: str) -> str:
        result = parse_message(HEAD + PLAIN + (INTRO + dn + "\n\n" + DUP + SEP).encode(), "x", None)
        assert not isinstance(result, Rejected), result
        return object_key(result.errors[0])

    assert key("CN=Ann Akers,OU=Users,\nDC=contoso,DC=com") == key(
        "CN=Ann Akers,OU=Users,DC=contoso,DC=com"
    )


def test_the_nameless_rejection_counts_every_row() -> None:
    body = INTRO + "Identity | Error\n | " + DUP + "\n | " + DUP + "\n\n" + NOT_FOUND + SEP
    rejected = _parsed(HEAD + PLAIN + body.encode())
    assert isinstance(rejected, Rejected), rejected
    assert "(3)" in rejected.detail, rejected.detail


# Neighbours of the unknown-shape rejection (shapes): a paragraph the reader could not place
# (neither an identity nor a known error) directly before an object's error that names no
# object may be that object's identity; the report is refused, never read as complete.
QUOTA = (
    "Synchronization has been stopped. The company has exceeded the number of objects that "
    "can be synchronized."
)


def test_an_unknown_shaped_identity_beside_named_errors_still_rejects_the_report() -> None:
    body = INTRO + "ben@contoso.com\n\n" + NOT_FOUND + "\n\nAnn Akers\n\n" + DUP + SEP
    rejected = _parsed(HEAD + PLAIN + body.encode())
    # Before: [ben's, (None, 'Unknown'), (None, 'AttributeValueMustBeUnique')], a complete
    # report: Ann's own ticket resolved as absent, a "(tenant-level)" duplicate filed.
    assert isinstance(rejected, Rejected), rejected
    assert rejected.code == "not-a-report"
    assert "\n" not in rejected.detail


def test_an_unknown_shaped_identity_in_a_body_without_the_errors_sentence_rejects_it() -> None:
    body = "Hello,\n\nben@contoso.com\n\n" + NOT_FOUND + "\n\nAnn Akers\n\n" + DUP + "\n"
    rejected = _parsed(HEAD + PLAIN + body.encode())
    # Before: [ben's, (None, 'AttributeValueMustBeUnique')] ("Ann Akers" skipped unread).
    assert isinstance(rejected, Rejected), rejected
    assert rejected.code == "not-a-report"


def test_an_unknown_error_after_its_identity_then_a_named_error_reads_as_before() -> None:
    body = (
        INTRO + "ann@contoso.com\n\nThe object could not be exported.\n\n"
        "ben@contoso.com\n\n" + DUP + SEP
    )
    assert _parsed(HEAD + PLAIN + body.encode()) == [
        ("ann@contoso.com", "Unknown"),
        ("ben@contoso.com", "AttributeValueMustBeUnique"),
    ]


def test_an_unknown_paragraph_before_the_tenants_own_error_reads_as_before() -> None:
    body = INTRO + "ben@contoso.com\n\n" + NOT_FOUND + "\n\nPlease note:\n\n" + QUOTA + SEP
    assert _parsed(HEAD + PLAIN + body.encode()) == [
        ("ben@contoso.com", "UserIdNotFound"),
        (None, "Unknown"),
        (None, "ObjectQuotaExceeded"),
    ]


def test_an_unknown_paragraph_before_an_error_with_a_tracking_id_reads_as_before() -> None:
    # A Tracking Id marks the tenant's row (format.md 10.2, review rev42): no object to miss.
    body = (
        INTRO + "ben@contoso.com\n\n" + NOT_FOUND + "\n\nPlease note:\n\n" + DUP + "\n"
        "Tracking Id: 5c0f3b1e-8a2d-4e6f-9b7c-1d2e3f4a5b6c" + SEP
    )
    errors = _parsed(HEAD + PLAIN + body.encode())
    assert not isinstance(errors, Rejected), errors
    assert (None, "AttributeValueMustBeUnique") in errors

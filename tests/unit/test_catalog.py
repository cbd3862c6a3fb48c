"""The message grammar of reference/format.md section 2, one case per rule."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dirsync_bridge.models import ConflictData
from dirsync_bridge.parse.catalog import (
    classify,
    clean_message,
    find_tracking_id,
    parse_bracket_list,
    stated_kind,
)

DUP = (
    "Unable to update this object because the following attributes associated with this object "
    "have values that may already be associated with another object in your local directory "
    "services: [{}]. Correct or remove the duplicate values in your local directory."
)
KB_HTTP = " Please refer to http://support.microsoft.com/kb/2647098 for more information."
KB_HTTPS = " Please refer to https://support.microsoft.com/kb/2647098 for more information."


def conflict(attribute: str, *values: str) -> ConflictData:
    return {"attribute": attribute, "values": values}


QUARANTINE = (
    "This object has been updated in your {}, but with some modified properties, because the "
    "following attributes are associated with another object [{}]."
)


def test_duplicate_upn_gives_one_conflict_with_value_as_written() -> None:
    found = classify(DUP.format("UserPrincipalName john@contoso.com;") + KB_HTTP)
    assert found.kind == "AttributeValueMustBeUnique"
    assert found.conflicts == (conflict("UserPrincipalName", "john@contoso.com"),)


def test_several_values_and_attributes_keep_order_and_prefix_case() -> None:
    body = (
        "ProxyAddresses SMTP:crussell@Contoso.com,smtp:crussell@ContosoReAG.mail.onmicrosoft.com,"
        "Mail crussell@Contoso.com;"
    )
    found = classify(DUP.format(body) + KB_HTTPS)
    assert found.conflicts == (
        conflict(
            "ProxyAddresses",
            "SMTP:crussell@Contoso.com",
            "smtp:crussell@ContosoReAG.mail.onmicrosoft.com",
        ),
        conflict("Mail", "crussell@Contoso.com"),
    )


@pytest.mark.parametrize(
    "product",
    ["Azure Active Directory", "Microsoft Entra ID", "Windows Azure Active Directory"],
)
def test_quarantine_is_recognised_under_every_product_name(product: str) -> None:
    found = classify(QUARANTINE.format(product, "ProxyAddresses SMTP:a@b.com;"))
    assert found.kind == "QuarantinedAttributeValueMustBeUnique"
    assert found.conflicts[0]["values"] == ("SMTP:a@b.com",)


def test_pii_tags_are_stripped_from_values_and_message() -> None:
    found = classify(
        QUARANTINE.format("Azure Active Directory", "ProxyAddresses <pii>SMTP:a@b.com</pii>;")
    )
    assert found.conflicts[0]["values"] == ("SMTP:a@b.com",)
    assert "pii" not in found.message


def test_tracking_id_is_taken_out_of_the_message() -> None:
    found = classify(
        DUP.format("ProxyAddresses SMTP:a@b.com;")
        + "\nTracking Id: 466344FE-a7c5-403e-8b0a-8621752ac178"
    )
    assert found.tracking_id == "466344fe-a7c5-403e-8b0a-8621752ac178"
    assert "Tracking" not in found.message
    assert found.message.endswith("in your local directory.")


# The Tracking Id pattern as it was, with a leading \s* that made every search slow: the
# oracle for the faster one, which must find the same id and leave the same message. Its
# label is read in any capitalisation now (ASCII letters), as "TRACKING ID:" must be (left
# by reviews): it was "Tracking I[Dd]" only, and pinned "TRACKING ID: <guid>" in the message.
# A label starts a word: "backtracking id: <guid>" is text, not the label (review rev38).
_TRACKING_BEFORE = re.compile(
    r"\s*(?<![^\W\d_])(?ai:tracking)\s+(?ai:id)\s*:\s*(?P<id>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
    r"[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
)
_TEXT_PIECES = st.sampled_from(
    [" ", "  ", "\n", "\r\n", "\t", "\xa0", "\u2003", "Tracking", "Tracking Id:", "Tracking ID: ",
     "Tracking\xa0Id :", "tracking id:", "TRACKING ID:", "tRaCkInG\niD :", "TRACKING", "racking",
     "Id", ":", ".", "error", "Unable to update", "back", "é",
     "466344FE-a7c5-403e-8b0a-8621752ac178", "00000000-0000-0000-0000-00000000000g"]
)  # fmt: skip


@given(st.lists(_TEXT_PIECES, max_size=12).map("".join))
@example("error TRACKING ID: 466344FE-a7c5-403e-8b0a-8621752ac178.")
@example(
    "tracking\xa0id :466344FE-a7c5-403e-8b0a-8621752ac178 "
    "Tracking Id: 00000000-0000-0000-0000-000000000000"
)
@example("Request backtracking id: 466344FE-a7c5-403e-8b0a-8621752ac178 failed")
@example(
    "BackTracking Id: 466344FE-a7c5-403e-8b0a-8621752ac178 Tracking Id: "
    "00000000-0000-0000-0000-000000000000"
)
def test_tracking_id_and_cleaned_message_are_as_with_the_leading_whitespace_pattern(
    text: str,
) -> None:
    before = _TRACKING_BEFORE.search(text)
    expected_id = before.group("id").lower() if before else None
    kept = text[: before.start()] + " " + text[before.end() :] if before else text
    assert clean_message(text) == (" ".join(kept.split()), expected_id)
    assert find_tracking_id(text) == expected_id


def test_a_tracking_id_label_inside_a_word_is_message_text() -> None:
    """Review rev38: the label read in any capitalisation cut "tracking id: <guid>" out of
    "backtracking id: <guid>", leaving "Request back failed" as the message."""
    text = "Request backtracking id: 466344fe-a7c5-403e-8b0a-8621752ac178 failed"
    assert clean_message(text) == (text, None)


def test_whitespace_including_line_breaks_collapses() -> None:
    found = classify("Unable to update this object\n   because the user ID\r\n is not found.")
    assert found.message == "Unable to update this object because the user ID is not found."
    assert found.kind == "UserIdNotFound"


@pytest.mark.parametrize(
    ("message", "kind", "attribute"),
    [
        (
            "Unable to update this object in Windows Azure Active Directory, because the attribute "
            "[FederatedUser.UserPrincipalName], is not valid. Update the value in your local "
            "directory services.",
            "FederatedDomainChangeError",
            "FederatedUser.UserPrincipalName",
        ),
        (
            "Unable to update this object in Microsoft Online Services, because the attribute "
            "FederatedUser.UserPrincipalName is not valid. Update the value in your local Active "
            "Directory",
            "FederatedDomainChangeError",
            "FederatedUser.UserPrincipalName",
        ),
        (
            "Unable to update this object in Azure Active Directory, because the attribute [None], "
            "is not valid. Update the value in your local directory services.",
            "DataValidationFailed",
            "None",
        ),
    ],
)
def test_invalid_attribute_family_with_and_without_brackets(
    message: str, kind: str, attribute: str
) -> None:
    found = classify(message)
    assert (found.kind, found.invalid_attribute, found.conflicts) == (kind, attribute, ())


@pytest.mark.parametrize(
    ("message", "kind", "conflicts"),
    [
        (
            "An object with the same proxy address already exists in Windows Azure Active "
            "Directory but is of an incompatible object type (object classes: contact, group, or "
            "user). Correct this issue in the local directory services or in Windows Azure Active "
            "Directory and try again.",
            "ObjectTypeMismatch",
            (conflict("ProxyAddresses"),),
        ),
        (
            "A synchronized object with the same proxy address already exists in your Microsoft "
            "Online Services directory.",
            "AttributeValueMustBeUnique",
            (conflict("ProxyAddresses"),),
        ),
        (
            "A synchronized object with the same proxy address already exists in Office 365.",
            "AttributeValueMustBeUnique",
            (conflict("ProxyAddresses"),),
        ),
        (
            "Unable to update this object in Microsoft Online Services because the following "
            "attributes associated with this object have values that may already be associated "
            "with another object in your local directory.",
            "AttributeValueMustBeUnique",
            (),
        ),
        (
            "The provisioned object is too large. Trim the number of attribute values on this "
            "object. The operation will be retried in the next synchronization cycle...",
            "LargeObject",
            (),
        ),
        (
            "Another cloud created object with the same source anchor already exists in Azure "
            "Active Directory",
            "InvalidHardMatch",
            (),
        ),
        (
            "This synchronization operation, Delete, isn't valid. Contact Technical Support "
            "(Error Type 114).",
            "DeletingCloudOnlyObjectNotAllowed",
            (),
        ),
        (
            "This synchronization operation, Delete, is not valid. Contact Technical Support.",
            "DeletingCloudOnlyObjectNotAllowed",
            (),
        ),
        (
            "Synchronization has been stopped. The company has exceeded the number of objects "
            "that can be synchronized. Contact Technical Support and ask for an increase in your "
            "company\u2019s quota..",
            "ObjectQuotaExceeded",
            (),
        ),
        ("Something new went wrong with this object.", "Unknown", ()),
    ],
)
def test_every_kind_in_the_catalogue(
    message: str, kind: str, conflicts: tuple[ConflictData, ...]
) -> None:
    found = classify(message)
    assert (found.kind, found.conflicts) == (kind, conflicts)
    assert found.message == message


def test_unknown_keeps_the_raw_message() -> None:
    assert classify("  weird\n text ").message == "weird text"


def test_stated_kind_wins_and_is_matched_case_insensitively() -> None:
    assert stated_kind("invalidsoftmatch") == "InvalidSoftMatch"
    assert stated_kind("IdentityDataValidationFailed") == "DataValidationFailed"
    assert stated_kind("SomethingElse") is None
    found = classify(DUP.format("ProxyAddresses SMTP:a@b.com;"), stated_kind("InvalidSoftMatch"))
    assert found.kind == "InvalidSoftMatch"
    assert found.conflicts[0]["attribute"] == "ProxyAddresses"


def test_a_stated_non_duplicate_kind_drops_the_conflicts() -> None:
    found = classify(DUP.format("ProxyAddresses SMTP:a@b.com;"), "LargeObject")
    assert (found.kind, found.conflicts) == ("LargeObject", ())


def test_a_value_with_a_space_stays_a_value() -> None:
    conflicts = parse_bracket_list("UserPrincipalName jo hn@contoso.com,x500 foo")
    assert conflicts == (conflict("UserPrincipalName", "jo hn@contoso.com", "x500 foo"),)


def test_bracket_list_without_semicolon_is_still_read() -> None:
    found = classify(DUP.format("Mail a@b.com").replace(";]", "]"))
    assert found.conflicts == (conflict("Mail", "a@b.com"),)

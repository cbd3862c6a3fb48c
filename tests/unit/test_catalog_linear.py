"""The catalogue reads a message in time linear in its length, whatever it repeats.

A report's error text is the sender's to write, up to ``[parse] max_message_bytes`` (25 MiB).
The searches for "because the attribute [X] is not valid" and "already exists in ... but is
of an incompatible object type" were quadratic in how often their opening phrase repeated (a
192 KB message took 55 s); an attribute name of many capitals in a bracket list was
exponential. No timing here: each message below is large enough that the old searches would
take hours (2 MB: about 100 minutes at the measured rate), while a linear read takes a fraction
of a second; the oracles check the new searches find exactly what the old regexes found.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dirsync_bridge.parse.catalog import classify, clean_message, parse_bracket_list

SIZE = 2_000_000

# The regexes as they were: oracles for what the linear searches must find.
_TYPE_MISMATCH_BEFORE = re.compile(
    r"already exists in .+? but is of an incompatible object type", re.I
)
_INVALID_BEFORE = re.compile(
    r"because the attribute \[?(?P<attr>[^\],]+?)\]?,? is not valid", re.IGNORECASE
)
_CAMEL_BEFORE = re.compile(r"^[A-Z][a-z]+(?:[A-Z][A-Za-z0-9]*)+$")


@pytest.mark.parametrize(
    "phrase", ["because the attribute ", "BECAUSE THE ATTRIBUTE [", "already exists in "]
)
def test_a_message_of_one_phrase_repeated_to_2_mb_is_unknown(phrase: str) -> None:
    found = classify(phrase * (SIZE // len(phrase)))
    assert found.kind == "Unknown"


def test_a_repeated_phrase_then_its_ending_still_matches_from_the_first_phrase() -> None:
    text = "because the attribute " * (SIZE // 22) + "Mail is not valid."
    found = classify(text)
    assert found.kind == "DataValidationFailed"
    assert found.invalid_attribute is not None
    assert found.invalid_attribute.startswith("because the attribute because")
    assert found.invalid_attribute.endswith(" Mail")
    mismatch = "already exists in " * (SIZE // 18) + "x but is of an incompatible object type"
    assert classify(mismatch).kind == "ObjectTypeMismatch"


def test_phrases_between_commas_and_brackets_repeated_to_2_mb_are_read_once_each() -> None:
    # Each stop ends one attempt: a "," or "]" the text is full of, or one it never has.
    for text in ("because the attribute ,", "because the attribute ]", "because the attribute ["):
        assert classify(text * (SIZE // len(text))).kind == "Unknown"


def test_an_attribute_name_of_many_capitals_in_a_bracket_list_is_read_at_once() -> None:
    # "AbAAA...A." is a name (letters and dots), then CamelCase-or-not: the nested pattern
    # tried every way to split the capitals (2 ** 200 here).
    name = "Ab" + "A" * 200 + "."
    conflicts = parse_bracket_list(f"UserPrincipalName a@contoso.com,{name} x")
    assert conflicts == (
        {"attribute": "UserPrincipalName", "values": ("a@contoso.com", f"{name} x")},
    )


_PIECES = st.sampled_from(
    ["because the attribute ", "BECAUSE the ATTRIBUTE ", "[", "]", ",", " is not valid",
     " is not valid.", "Mail", "FederatedUser.UserPrincipalName", " ", "\n", "x",
     "already exists in ", " but is of an incompatible object type", "]]", ",,", "\u212a"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_linear_searches_classify_as_the_regexes_did(text: str) -> None:
    message = clean_message(text)[0]
    invalid = _INVALID_BEFORE.search(message)
    if _TYPE_MISMATCH_BEFORE.search(message):
        expected: tuple[str, str | None] = ("ObjectTypeMismatch", None)
    elif invalid:
        attribute = invalid.group("attr").strip()
        federated = attribute.casefold() == "federateduser.userprincipalname"
        expected = (
            "FederatedDomainChangeError" if federated else "DataValidationFailed",
            attribute,
        )
    else:
        expected = ("Unknown", None)
    found = classify(text)
    assert (found.kind, found.invalid_attribute) == expected


@given(st.text("AaBb0.", max_size=10))
def test_camel_case_names_are_the_ones_the_nested_pattern_took(name: str) -> None:
    attribute_like = parse_bracket_list(f"Mail m@x,{name} v")
    # After a first attribute, "<name> v" starts a second only when <name> is CamelCase.
    assert (len(attribute_like) == 2) == bool(_CAMEL_BEFORE.match(name))

"""The plain-text identity guess reads a paragraph in time linear in its length.

``_IDENTITY`` (a paragraph that is one token with an "@", "=" or backslash: a UPN, a DN,
DOMAIN\\user) let the part before the mark stop at any mark of the token, each try followed by
a scan to the token's end: quadratic. A paragraph of 318 "@" then " !" took 2 ms, a 1 MB body
of them 5 s, a 25 MB message some two minutes. No timing here: the token below is long enough
that the old pattern would take minutes where a linear one takes microseconds, and the
oracle checks the new pattern accepts exactly what the old one did.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dirsync_bridge.models import Rejected
from dirsync_bridge.parse.body import read_text
from dirsync_bridge.parse.identity_shape import IDENTITY as _IDENTITY
from dirsync_bridge.parse.message import parse_message

from .test_dn_identity_guess import HEAD, INTRO, NOT_FOUND, PLAIN, SEP

# The batch-run sentence without the errors' heading: each paragraph is then a candidate.
OPENING = INTRO.split("The following errors")[0]

# The pattern as it was: the oracle for what the linear one must accept.
_IDENTITY_BEFORE = re.compile(
    r"^[^\s,;:]*[@=\\][^\s]*[^\s,;:.!?]$|^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27}\}?$"
)
GUID = "0b5e3c1a-7d2f-4e8a-9c6b-1f2e3d4c5b6a"
EDGES = [
    "a@b",
    "@b",
    "a@",
    "@",
    "a,b@c",
    "a;b@c",
    "a:b@c",
    "a@b,c",
    "a@b.",
    "a@b!",
    "a@b?",
    "a@b,",
    "a@b.c",
    "a@b\n",
    "a@b\n\n",
    "a @b",
    "ann@contoso.com",
    "CONTOSO\\ann",
    "DOMAIN\\user",
    "DOMAIN\\",
    "\\user",
    "CN=Ann,OU=Users,DC=contoso,DC=com",
    "CN=Ann Akers,OU=Users",
    "=x",
    "x=",
    "a=b@c",
    "a@b=c\\d",
    "é@ü",
    GUID,
    "{" + GUID + "}",
    "{" + GUID,
    GUID + "}",
    GUID.upper(),
    GUID[:-1],
    GUID + "0",
    "{" + GUID + "}.",
    "",
]
_PIECES = st.sampled_from(
    ["a", "@", "=", "\\", ",", ";", ":", ".", "!", "?", " ", "\n", "\t", "{", "}", "-", "0",
     "F", "é", "\u00a0", GUID, "ann@contoso.com", "@@@@"]
)  # fmt: skip


@pytest.mark.parametrize("text", EDGES)
def test_the_identity_guess_accepts_what_it_did_on_the_edge_cases(text: str) -> None:
    assert bool(_IDENTITY.match(text)) == bool(_IDENTITY_BEFORE.match(text))


@given(st.lists(_PIECES, max_size=16).map("".join))
@example("@" * 318 + " !")
@example("a@" * 40 + ",")
def test_the_identity_guess_accepts_what_it_did(text: str) -> None:
    assert bool(_IDENTITY.match(text)) == bool(_IDENTITY_BEFORE.match(text))


@pytest.mark.parametrize("mark", ["@", "=", "\\", "a@", "x=y\\"])
@pytest.mark.parametrize("end", [" !", ".", ",", "\t", " x"])
def test_a_token_of_200_000_marks_is_no_identity_at_once(mark: str, end: str) -> None:
    # The old pattern: about 10 minutes each (1.6 ms at 320 characters, quadratic).
    token = mark * (200_000 // len(mark)) + end
    assert _IDENTITY.match(token) is None
    assert _IDENTITY.match(token[: -len(end)] + "x") is not None


def test_a_25_mb_body_of_near_identities_reads_its_one_error() -> None:
    # Every paragraph is tried as the identity of the error after it: 77,000 tries here,
    # each 2 ms before (two minutes), and none is one.
    hostile = "@" * 318 + " !"
    paragraphs = [hostile] * (25_000_000 // (len(hostile) + 2))
    text = OPENING + "\n\n".join([*paragraphs, "ann@contoso.com", NOT_FOUND])
    facts = read_text(text)
    assert [(row.identity, row.message) for row in facts.rows] == [("ann@contoso.com", NOT_FOUND)]
    raw = HEAD + PLAIN + (text + SEP).encode()
    result = parse_message(raw, "hostile.eml", None)
    assert not isinstance(result, Rejected), result
    assert [(e.identity, e.kind) for e in result.errors] == [("ann@contoso.com", "UserIdNotFound")]

"""The shapes of an object's identity in a plain-text report: one token, or a DN.

Identities in text reports are single tokens (a UPN or address, a DN, DOMAIN\\user, a GUID),
or a DN whose values hold spaces. ``body`` guesses a paragraph's identity by them, and
``closing`` tells an identity from a signature's words by them.
"""

from __future__ import annotations

import re

MAX_IDENTITY = 320

# One token with an "@", "=" or backslash that no ",", ";" or ":" comes before, not ending
# in punctuation; or a GUID. The part before the mark stops at the first such mark, and
# possessively: as "[^\s,;:]*[@=\\]" it tried every mark of the token, each followed by a
# scan to its end (quadratic: 2 ms for "@" * 318 + " !", 5 s for a 1 MB body of such
# paragraphs). A later mark matches only where the first would: the same strings accepted.
IDENTITY = re.compile(
    r"^[^\s,;:@=\\]*+[@=\\]\S*[^\s,;:.!?]$|^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27}\}?$"
)
# A DN whose values hold spaces ("CN=Ann Akers,OU=Users,DC=contoso,DC=com", RFC 4514 escapes
# kept): two or more RDNs, the first of a type a DN starts with, the last value one token.
# Not one token, it was read as an unknown error's text, and the error after it as one
# naming no object (review rev45). The last value stops short of a sentence: "CN=...,
# DC=com could not be exported." is an error's text, not an identity (review rev46: the
# error before it was lost). Linear: a value stops at the first comma not escaped.
DN = re.compile(
    r"^(?:CN|OU|DC|O|L|ST|C|UID)=(?:\\.|[^,\\])+(?:,[ ]?[A-Za-z][A-Za-z0-9-]*=(?:\\.|[^,\\])+)*"
    r",[ ]?[A-Za-z][A-Za-z0-9-]*=(?:\\.|[^,\\\s])+$",
    re.IGNORECASE,
)


def looks_like_identity(flat: str) -> bool:
    """Whether whitespace-collapsed text is one identity. A greeting ("Hello,") or a one-word
    line is not one."""
    return 0 < len(flat) <= MAX_IDENTITY and bool(IDENTITY.match(flat) or DN.match(flat))


def identity_token(token: str) -> bool:
    """Whether one whitespace-free token is an identity, a mark after it (``ann@x.com:``,
    ``Cheers.Events@contoso.com,``) aside: a row's identity heading its error's text."""
    return looks_like_identity(token.rstrip(",;:.!?"))

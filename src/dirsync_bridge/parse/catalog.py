"""The error catalogue: what each known report message means, and its grammar.

The message text is the reliable part of a report (reference/format.md section 2): the same
sentences appear in every era, with only the product name changing. ``classify`` turns one
message into its kind, the conflicting attributes and values, and the attribute named
invalid. Rules are tried in order; the first that matches wins, and text that matches none
is ``Unknown`` with the message kept, never dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ..models import KINDS, ConflictData, Kind

# Every name the service has used for itself in these sentences, oldest first.
PRODUCT = (
    r"(?:your\s+)?(?:Microsoft\s+Online\s+Services(?:\s+directory)?|Windows\s+Azure\s+Active"
    r"\s+Directory|Azure\s+Active\s+Directory|Microsoft\s+Entra\s+ID|Azure\s+AD|Office\s+365"
    r"|Microsoft\s+365)"
)

# No leading \s*: a pattern that starts with a literal is searched for that literal first
# (measured 7.6x faster per search on report rows; 314 -> 226 ms on 10,000 rows that each
# carry an id). The whitespace a leading \s* would have cut is collapsed by clean_message.
_GUID = r"(?P<id>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
_TRACKING = re.compile(r"Tracking\s+I[Dd]\s*:\s*" + _GUID)
# The label in any capitalisation ("TRACKING ID:", left by reviews: the id stayed in the
# message, a new text every report). A case-blind pattern has no literal to search for first
# (7 us a row against 0.5), so it runs only where a lower-cased copy shows a label that the
# pattern above did not find first. ASCII letters only (?a): \s stays Unicode's.
# A label starts a word: "backtracking id: <guid>" is message text (review rev38: it was cut
# to "back"). Only this pattern has the look-behind: the one above would lose its literal.
_TRACKING_ANY_CASE = re.compile(r"(?<![^\W\d_])(?ai:tracking)\s+(?ai:id)\s*:\s*" + _GUID)
_LETTER = re.compile(r"[^\W\d_]")
_PII = re.compile(r"</?pii>", re.IGNORECASE)

# Attribute names seen in bracket lists (reference/format.md 2.2 and 4). After a comma, a
# token "<Name> <value>" starts a new attribute only when <Name> is one of these or looks
# like an attribute (CamelCase, no ':' or '@'), so a value with a space stays a value.
KNOWN_ATTRIBUTES = frozenset(
    name.casefold()
    for name in (
        "UserPrincipalName",
        "ProxyAddresses",
        "ProxyAddress",
        "Mail",
        "SipProxyAddress",
        "OnPremiseSecurityIdentifier",
        "OnPremisesSecurityIdentifier",
        "SignInName",
        "ObjectId",
        "ImmutableId",
        "MailNickname",
        "TargetAddress",
    )
)
# One [A-Z][A-Za-z0-9]* after the hump, not (?:[A-Z][A-Za-z0-9]*)+: the same names, but the
# nested form splits a run of capitals every possible way before failing ("AbAAA...A." took
# seconds at 30 capitals, doubling with each two more).
_CAMEL = re.compile(r"^[A-Z][a-z]+[A-Z][A-Za-z0-9]*$")


class Classified(NamedTuple):
    """What the catalogue makes of one message."""

    kind: Kind
    conflicts: tuple[ConflictData, ...]
    invalid_attribute: str | None
    tracking_id: str | None
    message: str


def collapse_spaces(text: str) -> str:
    """``" ".join(text.split())``: whitespace runs to one space, trimmed."""
    # Most messages are so already: ASCII, no whitespace but single spaces inside (the
    # ASCII whitespace ``split`` knows is \t\n\v\f\r, \x1c-\x1f and the space). Looking
    # for each costs less than splitting a long message into words and joining them.
    if (
        text.isascii()
        and text[:1] != " "
        and text[-1:] != " "
        and "  " not in text
        and "\n" not in text
        and "\t" not in text
        and "\r" not in text
        and "\x0b" not in text
        and "\x0c" not in text
        and "\x1c" not in text
        and "\x1d" not in text
        and "\x1e" not in text
        and "\x1f" not in text
    ):
        return text
    return " ".join(text.split())


def clean_message(text: str) -> tuple[str, str | None]:
    """Strip ``<pii>`` tags and the ``Tracking Id:`` fragment, collapse whitespace.

    Returns the cleaned message and the tracking id (lower-cased) if there was one.
    """
    # The substring tests skip the regexes for the common case; this runs once per row.
    if "<" in text:
        text = _PII.sub("", text)
    tracking_id = None
    found = _tracking(text)
    if found:
        tracking_id = found.group("id").lower()
        text = text[: found.start()] + " " + text[found.end() :]
    return collapse_spaces(text), tracking_id


def find_tracking_id(text: str) -> str | None:
    """The GUID of the first ``Tracking Id:`` in ``text`` (any capitalisation), lower-cased."""
    found = _tracking(text)
    return found.group("id").lower() if found else None


def _tracking(text: str) -> re.Match[str] | None:
    """The first ``Tracking Id: <guid>`` in ``text``, the label in any capitalisation."""
    found = _TRACKING.search(text) if "racking" in text else None
    if found and found.start() and _LETTER.match(text, found.start() - 1):
        found = None  # inside a word ("BackTracking Id:"): the careful search below decides
    # A label in another capitalisation before the one found (or with none found) is the
    # first; the lower-cased copy costs 0.6 us a row, the case-blind search far more.
    if "tracking" in (text[: found.start()] if found else text).lower():
        return _TRACKING_ANY_CASE.search(text)
    return found


def parse_bracket_list(body: str) -> tuple[ConflictData, ...]:
    """``UserPrincipalName a,b,Mail c`` -> conflicts, values exactly as written."""
    # String methods rather than regexes: this runs for every duplicate row of a report.
    groups: list[tuple[str, list[str]]] = []
    for raw_token in body.split(","):
        token = raw_token.strip()
        if not token:
            continue
        name, _, value = token.partition(" ")
        value = value.strip()
        if value and _is_name(name) and (not groups or _is_attribute_name(name)):
            groups.append((name, [value]))
        elif groups:
            groups[-1][1].append(token)
        else:
            # A list that opens with a bare value has no attribute to hang it on.
            groups.append(("", [token]))
    return tuple({"attribute": name, "values": tuple(values)} for name, values in groups)


def _is_name(token: str) -> bool:
    # [A-Za-z][A-Za-z0-9.]*
    return token[:1].isalpha() and token.isascii() and token.replace(".", "").isalnum()


def _is_attribute_name(name: str) -> bool:
    return name.casefold() in KNOWN_ATTRIBUTES or bool(_CAMEL.match(name))


def _conflicts_in(message: str) -> tuple[ConflictData, ...]:
    # The list runs from "[" to ";]" in every sample; a list without the ";" is accepted.
    start = message.find("[")
    if start < 0:
        return ()
    end = message.find(";]", start)
    if end < 0 or "[" in message[start + 1 : end]:
        end = message.find("]", start)
        if end < 0:
            return ()
    return parse_bracket_list(message[start + 1 : end])


_DUPLICATE_KINDS = frozenset(
    {
        "AttributeValueMustBeUnique",
        "InvalidSoftMatch",
        "QuarantinedAttributeValueMustBeUnique",
        "ObjectTypeMismatch",
    }
)
_PROXY_ONLY: tuple[ConflictData, ...] = ({"attribute": "ProxyAddresses", "values": ()},)

_QUARANTINED = re.compile(
    rf"^This object has been updated in {PRODUCT}, but with some modified properties",
    re.IGNORECASE,
)
_DUPLICATE = re.compile(
    rf"^Unable to update this object(?: in {PRODUCT})?,? because the following attributes "
    r"associated with this object have values that (?:may|might) already be associated",
    re.IGNORECASE,
)
# "already exists in <where> but is of an incompatible object type", read as two literal
# searches (_is_type_mismatch): one regex with .+? between them, tried from each "already
# exists in ", scanned to the end from each, which is quadratic in how often it repeats.
_TYPE_MISMATCH_OPENER = re.compile(r"already exists in ", re.I)
_TYPE_MISMATCH_CLOSER = re.compile(r" but is of an incompatible object type", re.I)
_SAME_PROXY = re.compile(r"^A synchronized object with the same proxy address already exists", re.I)
_INVALID_ATTRIBUTE = re.compile(
    r"because the attribute \[?(?P<attr>[^\],]+?)\]?,? is not valid", re.IGNORECASE
)
"""Tried only where ``_INVALID_OPENER`` is found, anchored (``_invalid_attribute``)."""
_INVALID_OPENER = re.compile(r"because the attribute ", re.IGNORECASE)
_ATTRIBUTE_STOP = re.compile(r"[\],]")
_FEDERATED_ATTRIBUTE = "federateduser.userprincipalname"
_SIMPLE_RULES: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"^The provisioned object is too large", re.I), "LargeObject"),
    (
        re.compile(
            r"Another cloud created object with the same source anchor already exists", re.I
        ),
        "InvalidHardMatch",
    ),
    (
        re.compile(
            r"This synchronization operation, Delete, is(?:n't| not) valid"
            r"|Deleting a cloud-only object is(?:n't| not) supported"
            r"|one or more cloud-only users' credential update"
            r"|contains changes to one or more cloud-only user objects",
            re.I,
        ),
        "DeletingCloudOnlyObjectNotAllowed",
    ),
    (
        re.compile(r"exceeded the number of objects that can be synchronized", re.I),
        "ObjectQuotaExceeded",
    ),
    (
        re.compile(r"Unable to update this object because the user ID is not found", re.I),
        "UserIdNotFound",
    ),
)


def stated_kind(text: str | None) -> Kind | None:
    """A kind named by the source (an "Error Type" cell), if it is one we know."""
    if not text:
        return None
    name = text.strip()
    if name == "IdentityDataValidationFailed":
        return "DataValidationFailed"
    if name == "ExceededAllowedLength":  # the same error as LargeObject (format.md 3)
        return "LargeObject"
    for kind in KINDS:
        if kind.casefold() == name.casefold():
            return kind
    return None


REMEMBERED_LENGTH = 2048
"""The longest text ``classify`` keeps in its cache, in characters.

A real Microsoft error message is under 2 KiB (the longest in fixtures/ is 574 characters).
An entry holds its text twice (the key, and the cleaned message), at up to 4 bytes a
character: 1,024 entries of this bound hold at most 16 MB. Unbounded, a plain-text body's
25 MB paragraph read as a message was kept at about 45 MB (review rev53).
"""


def classify(raw_message: str, stated: Kind | None = None) -> Classified:
    """Classify one error message; ``stated`` (a kind the source named) wins over the text."""
    if len(raw_message) > REMEMBERED_LENGTH:
        return classified(raw_message, stated)  # too long to be one that repeats: not kept
    return remembered(raw_message, stated)


def classified(raw_message: str, stated: Kind | None = None) -> Classified:
    """``classify`` without the cache (pure: the same text gives an equal result)."""
    message, tracking_id = clean_message(raw_message)
    kind: Kind = "Unknown"
    conflicts: tuple[ConflictData, ...] = ()
    invalid_attribute: str | None = None

    if _QUARANTINED.search(message):
        kind, conflicts = "QuarantinedAttributeValueMustBeUnique", _conflicts_in(message)
    elif _DUPLICATE.search(message):
        kind, conflicts = "AttributeValueMustBeUnique", _conflicts_in(message)
    elif _is_type_mismatch(message):
        kind, conflicts = "ObjectTypeMismatch", _PROXY_ONLY
    elif _SAME_PROXY.search(message):
        kind, conflicts = "AttributeValueMustBeUnique", _PROXY_ONLY
    elif invalid := _invalid_attribute(message):
        invalid_attribute = invalid.group("attr").strip()
        kind = (
            "FederatedDomainChangeError"
            if invalid_attribute.casefold() == _FEDERATED_ATTRIBUTE
            else "DataValidationFailed"
        )
    else:
        for pattern, rule_kind in _SIMPLE_RULES:
            if pattern.search(message):
                kind = rule_kind
                break

    if stated is not None and stated != kind:
        kind = stated
        if kind not in _DUPLICATE_KINDS:
            conflicts = ()
        if kind not in ("DataValidationFailed", "FederatedDomainChangeError"):
            invalid_attribute = None
    return Classified(kind, conflicts, invalid_attribute, tracking_id, message)


# A large report repeats a few messages many times over (an object too large, a federated
# domain, a user ID not found): each is classified once. Pure, so sharing is safe; bounded,
# so a report of messages that never repeat costs a few hundred entries, not one a row.
remembered = lru_cache(maxsize=1024)(classified)
"""``classified``, cached: only for texts of at most ``REMEMBERED_LENGTH`` (``classify``)."""


def _is_type_mismatch(message: str) -> bool:
    # What _TYPE_MISMATCH's regex, "already exists in .+? but is of ...", found, in linear
    # time: the first opener, then the closer at least one character past it (. is any
    # character here: the message is whitespace-collapsed, it holds no newline).
    opener = _TYPE_MISMATCH_OPENER.search(message)
    return opener is not None and bool(_TYPE_MISMATCH_CLOSER.search(message, opener.end() + 1))


def _invalid_attribute(message: str) -> re.Match[str] | None:
    """``_INVALID_ATTRIBUTE.search(message)``, in linear time.

    The regex, searched, starts at each "because the attribute " and lets its attribute run
    to the next "]" or ",": quadratic in how often the phrase repeats before one (a 192 KB
    message took 55 s). Tried anchored at each opener instead, and after one that fails,
    not again until past that "]" or ",": a later opener before it could only match where
    the failed one would have (its attribute would be the failed one's, shortened).
    """
    pos = 0
    while (opener := _INVALID_OPENER.search(message, pos)) is not None:
        found = _INVALID_ATTRIBUTE.match(message, opener.start())
        if found is not None:
            return found
        # A regex, not str.find of each: a find of a "," the text lacks scans to the end.
        stop = _ATTRIBUTE_STOP.search(message, opener.end())
        if stop is None:
            return None
        pos = stop.end()
    return None


def is_known_message(text: str) -> bool:
    """True when ``text`` is a message the catalogue recognises (used to spot error rows)."""
    return classify(text).kind != "Unknown"

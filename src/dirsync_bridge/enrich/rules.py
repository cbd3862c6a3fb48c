"""IdFix's multi-tenant checks: what is wrong with a directory value, and IdFix's fix for it.

A transliteration of IdFix 2.2+ (github.com/microsoft/idfix, last release 2.6.0.3), as
``reference/format.md`` section 7 sets it out. Each attribute has a chain of rules run in
IdFix's order; a failing rule adds its ERROR token and hands its rewritten value to the next
rule, so ``proposed`` is what IdFix's UPDATE column would show. Error tokens are the
``ErrorType`` names IdFix 2.2+ prints. The Dedicated (ITAR) rules of section 7.3 are not here.

INFERENCE (format.md 7.5): one rule failing with several flags (only the RFC 2822 rule does)
is printed by .NET in ascending flag value, so its tokens come in the order Format,
TopLevelDomain, DomainPart, LocalPart.

Where a value alone cannot say what IdFix would do, this module chooses:

* ``proposed`` is None when IdFix would propose the value unchanged (TopLevelDomain, Format
  and Duplicate come with no fix), nothing, or the object's ``cn`` (a blank displayName, or a
  Character fix that removes every character). After the ``cn`` case the chain stops: IdFix
  would go on checking the ``cn``, which a value does not carry.
* A token that several rules raise (Character, from the colon rule and a character rule) is
  listed once, where it first occurs.
* sAMAccountName: the length limit is a user's (20) unless ``object_class`` says otherwise,
  and duplicates are never reported: IdFix reports them only for objects without a
  userPrincipalName, and a value does not say whether its holder has one.
* userPrincipalName is always checked (IdFix skips it under its "Alternate login ID" setting).
* Duplicates are looked for within the batch given to :func:`check_all`, not a directory.
* Lengths count UTF-16 code units as .NET does; a cut never splits a surrogate pair.
* IdFix's ``\\s`` is .NET's (``[\\f\\n\\r\\t\\v\\x85\\p{Z}]``), spelled out, since Python's also
  matches ``\\x1c``-``\\x1f``. Letters in the RFC 2822 patterns match case-insensitively over
  ASCII only (.NET also folds KELVIN SIGN into ``k``).
* The top-level domains are IANA's root zone list, not IdFix's ``domains.txt`` (920 lines,
  UTF-16, not available as text here): a TLD delegated after IdFix's snapshot passes here.
  Like IdFix's list, it holds no ``.local``, ``.lan``, ``.internal`` or ``.corp``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Final, Literal

from ..models.enrichment import ErrorToken, RuleHit
from .tlds import IANA_TLDS

# src/IdFix/Settings/Enums.cs: ErrorType, in flag value order (Format = 1 ... Length = 128).
ERROR_TOKENS: Final[tuple[ErrorToken, ...]] = ErrorToken.__args__  # type: ignore[attr-defined]

# The attributes IdFix's multi-tenant rules check, spelled as Active Directory does.
ATTRIBUTES: Final[tuple[str, ...]] = (
    "displayName",
    "givenName",
    "mail",
    "mailNickname",
    "proxyAddresses",
    "sAMAccountName",
    "targetAddress",
    "userPrincipalName",
)
# Graph's names for two of them; any case of any name in ATTRIBUTES is accepted as well.
_ALIASES: Final[dict[str, str]] = {name.casefold(): name for name in ATTRIBUTES} | {
    "onpremisessamaccountname": "sAMAccountName",
    "onpremisesuserprincipalname": "userPrincipalName",
}

# Length limits: src/IdFix/Rules/MultiTenantRuleCollection.cs (StringMaxLengthRule arguments).
DISPLAY_NAME_MAX_LENGTH: Final = 255
GIVEN_NAME_MAX_LENGTH: Final = 63
MAIL_MAX_LENGTH: Final = 256
MAIL_NICKNAME_MAX_LENGTH: Final = 64
PROXY_ADDRESS_MAX_LENGTH: Final = 256
TARGET_ADDRESS_MAX_LENGTH: Final = 255
USER_PRINCIPAL_NAME_MAX_LENGTH: Final = 113
# src/IdFix/Rules/MultiTentant/SamAccountNameMaxLengthRule.cs: 20 for objectClass user, else 256.
SAM_ACCOUNT_NAME_MAX_LENGTH_USER: Final = 20
SAM_ACCOUNT_NAME_MAX_LENGTH_OTHER: Final = 256

# .NET's \s and char.IsWhiteSpace (used by String.Trim): \t-\r, U+0085 and Unicode Z*.
NET_WHITESPACE: Final = (
    "\t\n\v\f\r\x85 \xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_S: Final = re.escape(NET_WHITESPACE)
_CI: Final = re.IGNORECASE  # IdFix: RegexOptions.IgnoreCase | RegexOptions.CultureInvariant
_ASCII_CI: Final = re.IGNORECASE | re.ASCII

# Character rules, R1-R9 of format.md 7.2: src/IdFix/Settings/Constants.cs and
# src/IdFix/Rules/MultiTenantRuleCollection.cs (R1, R8), as of IdFix 2.6 (apostrophe allowed in
# proxy and target addresses again, still refused in a userPrincipalName).
R1_MAIL_NICKNAME_LEADING_PERIODS: Final = re.compile(r"^[.]+", _CI)
R2_PROXY_ADDRESS_SMTP: Final = re.compile(rf'[{_S}<>();,\[\]"]', _CI)
R3_PROXY_ADDRESS: Final = re.compile(rf'[{_S}<>(),\[\]"]', _CI)
R4_TARGET_ADDRESS_SMTP: Final = re.compile(rf'[{_S}\\<>();,\[\]"]', _CI)
R5_TARGET_ADDRESS: Final = re.compile(rf'[{_S}\\<>(),\[\]"]', _CI)
R6_PROXY_ADDRESS_X400: Final = re.compile(r"""[\f\n\r\t\v\[\]"']""", _CI)
R7_PROXY_ADDRESS_X500: Final = re.compile(r"""[\f\n\r\t\v\[\]"']""", _CI)
R8_SAM_ACCOUNT_NAME: Final = re.compile(r'[\\"|,/\[\]:<>+=;?*]', _CI)
R9_USER_PRINCIPAL_NAME: Final = re.compile(
    rf"""[{_S}\\%&*+/=?'{{}}|<>();:,\[\]"äëïöüÿÄËÏÖÜŸ]""", _CI
)

# Which rules an address gets: Constants.SMTPRegex (anywhere in the value), and the x400/x500
# prefixes of src/IdFix/Rules/MultiTentant/ProxyAddressComposedRule.cs.
SMTP_MARK: Final = re.compile(r"smtp:", _ASCII_CI)
X400_PREFIX: Final = re.compile(r"^x\.?400", _ASCII_CI)
X500_PREFIX: Final = re.compile(r"^x\.?500", _ASCII_CI)

# The RFC 2822 rule: src/IdFix/Settings/Constants.cs (patterns) and
# src/IdFix/Rules/Shared/RFC2822Rule.cs (the fixes).
DOMAIN_PART: Final = re.compile(
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,17})$", _ASCII_CI
)
LOCAL_PART: Final = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@", _ASCII_CI
)
RFC2822: Final = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,17})$",
    _ASCII_CI,
)
DOMAIN_PART_FIX: Final = re.compile(r"[^a-z0-9.-]", _ASCII_CI)
LOCAL_PART_FIX: Final = re.compile(r"[^a-z0-9.!#$%&'*+/=?^_`{|}~-]", _ASCII_CI)

TOP_LEVEL_DOMAINS: Final[frozenset[str]] = frozenset(
    f".{form}"
    for name in IANA_TLDS.split()
    for form in (name, name[4:].encode("ascii").decode("punycode") if name[:4] == "xn--" else name)
)
"""Lower case, with the leading dot, each IDN both as ``xn--`` and in Unicode, as IdFix looks."""


_Outcome = tuple[tuple[ErrorToken, ...], str | None]  # tokens, and the rewrite (None: use cn)
_Rule = Callable[[str], _Outcome | None]  # None: the value passes
_DUPLICATE: Final = "duplicate"  # NoDuplicatesRule's place in a chain; the batch decides it
_Link = _Rule | Literal["duplicate"]


def canonical_attribute(name: str) -> str | None:
    """IdFix's spelling of an attribute name in any case, or None for one IdFix does not check.

    ``"ProxyAddresses"`` gives ``"proxyAddresses"``; Graph's ``onPremisesSamAccountName`` and
    ``onPremisesUserPrincipalName`` give ``sAMAccountName`` and ``userPrincipalName``.
    """
    return _ALIASES.get(name.strip().casefold())


def _max_length(limit: int) -> _Rule:
    """StringMaxLengthRule: longer than ``limit`` is Length, fixed by cutting to ``limit``."""

    def rule(value: str) -> _Outcome | None:
        units = 0
        for index, char in enumerate(value):
            units += 2 if ord(char) > 0xFFFF else 1
            if units > limit:
                return ("Length",), value[:index]
        return None

    return rule


def _characters(pattern: re.Pattern[str]) -> _Rule:
    """RegexRule: any match is Character, fixed by deleting every match (else the cn)."""

    def rule(value: str) -> _Outcome | None:
        if not pattern.search(value):
            return None
        return ("Character",), pattern.sub("", value) or None

    return rule


def _blank(value: str) -> _Outcome | None:
    """BlankStringRule (string.IsNullOrEmpty, so spaces are not blank); IdFix proposes the cn."""
    return (("Blank",), None) if not value else None


def _colon_in_suffix(value: str) -> _Outcome | None:
    """FixProxyTargetAddressRule: a colon after the prefix's is Character; the fix drops it."""
    colon = value.find(":")
    if colon > 0 and ":" in value[colon + 1 :]:
        return ("Character",), value[: colon + 1] + value[colon + 1 :].replace(":", "")
    return None


def _rfc2822(value: str) -> _Outcome | None:
    """RFC2822Rule, on the part after the first colon when the value holds ``smtp:``."""
    smtp = SMTP_MARK.search(value) is not None
    colon = value.find(":")
    text = value[colon + 1 :] if smtp else value
    flags: set[ErrorToken] = set()
    dot = text.rfind(".")
    if dot != -1 and len(text) - dot > 1 and text[dot:].lower() not in TOP_LEVEL_DOMAINS:
        flags.add("TopLevelDomain")
    if not DOMAIN_PART.search(text):
        flags.add("DomainPart")
        at = text.rfind("@")
        if at != -1:
            text = text[: at + 1] + DOMAIN_PART_FIX.sub("", text[at + 1 :])
    if not LOCAL_PART.search(text) or text.count("@") > 1:
        flags.add("LocalPart")
        at = text.rfind("@")
        if at != -1:
            text = (LOCAL_PART_FIX.sub("", text[:at]) + text[at:]).replace(".@", "@")
    if not RFC2822.search(text):
        flags.add("Format")
    if not flags:
        return None
    fixed = value[: colon + 1].strip(NET_WHITESPACE) + text if smtp else text
    return tuple(token for token in ERROR_TOKENS if token in flags), fixed


# MultiTenantRuleCollection.cs, in IdFix's order. Addresses end with _address_rules' choice;
# sAMAccountName starts with a length rule that depends on the object class.
_CHAINS: Final[dict[str, tuple[_Link, ...]]] = {
    "displayName": (_max_length(DISPLAY_NAME_MAX_LENGTH), _blank),
    "givenName": (_max_length(GIVEN_NAME_MAX_LENGTH),),
    "mail": (_max_length(MAIL_MAX_LENGTH), _DUPLICATE),
    "mailNickname": (
        _max_length(MAIL_NICKNAME_MAX_LENGTH),
        _characters(R1_MAIL_NICKNAME_LEADING_PERIODS),
        _DUPLICATE,
    ),
    "proxyAddresses": (_max_length(PROXY_ADDRESS_MAX_LENGTH), _colon_in_suffix, _DUPLICATE),
    "sAMAccountName": (_characters(R8_SAM_ACCOUNT_NAME),),  # no duplicate rule: see above
    "targetAddress": (_max_length(TARGET_ADDRESS_MAX_LENGTH), _colon_in_suffix, _DUPLICATE),
    "userPrincipalName": (
        _max_length(USER_PRINCIPAL_NAME_MAX_LENGTH),
        _characters(R9_USER_PRINCIPAL_NAME),
        _rfc2822,
        _DUPLICATE,
    ),
}


def _chain(attribute: str, value: str, object_class: str) -> tuple[_Link, ...]:
    """The rules IdFix runs on one value, in its order.

    An address gets its last rules from its original value, as IdFix's
    ProxyAddressComposedRule and TargetAddressComposedRule choose them before running any.
    """
    chain = _CHAINS.get(attribute, ())
    smtp = SMTP_MARK.search(value) is not None
    if attribute == "proxyAddresses":
        if smtp:
            return (*chain, _characters(R2_PROXY_ADDRESS_SMTP), _rfc2822)
        if X400_PREFIX.search(value):
            return (*chain, _characters(R6_PROXY_ADDRESS_X400))
        if X500_PREFIX.search(value):
            return (*chain, _characters(R7_PROXY_ADDRESS_X500))
        return (*chain, _characters(R3_PROXY_ADDRESS))
    if attribute == "targetAddress":
        if smtp:
            return (*chain, _characters(R4_TARGET_ADDRESS_SMTP), _rfc2822)
        return (*chain, _characters(R5_TARGET_ADDRESS))
    if attribute == "sAMAccountName":
        user = object_class.casefold() == "user"
        limit = SAM_ACCOUNT_NAME_MAX_LENGTH_USER if user else SAM_ACCOUNT_NAME_MAX_LENGTH_OTHER
        return (_max_length(limit), *chain)
    return chain


def _run(
    attribute: str, value: str, object_class: str, duplicates: frozenset[tuple[str, str]]
) -> tuple[RuleHit | None, str | None]:
    """The hit for one value, and the key its duplicate rule compares (None: it has none).

    The key is the value as rewritten by the rules before the duplicate rule, case-folded
    (IdFix's DuplicateStore compares InvariantCultureIgnoreCase, prefix included).
    """
    errors: list[ErrorToken] = []
    current: str | None = value
    key = None
    for link in _chain(attribute, value, object_class):
        if current is None:  # IdFix would go on with the cn, which a value does not carry
            break
        if isinstance(link, str):  # the duplicate rule
            key = current.casefold()
            if (attribute, key) in duplicates:
                errors.append("Duplicate")
            continue
        outcome = link(current)
        if outcome is not None:
            errors.extend(outcome[0])
            current = outcome[1]
    if not errors:
        return None, key
    proposed = current if current and current != value else None
    tokens = tuple(dict.fromkeys(errors))
    return RuleHit(attribute=attribute, value=value, errors=tokens, proposed=proposed), key


def check(attribute: str, value: str, *, object_class: str = "user") -> RuleHit | None:
    """What IdFix's multi-tenant rules find wrong with one value, or None when it passes.

    ``attribute`` is any spelling :func:`canonical_attribute` knows; others have no rules, so
    their values pass. ``value`` is checked as IdFix checks one value (one proxy address,
    prefix included). ``object_class`` matters only to sAMAccountName's length limit. One
    value cannot be a duplicate: :func:`check_all` finds those.
    """
    name = canonical_attribute(attribute)
    if name is None:
        return None
    return _run(name, value, object_class, frozenset())[0]


def check_all(values: Iterable[tuple[str, str]]) -> list[RuleHit]:
    """The hits for a batch of ``(attribute, value)`` pairs, in order, with duplicates.

    Each pair stands for one holder's value. A value is a Duplicate when another pair of the
    same attribute (in any spelling) has the same value, ignoring case, as IdFix compares it:
    after the rules before the duplicate rule have rewritten it, prefix included, so
    ``SMTP:a@x.com`` and ``smtp:a@x.com`` collide. Attributes are never compared with each
    other (a mail and a proxy address may hold the same address). Every holder of a duplicated
    value is reported, as IdFix 2.5+ does. sAMAccountName duplicates are not reported.
    """
    pairs = [
        (name, value) for attribute, value in values if (name := canonical_attribute(attribute))
    ]
    keys = [_run(name, value, "user", frozenset())[1] for name, value in pairs]
    counts = Counter(
        (name, key) for (name, _), key in zip(pairs, keys, strict=True) if key is not None
    )
    duplicates = frozenset(group for group, count in counts.items() if count > 1)
    hits = (_run(name, value, "user", duplicates)[0] for name, value in pairs)
    return [hit for hit in hits if hit is not None]

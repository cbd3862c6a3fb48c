"""The LDAP filter of a look-up (every object that holds a value, escaped per RFC 4515), and
which attributes of an entry it found hold the value."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Final

with warnings.catch_warnings():
    # ldap3 2.9.1 imports two names that pyasn1 0.6.1 deprecated (see ``onprem``).
    warnings.filterwarnings("ignore", r"(tagMap|typeMap) is deprecated", DeprecationWarning)
    from ldap3.utils.conv import escape_filter_chars

from ..models.holders import HeldIn

# Users, groups and contacts; computers derive from user, so they are excluded by name.
HOLDER_CLASSES: Final = (
    "(|(objectClass=user)(objectClass=group)(objectClass=contact))(!(objectClass=computer))"
)
# A proxy address prefix: SMTP, smtp, SIP, X500, EUM... (letters and digits before a colon).
_PROXY_PREFIX: Final = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9]{0,8}):(?P<rest>.*)$", re.S)


def holder_filter(value: str) -> str | None:
    """The LDAP filter matching every object that holds ``value``; None if nothing can.

    An SMTP value (``SMTP:a@x``, ``smtp:a@x`` or bare ``a@x``) matches ``userPrincipalName``
    and ``mail`` equal to the address, and ``proxyAddresses`` ``smtp:``/``SMTP:`` plus the
    address. AD compares these case-insensitively already; both prefix spellings are asked
    for anyway so that a server that compares exactly still finds primary and secondary
    addresses. Another prefix (``SIP:``, ``X500:``) matches ``proxyAddresses`` only. Values
    are escaped per RFC 4515, so ``*)(cn=*`` is searched for literally.
    """
    prefix, rest, address = _split(value)
    if not rest:
        return None
    escaped = escape_filter_chars(rest)
    terms = [
        f"(proxyAddresses={p}:{escaped})" for p in dict.fromkeys((prefix.lower(), prefix.upper()))
    ]
    if address is not None:
        terms = [f"(userPrincipalName={escaped})", f"(mail={escaped})", *terms]
    return f"(&{HOLDER_CLASSES}(|{''.join(terms)}))"


HELD_IN_ATTRIBUTES: Final = ("userPrincipalName", "mail", "proxyAddresses")
"""What ``held_in`` reads: the attributes the filter matches against."""


def held_in(
    value: str, attributes: Mapping[str, Sequence[bytes]]
) -> tuple[tuple[HeldIn, ...], tuple[str, ...]]:
    """Which of an entry's attributes hold ``value`` as ``holder_filter`` matches it, and the
    ``proxyAddresses`` entries that do, exactly as stored (their prefix kept).

    Compared case-insensitively, as AD compares them. An attribute the entry did not return
    (not readable by the bind account, not in a global catalog's partial set) holds nothing
    here: the caller then knows less, never something false, and the holder names it
    (``OnPremHolder.not_returned``) so that the commands say what they may leave out.
    """
    prefix, rest, address = _split(value)
    raw = {name.lower(): values for name, values in attributes.items()}

    def texts(name: str) -> list[str]:
        return [v.decode("utf-8", "replace").strip() for v in raw.get(name.lower(), ())]

    held: list[HeldIn] = []
    wanted = address.casefold() if address is not None else None
    if rest and wanted is not None:
        held += [n for n in ("userPrincipalName", "mail") if wanted in _folded(texts(n))]
    proxies = tuple(
        entry
        for entry in texts("proxyAddresses")
        if rest
        and (found := _PROXY_PREFIX.match(entry)) is not None
        and found["prefix"].casefold() == prefix.casefold()
        and found["rest"].strip().casefold() == rest.casefold()
    )
    if proxies:
        held.append("proxyAddresses")
    return tuple(held), proxies


def _split(value: str) -> tuple[str, str, str | None]:
    """``value`` as (proxy prefix, the rest, the SMTP address or None for other prefixes)."""
    text = value.strip()
    prefixed = _PROXY_PREFIX.match(text)
    if prefixed and prefixed["prefix"].lower() != "smtp":
        return prefixed["prefix"], prefixed["rest"].strip(), None
    rest = prefixed["rest"].strip() if prefixed else text
    return "smtp", rest, rest


def _folded(values: list[str]) -> set[str]:
    return {v.casefold() for v in values}

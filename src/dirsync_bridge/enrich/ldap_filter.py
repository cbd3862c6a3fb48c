"""The LDAP filter of a look-up: every object that holds a value, escaped per RFC 4515."""

from __future__ import annotations

import re
import warnings
from typing import Final

with warnings.catch_warnings():
    # ldap3 2.9.1 imports two names that pyasn1 0.6.1 deprecated (see ``onprem``).
    warnings.filterwarnings("ignore", r"(tagMap|typeMap) is deprecated", DeprecationWarning)
    from ldap3.utils.conv import escape_filter_chars

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
    text = value.strip()
    prefixed = _PROXY_PREFIX.match(text)
    if prefixed and prefixed["prefix"].lower() != "smtp":
        prefix, rest = prefixed["prefix"], prefixed["rest"].strip()
        address = None
    else:
        prefix, rest = "smtp", (prefixed["rest"].strip() if prefixed else text)
        address = rest
    if not rest:
        return None
    escaped = escape_filter_chars(rest)
    terms = [
        f"(proxyAddresses={p}:{escaped})" for p in dict.fromkeys((prefix.lower(), prefix.upper()))
    ]
    if address is not None:
        terms = [f"(userPrincipalName={escaped})", f"(mail={escaped})", *terms]
    return f"(&{HOLDER_CLASSES}(|{''.join(terms)}))"

"""What an LDAP look-up did not see, so that it is never taken for "nobody holds it".

A search answers entries and continuation references (``searchResRef``). An entry the bind
account cannot read whole (no ``objectGUID``, no ``whenCreated``) is a holder not seen, and a
referral to another domain's partition is a part of the forest not searched: either makes
the look-up partial, named in ``unavailable`` (design.md section 2: a ticket never claims a
holder state the look-up did not establish). Referrals a DC makes for every domain-wide
search, to the DNS and configuration partitions, cannot hide a user, group or contact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import unquote, urlsplit

_NO_HOLDERS: Final = re.compile(r"^(DC=(DomainDnsZones|ForestDnsZones)|CN=Configuration),", re.I)
"""Partitions a DC refers a domain-wide search to that hold no user, group or contact."""


def uris(entry: Mapping[str, Any]) -> list[str]:
    """The URIs of one ``searchResRef`` (ldap3 gives a list); a placeholder when none."""
    given = entry.get("uri")
    if isinstance(given, str):
        return [given]
    return [str(u) for u in given] if isinstance(given, list | tuple) and given else ["(no URI)"]


def holds_no_holders(uri: str) -> bool:
    """Whether a referral names the DNS or configuration partition (``ldap://host/DN``)."""
    dn = unquote(urlsplit(uri).path.lstrip("/")) if "://" in uri else ""
    return bool(_NO_HOLDERS.match(dn))


def partial(unread: list[str], referred: list[str]) -> list[str]:
    """The ``unavailable`` lines of one look-up that did not see everything."""
    lines = []
    if unread:
        lines.append(f"onprem: {len(unread)} holder(s) could not be read ({unread[0]})")
    if referred:
        shown = ", ".join(dict.fromkeys(referred))[:200]
        lines.append(f"onprem: referral(s) to another partition not followed ({shown})")
    return lines

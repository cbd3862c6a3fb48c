"""The value types of the configuration, each with its bounds and its own error words.

Durations (``"30d"``), timeouts, URLs, the ledger's path, environment variable names, Jira
priorities by problem family, custom field values. Every bound exists because a value past it once
crashed the tool or hung a pass: ``timedelta`` overflows, ``inf`` timeouts, secrets pasted
where a variable name belongs.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
import string
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Final, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from ..models import Family

_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
_UNIT_SECONDS: Final = {"d": 86400, "h": 3600, "m": 60, "s": 1}
LONGEST: Final = timedelta(days=3650)
"""No duration is longer than about ten years (``timedelta`` itself stops at 999,999,999
days, and report time plus such a duration must still be a date)."""
LONGEST_WAIT: Final = timedelta(hours=1)
"""No retry budget or search lag is longer than this: a pass must end well before the next."""


def _format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in _UNIT_SECONDS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_duration(value: object, longest: timedelta = LONGEST) -> object:
    """``"30d"``, ``"12h"``, ``"1d12h"``, ``"90m"``, ``"45s"`` (or seconds) -> timedelta.

    Bounded by ``longest``: a bigger value is an error, not an overflow.
    """
    if isinstance(value, bool):
        # (pydantic's timedelta would read it as 0 or 1 second: reopen_within = false as
        # "never reopen")
        raise ValueError("must be a duration like 30d, 12h, 1d12h, 90m or 45s, not true/false")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError("must be a duration like 30d, 12h, 1d12h, 90m or 45s")
        if value > longest.total_seconds():
            raise ValueError(f"must be at most {_format_duration(longest)}")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        return value
    found = _DURATION.match(value.strip())
    if not found or not any(found.groupdict().values()):
        raise ValueError(f"{value!r} is not a duration like 30d, 12h, 1d12h, 90m or 45s")
    # Summed as integers first: timedelta(days=99999999999) would overflow, not refuse.
    seconds = sum(int(v) * _UNIT_SECONDS[k] for k, v in found.groupdict().items() if v)
    if seconds > longest.total_seconds():
        raise ValueError(f"must be at most {_format_duration(longest)} (not {value.strip()!r})")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Wait = Annotated[
    timedelta, BeforeValidator(functools.partial(parse_duration, longest=LONGEST_WAIT))
]
# strict: a number (an integer is one), never ``true`` (1 second) nor the text "30".
Timeout = Annotated[float, Field(gt=0, le=600, allow_inf_nan=False, strict=True)]
"""Seconds to wait for one answer: finite, and at most ten minutes."""

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _check_env_name(value: str) -> str:
    # The *_env keys hold a variable's NAME. A value that cannot be one is most likely the
    # secret itself, pasted in the wrong place: say so without ever repeating it.
    if not _ENV_NAME.match(value):
        raise ValueError(
            "must name an environment variable (letters, digits and _); this value cannot "
            "be one, so it is not shown in case it is the secret itself: put the secret in "
            "an environment variable and write that variable's name here"
        )
    return value


EnvName = Annotated[str, AfterValidator(_check_env_name)]


def _check_https(value: str) -> str:
    if value:
        _check_url(value, ("https",), "https://host[:port]")
    return value


def _check_ldap_url(value: str) -> str:
    if value:
        _check_url(value, ("ldaps", "ldap"), "ldaps://host[:port] or ldap://host[:port]")
    return value


def _check_url(value: str, schemes: tuple[str, ...], shape: str) -> None:
    if "@" in value:
        # Checked first, and the value not quoted: "https://svc:secret@host" would print the
        # password on stderr, in the journal, in cron's mail (design.md: no secret in errors).
        # Anywhere in the value, not only in what urlsplit takes for the host part: with the
        # scheme or the '//' forgotten ("svc:pw@host", "https:svc:pw@host") it finds none,
        # and no URL these keys take has an '@' elsewhere.
        raise ValueError(
            f"must not carry a user or password (user:password@ before the host): give "
            f"{shape} alone; the value is not shown, as it may hold a password"
        )
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018  (read for its check: a port that is not a number raises)
    except ValueError:
        # Not quoted either: "https://svc:Secr3t" (user:password, the host forgotten) reads
        # as host "svc" and port "Secr3t", the password.
        raise ValueError(
            f"has a port that is not a number (a user:password with its host forgotten?): "
            f"give {shape}; the value is not shown, as it may hold a password"
        ) from None
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{value!r} is not {shape}")


HttpsUrl = Annotated[str, AfterValidator(_check_https)]


_HEX40 = re.compile(r"[0-9A-Fa-f]{40}")


def thumbprint_hex(value: str) -> str:
    """``value``'s 40 hex digits, separators dropped; "" when it is not a thumbprint."""
    try:
        return _check_thumbprint(value)
    except ValueError:
        return ""


def _check_thumbprint(value: str) -> str:
    # As copied: OpenSSL prints AB:CD:..., Windows' certificate dialog ab cd ...; both are
    # only separators. Anything else reached msal, whose hex decoding error ("Odd-length
    # string") the sign-in then blamed on [graph] tenant_id.
    # Invisible format characters (Unicode Cf) too: copied from the Thumbprint field of
    # Windows' certificate dialog, the value starts with a LEFT-TO-RIGHT MARK (U+200E).
    visible = "".join(char for char in value if unicodedata.category(char) != "Cf")
    hexprint = re.sub(r"[:\s]", "", visible)
    if hexprint and not _HEX40.fullmatch(hexprint):
        raise ValueError(
            f"{_thumbprint_problem(value, hexprint)}: it must be the certificate's SHA-1 "
            "thumbprint, 40 hexadecimal digits (colons or spaces between them are fine); "
            "copy it from the app registration's Certificates & secrets page"
        )
    return hexprint


def _thumbprint_separator(char: str) -> bool:
    return char == ":" or char.isspace() or unicodedata.category(char) == "Cf"


def _thumbprint_problem(value: str, hexprint: str) -> str:
    # What is wrong, said so that it can be found; a thumbprint is no secret (Entra shows
    # it to every reader of the app registration), so the offending character is shown.
    for position, char in enumerate(value, start=1):
        if char not in string.hexdigits and not _thumbprint_separator(char):
            shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
            return f"holds {shown} at character {position}, which is not a hexadecimal digit"
    if len(hexprint) == 64:
        return "has 64 digits, which is the SHA-256 fingerprint"
    return f"has {len(hexprint)} hexadecimal digits, not 40"


Thumbprint = Annotated[str, AfterValidator(_check_thumbprint)]
"""``[graph] certificate_thumbprint``: 40 hex digits, separators dropped; empty means none."""


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)", re.IGNORECASE)
"""One label of a host name (letters, digits, hyphens inside; the underscore some internal
names carry); an internationalised name is checked in its IDNA (``xn--``) form."""
_BAD_HOST = (
    "has a host name that is not one (an empty part, a space, a % or another character no "
    "host name has): give the site's address, e.g. https://contoso.atlassian.net"
)


def _host_problem(host: str) -> str | None:
    """Why the HTTP stack could not connect to ``host`` (from ``urlsplit``), if it could not."""
    if ":" in host:  # an IPv6 literal, brackets removed
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return _BAD_HOST
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return _BAD_HOST
    labels = ascii_host.removesuffix(".").split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return _BAD_HOST
    return None


def _check_jira_url(value: str) -> str:
    # Caught here, a bad address is one line naming the key; caught by the HTTP stack, it was
    # a traceback (no scheme, ftp://, https://a..b) or a "temporary" failure retried for
    # minutes with intents left (no host, a space or a % in the host, port 0).
    if not value:
        return value  # required only with [sink] kind = "jira" (checked with the whole file)
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed [IPv6 literal
        raise ValueError(_BAD_HOST) from None
    if parts.scheme.lower() not in ("https", "http"):
        raise ValueError(
            "must start with https:// (or http://), e.g. https://contoso.atlassian.net"
        )
    if not parts.hostname:
        raise ValueError("has no host: give the site's address, e.g. https://contoso.atlassian.net")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not hold a user name or password: they go in email and token_env")
    problem = _host_problem(parts.hostname)
    if problem is not None:
        raise ValueError(problem)
    try:
        port = parts.port  # raises on a port out of range
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("has a port that is not a number from 1 to 65535")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query (?...) or fragment (#...): the site's base address")
    return value


JiraUrl = Annotated[str, AfterValidator(_check_jira_url)]
LdapUrl = Annotated[str, AfterValidator(_check_ldap_url)]

FAMILIES: Final[tuple[str, ...]] = get_args(Family)
MAX_FIELD_DEPTH: Final = 8


def check_priority(value: dict[str, str]) -> dict[str, str]:
    """``[jira] priority``: keys are problem families or ``default``; values name a priority."""
    unknown = [k for k in value if k not in FAMILIES and k != "default"]
    if unknown:
        raise ValueError(
            f"{', '.join(repr(k) for k in unknown)} not a problem family: use "
            f"{', '.join(FAMILIES)} or default"
        )
    empty = [k for k, v in value.items() if not v.strip()]
    if empty:
        raise ValueError(f"the priority of {', '.join(empty)} is empty: name a Jira priority")
    return value


def _depth(value: object) -> int:
    if isinstance(value, Mapping):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list | tuple):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def check_fields(value: dict[str, object]) -> dict[str, object]:
    """``[jira] fields``: values nest no deeper than Jira's own fields do (bounded recursion)."""
    if _depth(value) > MAX_FIELD_DEPTH:
        raise ValueError(
            f"values nest more than {MAX_FIELD_DEPTH} levels deep; Jira's fields nest two or three"
        )
    return value


LOCK_NAME = "run.lock"
TICKETS_NAME = "tickets.db"


def _check_state_path(value: Path) -> Path:
    """A path that can be the ledger's file, and only the ledger's (checked at load time:
    otherwise every run fails on it, with advice about the wrong file)."""
    if "\x00" in str(value):
        raise ValueError("holds a NUL character, which no file name can; remove it")
    name = value.name
    if name in ("", ".", ".."):
        raise ValueError("must name the ledger's file (state.db, say), not a directory")
    # The store and the lock sit beside the ledger under these names; the store's log,
    # its rebuild and the files a rebuild sets aside start with its name.
    if name in (LOCK_NAME, TICKETS_NAME) or name.startswith(
        (f"{TICKETS_NAME}-", f"{TICKETS_NAME}.")
    ):
        raise ValueError(
            f"names {name}, a file dirsync-bridge keeps beside the ledger; give the ledger "
            "a name of its own (state.db, say)"
        )
    return value


StatePath = Annotated[Path, AfterValidator(_check_state_path)]


def _check_textfile(value: Path) -> Path | None:
    if not str(value) or str(value) == ".":
        return None  # "" (the default): no metrics
    if "\x00" in str(value):
        raise ValueError("holds a NUL character, which no file name can; remove it")
    # node_exporter's textfile collector reads only *.prom files: any other name would be
    # written after every run and never collected, which no one would notice.
    if value.suffix != ".prom":
        raise ValueError(
            f"names {value.name!r}; node_exporter reads only files ending in .prom "
            "(dirsync-bridge.prom, say)"
        )
    return value


TextfilePath = Annotated[Path, AfterValidator(_check_textfile)]
"""``[metrics] textfile``: a ``*.prom`` file; empty means none."""

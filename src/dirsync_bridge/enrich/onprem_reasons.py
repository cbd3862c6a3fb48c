"""Why an LDAP exchange failed, in words a one-line error can carry.

ldap3 wraps what went wrong (an ``ssl`` refusal, a socket timeout) in exceptions of its own,
keeping the original only in the chain and in the text. These read it back out, so that
``OnPremDirectory`` can sort a failure (a certificate, a timeout) and name its reason.
"""

from __future__ import annotations

import re
from typing import Final

from ..secret_files import redact

_VERIFY_FAILED: Final = re.compile(r"certificate verify failed: ([^\"'()\]\[]+)")


def cause_of(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """``exc`` or the first exception it was raised from (or while handling) of type ``kind``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def certificate_refusal(exc: BaseException) -> str:
    """Why the certificate was refused, in OpenSSL's words ("unable to get local issuer
    certificate"); ldap3 wraps the ``ssl`` error in its own, losing ``verify_message``."""
    message = getattr(exc, "verify_message", None)
    if message:
        return str(message)
    found = _VERIFY_FAILED.search(str(exc))
    return found.group(1).strip() if found else first_line(exc)


def first_line(exc: BaseException) -> str:
    """The exception's message, its first line only and at most 200 characters (else the
    name of its type)."""
    text = redact(str(exc)).strip() or type(exc).__name__  # a server's words may echo
    return text.splitlines()[0][:200]

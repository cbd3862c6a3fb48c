"""The mailboxes of a From header: the trust rules' only source of a sender's address.

Read apart from the rest of the envelope (``mime.read_envelope``): trust hangs on this list.
"""

from __future__ import annotations

import re
from email.errors import InvalidHeaderDefect, NonPrintableDefect

FOLD = re.compile(r"(?:\r\n?|\n)(?=[ \t])")
"""A header's folding: a line break before whitespace."""

# The shape of every report sender's From: a display name of plain words or a simple quoted
# string, then one <address> of plain dot-atoms; or the bare address. Read here directly, it
# costs a regex match instead of the RFC 5322 parser's 100+ microseconds, and gives the same
# address (tests/unit/test_envelope.py checks that against the parser).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*"
_PLAIN_FROM = re.compile(
    rf"[ \t]*(?:(?:{_ATOM}(?:[ \t]+{_ATOM})*|\"[ !#-\[\]-~]*\")?[ \t]*<(?P<angled>{_ADDRESS})>"
    rf"|(?P<bare>{_ADDRESS}))[ \t]*"
)
# No sender writes a From this long; the RFC 5322 parser's time grows faster than its length.
_MAX_FROM_CHARS = 1000


def addresses(value: str) -> list[str]:
    """The mailboxes of a From header value, lower-cased; empty when it is not clean.

    Trust hangs on this list, so a value the parser finds defects in (an encoded word inside
    an address, text glued to an angle address, an unclosed bracket: each a known way to make
    lenient parsers read a trusted address out of a forged header) gives no address at all,
    and neither does an incomplete mailbox. Only exactly one address can ever be trusted.
    """
    text = FOLD.sub("", value)
    if len(text) > _MAX_FROM_CHARS:
        return []
    if not text.isascii():
        # 8-bit bytes (kept by the parser as surrogate escapes): UTF-8 (RFC 6532). What is not
        # UTF-8 becomes U+FFFD: harmless in a display name, and no allow-list matches it.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if "=?" not in text and (plain := _PLAIN_FROM.fullmatch(text)):
        return [(plain.group("angled") or plain.group("bare")).lower()]
    return rfc5322_addresses(text)


def rfc5322_addresses(text: str) -> list[str]:
    """``addresses`` as the standard library's RFC 5322 parser reads ``text``."""
    if len(text) > _MAX_FROM_CHARS:
        return []
    # Imported here: the modern header classes cost a few milliseconds of every start-up,
    # and a report's own From never needs them.
    from email.policy import default

    try:
        header = default.header_factory("From", text)
        found = header.addresses
    except Exception:  # the parser's own failures (deep comments, odd tokens): an unreadable From
        return []
    if any(isinstance(d, InvalidHeaderDefect | NonPrintableDefect) for d in header.defects):
        return []
    if not all(a.username and a.domain and "\ufffd" not in a.addr_spec for a in found):
        return []  # an incomplete mailbox, or one with bytes that were not UTF-8
    return [a.addr_spec.lower() for a in found]

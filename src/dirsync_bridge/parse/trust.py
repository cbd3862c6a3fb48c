"""Which emails may make tickets (design.md section 3). Pure: headers in, verdicts out.

Anyone can send mail that looks like a report, and the real sender address has been abused
for spam, so the From address alone is not enough: the subject must be a report subject and,
where the receiving server recorded ``Authentication-Results``, the message must not have
failed DMARC, nor SPF and DKIM together.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_SENDERS: tuple[str, ...] = (
    "msonlineservicesteam@microsoftonline.com",
    "msonlineservicesteam@microsoft.com",
    "azure-noreply@microsoft.com",
    # The same mailbox family in the national clouds (reference/format.md 1.2).
    "msonlineservicesteam@oe.21vianet.com",
    "21vianetonlineservicesteam@21vianet.com",
    "msonlineservicesteam@azureadnotifications.us",
    "msonlineservicesteam@microsoftonline.us",
)


class TrustPolicy(BaseModel):
    """The ``[trust]`` section: who may send reports, and who may forward them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    senders: tuple[str, ...] = Field(default=DEFAULT_SENDERS)
    forwarders: tuple[str, ...] = ()
    require_authenticated: bool = False

    @field_validator("senders", "forwarders")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address):
                raise ValueError(f"{address!r} is not an email address")
        return tuple(address.lower() for address in value)

    def allows_sender(self, address: str | None) -> bool:
        """True when ``address`` (not a display name) is on the senders allow-list."""
        return address is not None and address.lower() in self.senders

    def allows_forwarder(self, address: str | None) -> bool:
        """True when ``address`` may forward reports to us."""
        return address is not None and address.lower() in self.forwarders


_REPORT_SUBJECT = re.compile(
    r"^\s*(?:(?:re|fw|fwd|wg|tr)\s*:\s*)*(?:directory|identity)\s+synchronization\s+error\s+report"
    r"\b(?:\s*:.*)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_FORWARD_PREFIX = re.compile(r"^\s*(?:(?:fw|fwd|wg|tr)\s*:\s*)+", re.IGNORECASE)


def is_report_subject(subject: str | None) -> bool:
    """``Directory Synchronization Error Report`` (or Identity ...), date suffix allowed."""
    return subject is not None and bool(_REPORT_SUBJECT.match(subject))


def strip_forward_prefix(subject: str) -> str:
    """``FW: Directory ...`` -> ``Directory ...``."""
    return _FORWARD_PREFIX.sub("", subject).strip()


_RESULT = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*([a-z]+)", re.IGNORECASE)


def authentication_problem(
    headers: Sequence[str], policy: TrustPolicy
) -> tuple[Literal["authentication-failed", "unauthenticated"], str] | None:
    """Why the ``Authentication-Results`` headers disqualify a message, or None if they don't.

    Any header reporting ``dmarc=fail``, or ``spf=fail`` with ``dkim=fail``, rejects: a forger
    can add a header claiming a pass, but cannot remove the one our server added. With
    ``require_authenticated``, the topmost header (the one our own server adds) must pass.
    """
    for header in headers:
        results = {name.lower(): value.lower() for name, value in _RESULT.findall(header)}
        if results.get("dmarc") == "fail":
            return "authentication-failed", "Authentication-Results says dmarc=fail"
        if results.get("spf") == "fail" and results.get("dkim") == "fail":
            return "authentication-failed", "Authentication-Results says spf=fail and dkim=fail"
    if not policy.require_authenticated:
        return None
    if not headers:
        return "unauthenticated", (
            "no Authentication-Results header and [trust] require_authenticated is true"
        )
    top = {name.lower(): value.lower() for name, value in _RESULT.findall(headers[0])}
    if top.get("dmarc") == "pass" or (
        "dmarc" not in top and "pass" in (top.get("spf"), top.get("dkim"))
    ):
        return None
    return "unauthenticated", (
        "Authentication-Results has no passing result and [trust] require_authenticated is true"
    )

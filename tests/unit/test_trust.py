"""Trust rules of design.md section 3."""

from __future__ import annotations

import pytest

from dirsync_bridge.parse.trust import TrustPolicy, authentication_problem, is_report_subject

POLICY = TrustPolicy()
STRICT = TrustPolicy(require_authenticated=True)


@pytest.mark.parametrize(
    "subject",
    [
        "Directory Synchronization Error Report",
        "Directory Synchronization Error Report: Tuesday, 24 November 2015 10:00:00 GMT",
        "identity synchronization error report",
        "FW: Directory Synchronization Error Report",
        "RE: Fwd: Directory Synchronization Error Report",
    ],
)
def test_report_subjects(subject: str) -> None:
    assert is_report_subject(subject)


@pytest.mark.parametrize(
    "subject",
    [None, "", "Your Microsoft 365 subscription", "Directory Synchronization Error Reports"],
)
def test_other_subjects(subject: str | None) -> None:
    assert not is_report_subject(subject)


def test_sender_allow_list_is_case_insensitive_and_never_the_notification_sender() -> None:
    assert POLICY.allows_sender("MSOnlineServicesTeam@MicrosoftOnline.com")
    assert POLICY.allows_sender("azure-noreply@microsoft.com")
    assert not POLICY.allows_sender("aad-notification-noreply@azureemail.microsoft.com")
    assert not POLICY.allows_sender(None)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("mx.contoso.com; spf=pass; dkim=pass; dmarc=pass", None),
        ("mx.contoso.com; dmarc=fail action=quarantine", "authentication-failed"),
        ("mx.contoso.com; spf=fail; dkim=fail", "authentication-failed"),
        ("mx.contoso.com; spf=fail; dkim=pass", None),
        ("mx.contoso.com; spf=softfail; dkim=none", None),
        ("mx.contoso.com; spf=neutral", None),
    ],
)
def test_authentication_results(header: str, code: str | None) -> None:
    problem = authentication_problem([header], POLICY)
    assert (problem[0] if problem else None) == code


def test_require_authenticated_needs_a_pass_on_the_topmost_header() -> None:
    assert authentication_problem([], STRICT) == (
        "unauthenticated",
        "no Authentication-Results header and [trust] require_authenticated is true",
    )
    assert authentication_problem(["a; dmarc=pass"], STRICT) is None
    assert authentication_problem(["a; spf=pass"], STRICT) is None
    problem = authentication_problem(["a; spf=softfail", "forged; dmarc=pass"], STRICT)
    assert problem is not None and problem[0] == "unauthenticated"


def test_a_fail_anywhere_rejects_even_after_a_forged_pass() -> None:
    problem = authentication_problem(["forged; dmarc=pass", "mx; dmarc=fail"], POLICY)
    assert problem is not None


def test_addresses_in_the_policy_are_checked() -> None:
    with pytest.raises(ValueError, match="not an email address"):
        TrustPolicy(forwarders=("not an address",))

"""A plain-text report's underscore rule ends its list of errors, whatever follows on the
very next line (README: "an underscore rule ends the list"; review rev28, 2).

Before: a gateway footer on the line right after the rule (``CAUTION: This email originated
from outside...``, ``-- `` and a signature) was read with the rule as one more error, kind
Unknown, no identity ("_____ CAUTION: ..."): a junk ticket "[dirsync] Unknown: (tenant-level)".
The same on the inline-forward path, which reads the pasted report as plain text.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.body import read_text
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.trust import TrustPolicy

from ..conftest import REPORTS

FORWARDERS = TrustPolicy(forwarders=("it-admin@contoso.com",))


@pytest.mark.parametrize(
    "footer",
    [
        b"CAUTION: This email originated from outside of the organization.\r\n",
        b"-- \r\nThis message was scanned by MailGuard.\r\n",
        b"DISCLAIMER: This e-mail is confidential.\r\n",
    ],
)
@pytest.mark.parametrize(
    "fixture",
    ["aadsync_plaintext_only", "dirsync_object_errors_paragraphs", "dirsync_qp_soft_breaks"],
)
def test_a_footer_right_after_the_underscore_rule_is_no_error(fixture: str, footer: bytes) -> None:
    raw = (REPORTS / f"{fixture}.eml").read_bytes()
    whole = parse_message(raw, "x.eml", None)
    assert isinstance(whole, Report)
    assert raw.rstrip().endswith(b"_" * 20)
    with_footer = parse_message(raw.rstrip() + b"\r\n" + footer, "x.eml", None)
    assert isinstance(with_footer, Report)
    assert [e.message for e in with_footer.errors] == [e.message for e in whole.errors]


def _result(raw: bytes, trust: TrustPolicy | None = None) -> str:
    result = parse_message(raw, "x.eml", trust)
    if isinstance(result, Rejected):
        return f"{result.code}: {result.detail}"
    return f"parsed:{len(result.errors)}"


def test_an_inline_forward_with_a_gateway_footer_after_its_html_parses() -> None:
    gmail = (REPORTS / "forward_inline_gmail.eml").read_bytes()
    base = _result(gmail, FORWARDERS)
    assert base.startswith("parsed:"), base
    footer = b"\n-- \nScanned by MailGuard. This e-mail is confidential.\n"
    assert _result(gmail.rstrip() + footer, FORWARDERS) == base


def test_the_error_before_a_rule_in_its_paragraph_keeps_its_message_without_the_rule() -> None:
    text = (
        "The following errors occurred during synchronization:\n\n"
        "a@contoso.com\n\n"
        "A synchronized object with the same proxy address already exists in your\n"
        "Microsoft Online Services directory.\n"
        "_____________________________________________________\n"
        "CAUTION: This email originated from outside of the organization.\n"
    )
    [row] = read_text(text).rows
    assert row.identity == "a@contoso.com"
    assert row.message == (
        "A synchronized object with the same proxy address already exists in your\n"
        "Microsoft Online Services directory."
    )

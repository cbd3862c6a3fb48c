"""Hostile review rev51 of 0c025aa (a plain-text report's rows end at a closing paragraph).

Each test is a defect found, kept strict-xfail until fixed:

- D1: ``_CLOSING`` is tried before the identity guess, and ``\\b`` after the word is met by
  "@", "." or "\\": an identity paragraph such as ``thanks@contoso.com``,
  ``Cheers.Events@contoso.com``, ``regards@contoso.com`` or ``THANKS\\bob`` ends the rows.
  That row and every later one are lost with no word, the report still complete, so their
  open tickets resolve; as the first row, the whole report is refused not-a-report. At
  0c025aa^ each was read, complete.
- D2: a closing-like paragraph between two rows (a forwarder's "Thanks - ..." note in a
  pasted report, a stray "--", the unmonitored notice) ends the rows with the report still
  complete: the rows after it are lost and their tickets resolve. At 0c025aa^ the paragraph
  was an Unknown row naming no object, the report incomplete, every row kept.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.config.settings import load_config
from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.parsed_report import ParsedReport

from ..conftest import FIXTURE_CONFIG
from ..reportgen import INTRO_2012 as INTRO
from ..reportgen import NOT_FOUND, head_2012
from ..reportgen import PROXY_DUP_2012 as DUP

HEAD = head_2012("rev51@x.test") + 'Content-Type: text/plain; charset="utf-8"\n\n'
CLOSING = "Thank you,\nThe Microsoft Online Services Team\n"


def _report(raw: str) -> Report | Rejected:
    config = load_config(FIXTURE_CONFIG)
    result = parse_message(raw.encode(), "x.eml", config.trust, config.parse)
    return result.report() if isinstance(result, ParsedReport) else result


def _identities(result: Report | Rejected) -> list[str | None]:
    assert isinstance(result, Report), result
    return [e.identity for e in result.errors]


@pytest.mark.parametrize(
    "who", ["thanks@contoso.com", "Cheers.Events@contoso.com", "Sincerely-Yours@contoso.com"]
)
def test_an_identity_that_starts_with_a_closing_word_is_read_with_the_rows_after_it(
    who: str,
) -> None:
    body = f"ann@contoso.com\n\n{DUP}\n\n{who}\n\n{DUP}\n\nbob@contoso.com\n\n{NOT_FOUND}\n\n"
    # Seen: ['ann@contoso.com'], complete: who's and bob's tickets resolved by absence.
    assert _identities(_report(HEAD + INTRO + body + CLOSING)) == [
        "ann@contoso.com",
        who,
        "bob@contoso.com",
    ]


def test_a_report_whose_first_identity_starts_with_a_closing_word_is_not_refused() -> None:
    body = f"regards@contoso.com\n\n{DUP}\n\nbob@contoso.com\n\n{NOT_FOUND}\n\n"
    # Seen: Rejected not-a-report "followed by no error row read", every such daily report.
    assert _identities(_report(HEAD + INTRO + body + CLOSING)) == [
        "regards@contoso.com",
        "bob@contoso.com",
    ]


def test_a_netbios_identity_starting_with_a_closing_word_is_read() -> None:
    body = f"ann@contoso.com\n\n{DUP}\n\nTHANKS\\bob\n\n{NOT_FOUND}\n\n"
    assert _identities(_report(HEAD + INTRO + body + CLOSING)) == [
        "ann@contoso.com",
        "THANKS\\bob",
    ]


def test_a_plain_table_whose_first_identity_starts_with_a_closing_word_is_read() -> None:
    table = f"thanks@contoso.com\t{NOT_FOUND}\nbob@contoso.com\t{NOT_FOUND}\n\n"
    # Seen: Rejected not-a-report: the whole table was taken for a closing.
    assert _identities(_report(HEAD + INTRO + table + CLOSING)) == [
        "thanks@contoso.com",
        "bob@contoso.com",
    ]


@pytest.mark.parametrize(
    "between",
    [
        "Thanks - this one is new since Monday, Alex",
        "--",
        "This e-mail was sent from an unmonitored mailbox.",
    ],
)
def test_rows_after_a_closing_like_paragraph_are_not_resolved_by_absence(between: str) -> None:
    body = f"ann@contoso.com\n\n{DUP}\n\n{between}\n\nbob@contoso.com\n\n{NOT_FOUND}\n\n"
    result = _report(HEAD + INTRO + body + CLOSING)
    assert isinstance(result, Report), result
    # Seen: complete=True with ann alone: bob's open ticket resolved though still failing.
    # Either bob is read, or the report is incomplete (resolves nothing): not both lost.
    assert "bob@contoso.com" in _identities(result) or not result.complete


def test_microsofts_own_closing_still_ends_the_rows_complete() -> None:
    """The case 0c025aa fixed stays fixed (guards a fix of D1/D2 against undoing it)."""
    body = f"ann@contoso.com\n\n{DUP}\n\nbob@contoso.com\n\n{NOT_FOUND}\n\n"
    notice = "\nThis message was sent from an unmonitored email address.\n"
    result = _report(HEAD + INTRO + body + CLOSING + notice)
    assert isinstance(result, Report), result
    assert result.complete
    assert _identities(result) == ["ann@contoso.com", "bob@contoso.com"]


def test_a_forwarders_note_between_pasted_rows_does_not_hide_the_rows_after_it() -> None:
    head = (
        HEAD.replace(
            "From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>",
            "From: IT Admin <it-admin@contoso.com>",  # the fixture config's trusted forwarder
        ).replace("Subject: Directory", "Subject: Fwd: Directory")
        + "Please file these.\n\n---------- Forwarded message ---------\n"
        "From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
        "Date: Tue, 3 Jan 2012 23:55:10 +0000\n"
        "Subject: Directory Synchronization Error Report\nTo: admin@contoso.com\n\n"
    )
    body = (
        f"ann@contoso.com\n\n{DUP}\n\nThanks - this one is new since Monday, Alex\n\n"
        f"bob@contoso.com\n\n{NOT_FOUND}\n\n"
    )
    result = _report(head + INTRO + body + CLOSING)
    assert isinstance(result, Report), result
    # Seen: complete=True, ann alone (at 0c025aa^: incomplete, ann and bob both read).
    assert "bob@contoso.com" in _identities(result) or not result.complete


@pytest.mark.xfail(strict=True, reason="rev51 D3: a closing glued under a plain table's rows")
def test_a_closing_line_under_a_plain_tables_rows_is_no_object() -> None:
    table = f"Identity\tError Description\nann@contoso.com\t{NOT_FOUND}\nThanks,\n\n"
    # Seen (at 0c025aa and before it): a row whose identity is "Thanks,", an Unknown ticket
    # named by the signature, the report complete.
    assert _identities(_report(HEAD + INTRO + table)) == ["ann@contoso.com"]

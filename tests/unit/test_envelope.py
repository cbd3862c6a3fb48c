"""The envelope, from the standard library's header parser: who sent the message, its subject,
its date, and the From headers that name nobody, because trust hangs on them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dirsync_bridge.parse.from_addresses import addresses, rfc5322_addresses
from dirsync_bridge.parse.mime import Envelope, read_envelope

REPORT_SENDER = "msonlineservicesteam@microsoftonline.com"


def envelope(*headers: str | bytes) -> Envelope:
    lines = [h.encode("ascii") if isinstance(h, str) else h for h in headers]
    return read_envelope(b"\r\n".join(lines) + b"\r\n\r\n<p>body</p>\r\n")


@pytest.mark.parametrize(
    "value",
    [
        "Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>",
        '"Team, Microsoft Online" <MSOnlineServicesTeam@MicrosoftOnline.com>',
        "MSOnlineServicesTeam@MicrosoftOnline.com",
        "<MSOnlineServicesTeam@MicrosoftOnline.com>",
        "MSOnlineServicesTeam@MicrosoftOnline.com (Microsoft Online Services)",
        "=?utf-8?q?Microsoft_Online?= <MSOnlineServicesTeam@MicrosoftOnline.com>",
        "J. Q. Team <MSOnlineServicesTeam@MicrosoftOnline.com>",
        "Microsoft Online Services Team\r\n <MSOnlineServicesTeam@MicrosoftOnline.com>",
    ],
)
def test_the_report_sender_is_read_in_every_legal_spelling(value: str) -> None:
    assert envelope(f"From: {value}").senders == [REPORT_SENDER]


@pytest.mark.parametrize(
    "value",
    [
        # An unquoted address as display name: which of the two is the sender depends on
        # whose parser reads it (a receiving server's DMARC check, or ours).
        "evil@example.net <MSOnlineServicesTeam@MicrosoftOnline.com>",
        # CVE-2023-27043's shapes: lenient parsers read another address than the one meant.
        "MSOnlineServicesTeam@MicrosoftOnline.com)<evil@example.net>",
        "alice@example.org)<MSOnlineServicesTeam@MicrosoftOnline.com>",
        "evil@example.net;MSOnlineServicesTeam@MicrosoftOnline.com",
        "Team <MSOnlineServicesTeam@MicrosoftOnline.com> evil@example.net",
        # An encoded word inside an address (RFC 2047 section 5 forbids it); the stdlib
        # parser decodes it into the trusted address, with a defect.
        "=?utf-8?q?MSOnlineServicesTeam?=@MicrosoftOnline.com",
        "Team <MSOnlineServicesTeam@MicrosoftOnline.com",
        "Team <MSOnlineServicesTeam@MicrosoftOnline.com>;",
        "Team <MSOnline\x12ServicesTeam@MicrosoftOnline.com>",
        "Team <>",
        # Nested comments deeper than the stdlib parser's recursion, and a From longer than
        # any sender writes (the parser's time grows faster than the length).
        "(" * 300 + "MSOnlineServicesTeam@MicrosoftOnline.com" + ")" * 300,
        "Team " * 300 + "<MSOnlineServicesTeam@MicrosoftOnline.com>",
    ],
)
def test_a_from_header_with_defects_names_nobody(value: str) -> None:
    assert envelope(f"From: {value}").senders == []


def test_several_addresses_are_all_named_so_that_none_is_trusted() -> None:
    found = envelope("From: a@example.net, MSOnlineServicesTeam@MicrosoftOnline.com")
    assert found.senders == ["a@example.net", REPORT_SENDER]


def test_8bit_display_names_keep_the_address_and_8bit_addresses_match_nothing() -> None:
    assert envelope(b"From: Ren\xc3\xa9 <IT-Admin@contoso.com>").senders == ["it-admin@contoso.com"]
    assert envelope(b"From: Ren\xe9 <it-admin@contoso.com>").senders == ["it-admin@contoso.com"]
    assert envelope(b"From: <it-adm\xefn@contoso.com>").senders == []
    assert envelope(b"From: <jos\xc3\xa9@contoso.com>").senders == ["jos\u00e9@contoso.com"]


def test_the_first_of_several_from_headers_is_read_and_all_are_counted() -> None:
    found = envelope("From: a@example.net", "From: MSOnlineServicesTeam@MicrosoftOnline.com")
    assert (found.senders, found.from_headers) == (["a@example.net"], 2)


_ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
_PLAIN = st.builds(
    "{}<{}@{}>".format,
    st.sampled_from(
        ["", "Team ", '"Team, MS" ', "Microsoft  Online\tTeam ", '"" ', "=?utf-8?q?T?= "]
    ),
    st.text(_ATEXT + ".", min_size=1, max_size=8),
    st.text(_ATEXT + ".", min_size=1, max_size=8),
)
_PIECES = st.lists(
    st.sampled_from(
        ["Team", " ", "\t", '"', "<", ">", "@", ".", ",", ";", ":", "(", ")", "\\", "[", "]",
         "=?", "?=", "\u00e9", "MSOnlineServicesTeam", "MicrosoftOnline.com", "a"]
    ),
    max_size=14,
).map("".join)  # fmt: skip


@given(st.one_of(_PLAIN, _PIECES))
def test_the_plain_from_shortcut_reads_what_the_rfc5322_parser_reads(value: str) -> None:
    assert addresses(value) == rfc5322_addresses(value)


REPORT = "Directory Synchronization Error Report"


@pytest.mark.parametrize(
    ("header", "subject"),
    [
        ("Subject: =?utf-8?B?RGlyZWN0b3J5IFN5bmNocm9uaXphdGlvbiBFcnJvciBSZXBvcnQ=?=", REPORT),
        ("Subject: =?cp1252?Q?Directory_Synchronization?=\r\n =?ascii?Q?_Error_Report?=", REPORT),
        ("Subject: =?x-unknown?Q?Directory_Synchronization_Error_Report?=", REPORT),
        (f"Subject: {REPORT}:\r\n Monday, 09 December 2019", f"{REPORT}: Monday, 09 December 2019"),
        ("Subject: =?utf-8?Q?broken", "=?utf-8?Q?broken"),
        ("Subject:   ", None),
    ],
)  # fmt: skip
def test_subjects_are_decoded_and_unfolded(header: str, subject: str | None) -> None:
    assert envelope("From: a@b.example", header).subject == subject


def test_an_8bit_subject_is_read_as_utf8_and_a_sender_codec_cannot_break_the_output() -> None:
    assert (
        envelope(b"Subject: Rapport d\xc3\xa9taill\xc3\xa9").subject == "Rapport d\u00e9taill\u00e9"
    )
    # raw-unicode-escape turns "\ud800" into a lone surrogate, which no UTF-8 output can hold.
    subject = envelope("Subject: =?raw-unicode-escape?q?x\\ud800?=").subject
    assert subject is not None and subject.encode("utf-8")


def test_message_id_is_unfolded() -> None:
    found = envelope("From: a@b.example", "Message-ID:\r\n <abc@example.net>")
    assert found.message_id == "<abc@example.net>"


@pytest.mark.parametrize(
    ("date", "sent_at"),
    [
        ("Tue, 24 Nov 2015 11:00:00 +0100", "2015-11-24T10:00:00+00:00"),
        ("Mon, 18 Jan 2016 23:10:00 -0800 (PST)", "2016-01-19T07:10:00+00:00"),
        ("Wed , 12 Oct 2016 08:00 GMT", "2016-10-12T08:00:00+00:00"),
        ("24 Nov 15 10:05:00 -0000", "2015-11-24T10:05:00+00:00"),
        # Two-digit years 50-99 are 19xx (RFC 5322 4.3); the stdlib alone says 2050-2068.
        ("24 Nov 55 10:05 EST", "1955-11-24T15:05:00+00:00"),
        ("Fri, 31 Dec 49 23:30 -0100", "2050-01-01T00:30:00+00:00"),
        ("Tue, 24 Nov 2015 10:05:00", None),
        ("Tue, 24 Nov 2015 10:05:00 +0170", None),
        ("Tux, 24 Nov 2015 10:05:00 +0000", None),
        ("2015-11-24T10:05:00Z", None),
        ("Tue, 24 Nov 2015 25:00:00 +0000", None),
        ("Tue, 31 Feb 2015 10:00:00 +0000", None),
        ("not a date", None),
    ],
)
def test_dates_in_utc_and_only_from_a_date_shaped_header(date: str, sent_at: str | None) -> None:
    found = envelope("From: a@b.example", f"Date: {date}").sent_at
    assert (found.isoformat() if found else None) == sent_at

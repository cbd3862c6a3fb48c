"""Hostile bytes: whatever the mutation, the parser returns a Report or a Rejected, quickly.

Hypothesis's ``deadline`` is the time bound per message; a message that takes longer fails.
The parser's last-resort guard turns any exception into a Rejected, so these tests also
check that the guard never fired: a mutation must be handled by the real checks.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.message import parse_message
from dirsync_bridge.parse.trust import TrustPolicy

from ..conftest import REPORTS

pytestmark = pytest.mark.slow  # property and crash tests: `make test-fast` skips them

SEEDS = [p.read_bytes() for p in sorted(REPORTS.glob("*.eml")) if p.stat().st_size]
TRUST = TrustPolicy(forwarders=("it-admin@contoso.com",))
PER_MESSAGE = timedelta(seconds=2)
# DIRSYNC_FUZZ_SCALE=10 runs ten times the cases, for a deeper hunt than CI's.
SCALE = int(os.environ.get("DIRSYNC_FUZZ_SCALE", "1"))
COMMON = settings(
    deadline=PER_MESSAGE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HEADER_LINES = [
    b"Content-Type: multipart/mixed; boundary=",
    b'Content-Type: multipart/alternative; boundary="zz"',
    b"Content-Type: text/html; charset=x-no-such-charset",
    b"Content-Type: message/rfc822",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b"From: ",
    b"From: a@b.c, MSOnlineServicesTeam@MicrosoftOnline.com",
    b"Subject: =?utf-8?B?!!!?=",
    b"Subject: =?x-unknown?Q?Directory_Synchronization_Error_Report?=",
    b"Date: not a date",
    b"Authentication-Results: mx; dmarc=fail",
    b"Message-ID: <" + b"x" * 5000 + b">",
    b"X-Junk: " + b";" * 3000,
]


def _check(raw: bytes) -> None:
    result = parse_message(raw, "fuzz.eml", TRUST)
    assert isinstance(result, Report | Rejected)
    if isinstance(result, Rejected):
        assert "could not be parsed" not in result.detail, result.detail
        assert "\n" not in result.reason
    # The record must always serialise to the JSON contract.
    result.to_json_dict()


@settings(COMMON, max_examples=1500 * SCALE)
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 3), st.binary(min_size=0, max_size=8)),
        max_size=8,
    ),
)
def test_byte_mutations(seed: bytes, edits: list[tuple[float, int, bytes]]) -> None:
    data = bytearray(seed)
    for where, op, chunk in edits:
        at = int(where * len(data))
        if op == 0:  # overwrite
            data[at : at + len(chunk)] = chunk
        elif op == 1:  # insert
            data[at:at] = chunk
        elif op == 2:  # delete
            del data[at : at + 1 + len(chunk) * 50]
        else:  # truncate
            del data[at:]
    _check(bytes(data))


@settings(COMMON, max_examples=1000 * SCALE)
@given(
    seed=st.sampled_from(SEEDS),
    inserted=st.lists(st.sampled_from(HEADER_LINES), max_size=4),
    drop=st.lists(st.integers(0, 30), max_size=3),
)
def test_header_mutations(seed: bytes, inserted: list[bytes], drop: list[int]) -> None:
    head, sep, body = (
        seed.partition(b"\n\n") if b"\r\n\r\n" not in seed else seed.partition(b"\r\n\r\n")
    )
    lines = head.splitlines()
    for index in sorted(set(drop), reverse=True):
        if index < len(lines):
            del lines[index]
    _check(b"\n".join([*inserted, *lines]) + (sep or b"\n\n") + body)


@settings(COMMON, max_examples=500 * SCALE)
@given(st.binary(max_size=4096))
def test_random_bytes(raw: bytes) -> None:
    _check(raw)


@settings(COMMON, max_examples=300 * SCALE)
@given(
    seed=st.sampled_from(SEEDS),
    html=st.text(alphabet="<>/=\"' tablerdhbpy&;#x0123456789", max_size=400),
)
def test_html_soup_appended_to_a_report(seed: bytes, html: str) -> None:
    _check(seed + html.encode())


def test_a_charset_name_holding_a_nul_is_read_as_the_fallbacks_are() -> None:
    # Found by test_byte_mutations: codecs.lookup raises ValueError ("embedded null
    # character"), not LookupError, for such a name; the body was then "malformed-mime".
    raw = (REPORTS / "aadconnect_auth_results_pass.eml").read_bytes()
    broken = raw.replace(b'charset="utf-8"', b'charset="utf\x00-8"')
    assert broken != raw
    whole = parse_message(raw, "a.eml", TrustPolicy())
    result = parse_message(broken, "a.eml", TrustPolicy())
    assert isinstance(whole, Report) and isinstance(result, Report)
    assert result.errors == whole.errors

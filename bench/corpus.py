"""Synthetic report emails for the benchmarks, built from the tests' report generator."""

from __future__ import annotations

import base64
import quopri
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from tests.reportgen import LARGE, duplicate, quarantine, report_email

_FEDERATED = (
    "Unable to update this object in Azure Active Directory, because the attribute "
    "[FederatedUser.UserPrincipalName], is not valid. Update the value in your local directory "
    "services."
)


def _message(n: int) -> str:
    return (
        duplicate(
            "ProxyAddresses",
            f"SMTP:user{n}@contoso.com",
            f"smtp:user{n}@contoso.mail.onmicrosoft.com",
        ),
        quarantine("UserPrincipalName", f"user{n}@contoso.com"),
        _FEDERATED,
        LARGE,
    )[n % 4]


BATCH_RUN = "Tuesday, 24 November 2015 10:00:00 GMT"


def report_html(rows: int, seed: int = 0, when: str = BATCH_RUN) -> str:
    """An HTML report body with ``rows`` error rows and an on-premises object id column."""
    cells = []
    for n in range(seed, seed + rows):
        anchor = base64.b64encode(n.to_bytes(16, "big")).decode()
        cells.append(
            f"<tr><td>user{n}@contoso.com</td><td>{anchor}</td><td>{_message(n)}</td></tr>\n"
        )
    return (
        "<html><body><p>Hello Admin,</p><p>The Directory Synchronization batch run was "
        f"completed on {when} for tenant Contoso.</p>"
        "<table><thead><tr><th>Identity</th><th>On-premises object ID</th>"
        "<th>Error Description</th></tr></thead><tbody>\n"
        + "".join(cells)
        + "</tbody></table></body></html>\n"
    )


def big_report_email(rows: int, seed: int = 0, at: datetime | None = None) -> bytes:
    """A whole report email (quoted-printable HTML, as Exchange sends it); ``at``: its time
    (by default 24 November 2015 10:00), which also names it (its Message-ID)."""
    when = BATCH_RUN if at is None else at.strftime("%A, %d %B %Y %H:%M:%S GMT")
    date = "Tue, 24 Nov 2015 10:05:00 +0000" if at is None else format_datetime(at)
    name = f"bench-{seed}-{rows}" if at is None else f"bench-{seed}-{rows}-{at:%Y%m%d%H%M}"
    body = quopri.encodestring(report_html(rows, seed, when).encode("utf-8"))
    head = (
        "From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>\n"
        "To: admin@contoso.com\n"
        f"Subject: Directory Synchronization Error Report: {when}\n"
        f"Date: {date}\n"
        f"Message-ID: <{name}@microsoftonline.com>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
    )
    return head.encode("ascii") + body


def mbox_messages(count: int, rows: int = 20) -> Iterator[bytes]:
    """``count`` report emails framed for an mbox file."""
    for index in range(count):
        yield (
            b"From MAILER-DAEMON Tue Nov 24 10:05:00 2015\n"
            + big_report_email(rows, index * rows)
            + b"\n"
        )


def backlog(folder: Path, count: int, tenants: int = 4, people: int = 25, seed: int = 3) -> None:
    """``count`` report files over a few tenants: problems come, go, return and change."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    present = {(t, p): rng.random() < 0.6 for t in range(tenants) for p in range(people)}
    at = datetime(2016, 1, 4, tzinfo=UTC)
    for number in range(count):
        tenant = number % tenants
        at += timedelta(minutes=45)
        for person in range(people):
            if rng.random() < 0.1:
                present[tenant, person] = not present[tenant, person]
        rows = [
            (f"p{person}@t{tenant}.example", _message(person + number // 50))
            for person in range(people)
            if present[tenant, person]
        ]
        message_id = f"backlog-{number}@bench.test"
        (folder / f"{number:05d}.eml").write_bytes(
            report_email(f"Tenant {tenant}", at, rows, message_id)
        )


def report_filling(limit: int) -> bytes:
    """The largest ``big_report_email`` of at most ``limit`` bytes (rows of every kind)."""
    sample = 1_000
    per_row = len(big_report_email(sample)) / sample
    rows = int(limit / per_row)
    raw = big_report_email(rows)
    # Row sizes vary a little (the numbers grow longer): step down until it fits.
    while len(raw) > limit:
        rows -= max(1, (len(raw) - limit) // int(per_row) + 1)
        raw = big_report_email(rows)
    return raw

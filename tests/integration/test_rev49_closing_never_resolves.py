"""Hostile review rev49 of 7232bbb, end to end: a plain-text report whose rows are followed by
Microsoft's closing (no underscore separator, as a text rendering of an AAD Connect report
has it) reads the closing as Unknown rows naming no object, and since 7232bbb every such
report is incomplete: a problem fixed on premises is never resolved by its absence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from .conftest import cli_with_config_file

AT = datetime(2024, 3, 4, 9, tzinfo=UTC)
DUP = (
    "A synchronized object with the same proxy address already exists in your\n"
    "Microsoft Online Services directory."
)
NOT_FOUND = "Unable to update this object because the user ID is not found."
CLOSING = (
    "Thank you,\nThe Microsoft Online Services Team\n\n"
    "This message was sent from an unmonitored email address. Please do not reply to this "
    "message.\n"
)


def _plain_report(number: int, at: datetime, errors: str) -> bytes:
    when = at.strftime("%A, %d %B %Y %H:%M:%S GMT")
    return (
        f"Date: {at.strftime('%a, %d %b %Y %H:%M:%S +0000')}\n"
        "From: MSOnlineServicesTeam@MicrosoftOnline.com\nTo: admin@contoso.com\n"
        "Subject: Directory Synchronization Error Report\n"
        f"Message-ID: <rev49-{number}@x.test>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"Hello,\n\nThe Directory Synchronization batch run was\ncompleted on {when} "
        "for tenant Contoso.\n\nThe following errors occurred during synchronization:\n\n"
        + errors
        + "\n\n"
        + CLOSING
    ).encode()


def test_a_fixed_problem_is_resolved_though_each_report_ends_in_microsofts_closing(
    tmp_path: Path,
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    ann = "ann@contoso.com\n\n" + DUP
    bob = "bob@contoso.com\n\n" + NOT_FOUND
    (mail / "r0.eml").write_bytes(_plain_report(0, AT, ann + "\n\n" + bob))
    for number in (1, 2, 3, 4):  # resolve_after_reports is 3; bob fixed after r0
        (mail / f"r{number}.eml").write_bytes(
            _plain_report(number, AT + timedelta(days=number), ann)
        )
    config = tmp_path / "c.toml"
    config.write_text('[state]\npath = "st/state.db"\n')
    done = cli_with_config_file(config, "replay", str(mail), cwd=tmp_path, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    # Seen: "0 resolved": bob's ticket stays open for ever (before 7232bbb: resolved).
    assert "1 resolved" in done.stdout, done.stdout

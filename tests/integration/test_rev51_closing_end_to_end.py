"""Hostile review rev51 of 0c025aa, end to end through ``replay`` into the local store.

- D1: an identity paragraph starting with a closing word (``thanks@contoso.com``) ends the
  rows of a plain report with the report complete: the rows after it are never read, so
  an object still failing on premises has its ticket resolved by absence, and the
  ``thanks@`` object is never ticketed at all (strict xfail).
- The incomplete path (a guessed row naming no object) resolves nothing while its named rows
  still count as seen: checked here, it holds.
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
CLOSING = "Thank you,\nThe Microsoft Online Services Team\n"
ANN = "ann@contoso.com\n\n" + DUP
BOB = "bob@contoso.com\n\n" + NOT_FOUND


def _plain_report(number: int, at: datetime, errors: str) -> bytes:
    when = at.strftime("%A, %d %B %Y %H:%M:%S GMT")
    return (
        f"Date: {at.strftime('%a, %d %b %Y %H:%M:%S +0000')}\n"
        "From: MSOnlineServicesTeam@MicrosoftOnline.com\nTo: admin@contoso.com\n"
        "Subject: Directory Synchronization Error Report\n"
        f"Message-ID: <rev51-{number}@x.test>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"Hello,\n\nThe Directory Synchronization batch run was\ncompleted on {when} "
        "for tenant Contoso.\n\nThe following errors occurred during synchronization:\n\n"
        + errors
        + "\n\n"
        + CLOSING
    ).encode()


def _replay(tmp_path: Path, later: str) -> str:
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "r0.eml").write_bytes(_plain_report(0, AT, ANN + "\n\n" + BOB))
    for number in (1, 2, 3, 4):  # resolve_after_reports is 3
        (mail / f"r{number}.eml").write_bytes(
            _plain_report(number, AT + timedelta(days=number), later)
        )
    config = tmp_path / "c.toml"
    config.write_text('[state]\npath = "st/state.db"\n')
    done = cli_with_config_file(config, "replay", str(mail), cwd=tmp_path, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_a_still_failing_object_after_a_thanks_identity_is_not_resolved(tmp_path: Path) -> None:
    thanks = "thanks@contoso.com\n\n" + DUP
    out = _replay(tmp_path, ANN + "\n\n" + thanks + "\n\n" + BOB)
    # Seen: "1 resolved" (bob, failing in every report) and thanks@ never opened.
    assert "0 resolved" in out, out
    assert "3 created" in out, out


def test_an_incomplete_report_resolves_nothing_but_still_sees_its_named_rows(
    tmp_path: Path,
) -> None:
    odd = "Something the catalogue does not know went wrong."
    out = _replay(tmp_path, ANN + "\n\n" + odd)
    # ann and bob from r0, and the unknown text (kept, naming no object) from r1; bob, left
    # out of four incomplete reports only, stays open.
    assert "3 created" in out, out
    assert "0 resolved" in out, out

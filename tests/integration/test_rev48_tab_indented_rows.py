"""Hostile review rev48 of ae4d9e9: tab-indented named rows under an unindented header.

ae4d9e9 prepends an empty identity cell to every data line that starts with a tab under a
header row not itself indented. A table whose data rows are indented by a tab (named, two
cells after the indent, as wide as the header) now reads each identity as the error text:
every row an Unknown error naming no object, which may be the tenant's, so the report is
accepted as complete. Replayed, the object's real ticket is resolved as absent and an
"(tenant-level)" Unknown ticket opens. Before ae4d9e9 these rows read right.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..reportgen import duplicate, report_email
from .conftest import cli_with_config_file

AT = datetime(2024, 3, 4, 9, tzinfo=UTC)
VALUE = duplicate("ProxyAddresses", "SMTP:a@contoso.com")


def _tab_report(number: int, at: datetime) -> bytes:
    when = at.strftime("%A, %d %B %Y %H:%M:%S GMT")
    return (
        f"Date: {at.strftime('%a, %d %b %Y %H:%M:%S +0000')}\n"
        "From: MSOnlineServicesTeam@MicrosoftOnline.com\nTo: admin@contoso.com\n"
        "Subject: Directory Synchronization Error Report\n"
        f"Message-ID: <tab{number}@x.test>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"Hello,\n\nThe Directory Synchronization batch run was\ncompleted on {when} "
        "for tenant Contoso.\n\nThe following errors occurred during synchronization:\n\n"
        f"Identity\tError\n\tann@contoso.com\t{VALUE}\n"
    ).encode()


def test_tab_indented_named_rows_never_resolve_the_real_ticket(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "r0.eml").write_bytes(
        report_email("Contoso", AT, [("ann@contoso.com", VALUE)], "<html0@x.test>")
    )
    for number in (1, 2, 3):  # resolve_after_reports is 3
        (mail / f"r{number}.eml").write_bytes(_tab_report(number, AT + timedelta(days=number)))
    config = tmp_path / "c.toml"
    config.write_text('[state]\npath = "st/state.db"\n')
    done = cli_with_config_file(config, "replay", str(mail), cwd=tmp_path, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    opened = cli_with_config_file(config, "tickets", cwd=tmp_path, timeout=120)
    assert opened.returncode == 0, opened.stderr
    # Before ae4d9e9: ann's ticket stays open (her error in each report). Now: "1 resolved".
    assert "0 resolved" in done.stdout, done.stdout
    assert "(tenant-level)" not in opened.stdout, opened.stdout

"""An error row of a report email that names no object: its identity cell empty and no
object id, though its error is an object's (a duplicate value, a too-large object...).

Filed, it was the whole tenant's "(tenant-level)" problem: a ticket that names no object
and that nobody can act on as one. It is left out with one warning line naming the message
and the rows (as csexport leaves out its nameless objects); a report of nothing else is
rejected, so that it is never read as "no errors" (which would resolve every open problem).
A row with an object id is filed by it; a genuinely tenant-level error (the object quota,
format.md: no identity, a Tracking ID) is still the tenant's.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from ..conftest import REPORTS
from ..reportgen import duplicate, id_report_email, report_email
from .conftest import cli_with_config_file

AT = datetime(2024, 3, 4, 9, tzinfo=UTC)


def _replay(tmp_path: Path, *emails: bytes) -> tuple[subprocess.CompletedProcess[str], str]:
    mail = tmp_path / "mail"
    mail.mkdir()
    for number, email in enumerate(emails):
        (mail / f"r{number}.eml").write_bytes(email)
    config = tmp_path / "c.toml"
    config.write_text(
        '[state]\npath = "st/state.db"\n[trust]\nforwarders = ["it-admin@contoso.com"]\n'
    )
    done = cli_with_config_file(config, "replay", str(mail), cwd=tmp_path, timeout=120)
    tickets = cli_with_config_file(config, "tickets", cwd=tmp_path, timeout=120)
    assert tickets.returncode == 0, tickets.stderr
    return done, tickets.stdout


def test_a_row_that_names_no_object_is_left_out_with_one_line(tmp_path: Path) -> None:
    rows = [
        ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:a@contoso.com")),
        ("", duplicate("ProxyAddresses", "SMTP:b@contoso.com")),
    ]
    done, tickets = _replay(tmp_path, report_email("Contoso", AT, rows, "<r1@x.test>"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "name no object" in line]
    assert "r0.eml" in line and "1 error row" in line, line
    assert "(tenant-level)" not in tickets, tickets
    assert "ann@contoso.com" in tickets and "1 ticket" in tickets, tickets


def test_a_report_of_nothing_but_nameless_rows_is_rejected_not_read_as_no_errors(
    tmp_path: Path,
) -> None:
    rows = [("", duplicate("ProxyAddresses", "SMTP:b@contoso.com"))]
    done, tickets = _replay(tmp_path, report_email("Contoso", AT, rows, "<r1@x.test>"))
    assert done.returncode == 1, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "r0.eml" in line]
    assert "name no object" in line, line
    assert "(tenant-level)" not in tickets and "0 tickets" in tickets, tickets


def test_a_row_with_an_object_id_only_is_filed_by_it(tmp_path: Path) -> None:
    object_id = "Ab3dEf9hIjKlMnOpQrStUw=="
    rows = [("", object_id, duplicate("ProxyAddresses", "SMTP:b@contoso.com"))]
    done, tickets = _replay(tmp_path, id_report_email("Contoso", AT, rows, "<r1@x.test>"))
    assert done.returncode == 0, done.stderr
    assert object_id in tickets and "(tenant-level)" not in tickets, tickets


def test_the_object_quota_stays_the_tenants(tmp_path: Path) -> None:
    done, tickets = _replay(tmp_path, (REPORTS / "dirsync_quota_tenant_inc.eml").read_bytes())
    assert done.returncode == 0, done.stderr
    assert "name no object" not in done.stderr
    assert "(tenant-level)" in tickets, tickets


BATCH_REFUSED = (
    "The password change request can't be executed because it contains changes to one or "
    "more cloud-only user objects, which aren't supported. Contact Microsoft Customer "
    "Support. Tracking Id: 3f2504e0-4f89-11d3-9a0c-0305e82c3301"
)
"""A refusal of a whole request (format.md 3.1, DeletingCloudOnlyObjectNotAllowed's related
texts): it names no object by nature, and carries a Tracking Id, format.md's mark of a
tenant-level row."""


def test_a_nameless_row_with_a_tracking_id_stays_the_tenants(tmp_path: Path) -> None:
    """A row with no identity whose error carries a Tracking Id is a tenant-level error
    (format.md 10.2), whatever its kind: filed as the tenant's, as before, not left out
    (review rev42: a request refused for its cloud-only users was dropped with a warning,
    and a report of it alone rejected as not a report)."""
    rows = [
        ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:a@contoso.com")),
        ("", BATCH_REFUSED),
    ]
    done, tickets = _replay(tmp_path, report_email("Contoso", AT, rows, "<r1@x.test>"))
    assert done.returncode == 0, done.stderr
    assert "name no object" not in done.stderr, done.stderr
    assert "(tenant-level)" in tickets and "2 tickets" in tickets, tickets

"""Hostile review rev45 of 210e853: a plain-text report whose every row names no object.

lowsc refuses a report of nothing but nameless rows read from cells (``not-a-report``):
read as a report, its object errors would be absences, resolving the objects' real
problems. 210e853 keeps every plain-text paragraph row, so such a plain-text report (its
one error paragraph with no identity paragraph before it) is read again, as before lowsc:
it opens a "(tenant-level)" ticket and, after ``resolve_after_reports``, resolves every
named problem of the tenant, the real ticket of the very object it reports among them
(at 413bac8 these reports were rejected ``not-a-report`` and the ticket stayed open).
(fixed by the lead: such a report is rejected not-a-report).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..reportgen import duplicate
from .conftest import cli_with_config_file, replay_after_anns_report

AT = datetime(2024, 3, 4, 9, tzinfo=UTC)
VALUE = duplicate("ProxyAddresses", "SMTP:a@contoso.com")


def test_reports_of_only_nameless_paragraph_rows_never_resolve_the_real_ticket(
    tmp_path: Path,
) -> None:
    done, config = replay_after_anns_report(tmp_path, AT, VALUE, VALUE, "plain")
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    opened = cli_with_config_file(config, "tickets", cwd=tmp_path, timeout=120)
    assert opened.returncode == 0, opened.stderr
    # Today: "1 resolved" (ann's), and an open "(tenant-level)" AttributeValueMustBeUnique
    # ticket naming no one; at 413bac8: 3 rejected, ann's ticket open, no other.
    assert "0 resolved" in done.stdout, done.stdout
    assert "(tenant-level)" not in opened.stdout, opened.stdout


def test_reports_naming_the_object_in_an_unknown_shape_never_resolve_its_real_ticket(
    tmp_path: Path,
) -> None:
    # Review rev46 (fixed by shapes): "Ann Akers" is no identity the reader knows; read as an
    # Unknown error, the duplicate after it named no object, and the report was complete.
    errors = (
        "ben@contoso.com\n\nUnable to update this object because the user ID is not found."
        "\n\nAnn Akers\n\n" + VALUE
    )
    done, config = replay_after_anns_report(tmp_path, AT, VALUE, errors, "plain")
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    opened = cli_with_config_file(config, "tickets", cwd=tmp_path, timeout=120)
    assert opened.returncode == 0, opened.stderr
    # Before: "1 resolved" (ann's) and an open "(tenant-level)" duplicate naming no one.
    assert "0 resolved" in done.stdout, done.stdout
    assert "(tenant-level)" not in opened.stdout, opened.stdout
    assert "not-a-report" in done.stderr + done.stdout, (done.stdout, done.stderr)


def test_reports_of_only_an_error_text_read_as_an_identity_never_resolve_the_real_ticket(
    tmp_path: Path,
) -> None:
    # Review rev47: an error text starting DN-shaped and ending in ", name=value" was read as
    # an identity with no error after it, dropped: each report one of no errors.
    errors = "CN=Ann Akers,OU=Users,DC=contoso,DC=com could not be exported, hr=0x80230703"
    done, _config = replay_after_anns_report(tmp_path, AT, VALUE, errors, "plain")
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    # Before: "1 resolved" (ann's real ticket, absent from three reports "of no errors").
    assert "0 resolved" in done.stdout, done.stdout
    assert "not-a-report" in done.stderr + done.stdout, (done.stdout, done.stderr)

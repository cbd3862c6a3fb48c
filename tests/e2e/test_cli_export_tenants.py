"""Export files and their tenant through ``replay``, as a user runs them: a rerun under the
right ``--tenant``, blank and odd spellings of a tenant, empty exports, one export saved in
other bytes, and 6941 events of the on-premises connector (issue 13's review)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..exportgen import csexport, events_6941
from ..reportgen import duplicate, report_email
from .test_cli import run

EXPORTS = ROOT / "fixtures" / "exports"
CS = EXPORTS / "csexport_several_objects_kinds.xml"
AT = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
WHO, OID = "ann@contoso.com", "QU5OLWFubi0wMQ=="


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "c.toml"
    path.write_text(f'[state]\npath = "{tmp_path / "state.db"}"\n{extra}', encoding="utf-8")
    return path


def replay(conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run("--config", str(conf), "replay", *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def open_tickets(conf: Path) -> list[dict[str, str]]:
    done = run("--config", str(conf), "tickets", "--status", "open", "--format", "json")
    assert done.returncode == 0, done.stderr
    tickets: list[dict[str, str]] = json.loads(done.stdout)
    return tickets


def test_a_file_replayed_under_a_mistyped_tenant_is_read_again_under_the_right_one(
    tmp_path: Path,
) -> None:
    conf = config(tmp_path)
    assert replay(conf, "--tenant", "Contso", str(CS)).returncode == 0
    right = replay(conf, "--tenant", "Contoso", str(CS))
    assert "1 parsed, 0 rejected, 0 already seen" in right.stdout, right.stdout
    assert "Contoso" in {t["tenant"] for t in open_tickets(conf)}
    # The same bytes under the same tenant (however spelled) are still read once.
    again = replay(conf, "--tenant", " CONTOSO ", str(CS))
    assert "0 parsed, 0 rejected, 1 already seen" in again.stdout, again.stdout


def test_an_export_refused_no_tenant_is_ticketed_once_the_default_is_set(tmp_path: Path) -> None:
    first = replay(config(tmp_path), str(CS))
    assert first.returncode == 1 and "no-tenant" in first.stderr
    conf = config(tmp_path, '[tenants]\ndefault = "Contoso"\n')
    again = replay(conf, str(CS))
    assert "1 parsed" in again.stdout, again.stdout
    assert len(open_tickets(conf)) == 7


@pytest.mark.parametrize("name", ["", "   ", "\t", "\u00a0"])
@pytest.mark.parametrize("command", ["replay", "parse"])
def test_a_blank_tenant_on_the_command_line_is_refused_in_one_line(
    tmp_path: Path, name: str, command: str
) -> None:
    done = run("--config", str(config(tmp_path)), command, "--tenant", name, str(CS))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.splitlines() == [
        "dirsync-bridge: error: --tenant: is empty: name the tenant"
    ]
    assert not (tmp_path / "state.db").exists() or open_tickets(config(tmp_path)) == []


@pytest.mark.parametrize(
    ("email_tenant", "cli_tenant"),
    [
        ("Contos\u00f6", "Contoso\u0308"),  # composed in the email, decomposed typed
        ("Contoso", "\uff23\uff4f\uff4e\uff54\uff4f\uff53\uff4f"),  # full-width
        ("Stra\u00dfe GmbH", "STRASSE GMBH"),
    ],
)
def test_unicode_spellings_of_one_tenant_give_one_ticket(
    tmp_path: Path, email_tenant: str, cli_tenant: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    mail = report_email(email_tenant, AT, [(WHO, duplicate("UserPrincipalName", WHO))], "e@x")
    (folder / "e.eml").write_bytes(mail)
    (folder / "c.xml").write_bytes(csexport([(OID, WHO, WHO)], AT + timedelta(hours=1)))
    (folder / "v.xml").write_bytes(events_6941([(OID, WHO)], AT + timedelta(hours=2)))
    conf = config(tmp_path)
    for name in ("e.eml", "c.xml", "v.xml"):
        replay(conf, "--tenant", cli_tenant, str(folder / name))
    got = open_tickets(conf)
    assert len(got) == 1, [(t["key"], t["identity"], t["tenant"]) for t in got]


def test_empty_csexports_after_the_errors_cleared_resolve_the_tickets(tmp_path: Path) -> None:
    # An empty csexport has no date-occurred: it is dated when it is read, else it would sort
    # at the epoch, before the report that opened the tickets, and never count as an absence.
    conf = config(tmp_path, '[tenants]\ndefault = "T"\n')
    shutil.copyfile(CS, tmp_path / "a.xml")
    replay(conf, str(tmp_path / "a.xml"))
    assert len(open_tickets(conf)) == 7
    for run_number in range(3):  # resolve_after_reports = 3
        empty = tmp_path / f"empty{run_number}.xml"
        empty.write_text(
            f'<?xml version="1.0" encoding="utf-8"?>\n<!-- run {run_number} -->\n'
            "<cs-objects>\n</cs-objects>\n",
            encoding="utf-8",
        )
        replay(conf, str(empty))
        again = replay(conf, str(empty))  # the same empty file read again is no new report
        assert "1 already seen" in again.stdout, again.stdout
        assert (open_tickets(conf) == []) == (run_number == 2), run_number


def test_one_export_saved_in_other_bytes_counts_as_one_report(tmp_path: Path) -> None:
    conf = config(tmp_path, '[tenants]\ndefault = "Contoso"\n')
    gone = "gone@contoso.com"
    mail = tmp_path / "m.eml"
    mail.write_bytes(
        report_email("Contoso", AT, [(gone, duplicate("UserPrincipalName", gone))], "m@x")
    )
    replay(conf, str(mail))
    base = csexport([(OID, WHO, WHO)], AT + timedelta(days=1))
    variants = [
        base,
        base.replace(b"\n", b"\r\n"),
        b"\xef\xbb\xbf" + base,
        base.replace(b"\n ", b"\n   "),
    ]
    for number, data in enumerate(variants):
        path = tmp_path / f"cs{number}.xml"
        path.write_bytes(data)
        done = replay(conf, str(path))
        if number:
            assert "1 already seen" in done.stdout, (number, done.stdout)
    assert gone in [t["identity"] for t in open_tickets(conf)]


def test_a_6941_of_an_on_premises_dn_is_never_filed_as_tenant_level(tmp_path: Path) -> None:
    text = events_6941([("QU5O", "a@contoso.com")], AT).decode()
    dn = "CN={" + b"QU5O".hex().upper() + "}"
    assert dn in text
    path = tmp_path / "ev.xml"
    path.write_text(text.replace(dn, "CN=Ann,OU=Users,DC=contoso,DC=com"), encoding="utf-8")
    conf = config(tmp_path)
    done = replay(conf, "--tenant", "T", str(path))
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "not-an-error-export" in done.stderr and "CN=Ann" in done.stderr, done.stderr
    assert open_tickets(conf) == []


def test_an_alias_added_later_joins_the_tickets_already_open(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    old = report_email("Contoso Ltd.", AT, [(WHO, duplicate("UserPrincipalName", WHO))], "e@x")
    (folder / "e.eml").write_bytes(old)
    (folder / "c.xml").write_bytes(csexport([(OID, WHO, WHO)], AT + timedelta(hours=1)))
    (folder / "v.xml").write_bytes(events_6941([(OID, WHO)], AT + timedelta(hours=2)))
    replay(config(tmp_path), str(folder / "e.eml"))
    conf = config(tmp_path, '[tenants.aliases]\n"Contoso" = ["Contoso Ltd."]\n')
    replay(conf, "--tenant", "Contoso", str(folder / "c.xml"), str(folder / "v.xml"))
    later = report_email("Contoso", AT + timedelta(days=1), [], "f@x")  # the new name
    (folder / "f.eml").write_bytes(later)
    replay(conf, str(folder / "f.eml"))
    got = open_tickets(conf)
    assert [(t["identity"], t["tenant"]) for t in got] == [(WHO, "Contoso Ltd.")], got


def test_a_6941_export_whose_times_cannot_be_read_is_dated_when_read_not_at_the_epoch(
    tmp_path: Path,
) -> None:
    text = events_6941([(OID, WHO)], AT).decode()
    stamp = 'SystemTime="2026-07-01T06:00:00.0000000Z"'
    assert stamp in text
    path = tmp_path / "ev.xml"
    path.write_text(text.replace(stamp, 'SystemTime="garbage"'), encoding="utf-8")
    conf = config(tmp_path)
    before = datetime.now(UTC).replace(microsecond=0)
    replay(conf, "--tenant", "T", str(path))
    (ticket,) = open_tickets(conf)
    assert datetime.fromisoformat(ticket["first_seen"]) >= before, ticket


def test_an_export_read_before_keys_named_the_tenant_is_still_seen_under_that_tenant(
    tmp_path: Path,
) -> None:
    import hashlib
    import sqlite3

    conf = config(tmp_path)
    assert replay(conf, "--tenant", "Contoso", str(CS)).returncode == 0
    # As a ledger written before: the message known by the sha256 of its bytes alone.
    legacy = "sha256:" + hashlib.sha256(CS.read_bytes()).hexdigest()
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("UPDATE messages SET key = ?", (legacy,)).rowcount == 1
    again = replay(conf, "--tenant", "contoso", str(CS))
    assert "0 parsed, 0 rejected, 1 already seen" in again.stdout, again.stdout
    other = replay(conf, "--tenant", "Fabrikam", str(CS))
    assert "1 parsed, 0 rejected, 0 already seen" in other.stdout, other.stdout


def test_the_same_empty_csexport_written_by_each_run_counts_once_a_run(tmp_path: Path) -> None:
    # csexport of a clean connector space writes the same bytes every run: the file's
    # modification time tells the runs apart (and dates them); replaying it unchanged does not.
    import os

    conf = config(tmp_path, '[tenants]\ndefault = "T"\n')
    shutil.copyfile(CS, tmp_path / "a.xml")
    replay(conf, str(tmp_path / "a.xml"))
    assert len(open_tickets(conf)) == 7
    empty = tmp_path / "empty.xml"
    later = datetime.now(UTC).timestamp() - 4 * 3600  # past mtimes: a future one is capped
    for run_number in range(3):  # resolve_after_reports = 3
        empty.write_text('<?xml version="1.0"?>\n<cs-objects>\n</cs-objects>\n', "utf-8")
        os.utime(empty, (later + run_number * 3600, later + run_number * 3600))
        first = replay(conf, str(empty))
        assert "1 parsed" in first.stdout, (run_number, first.stdout)
        again = replay(conf, str(empty))
        assert "1 already seen" in again.stdout, (run_number, again.stdout)
    assert open_tickets(conf) == []


def test_export_errors_that_name_no_object_are_never_filed_as_tenant_level(
    tmp_path: Path,
) -> None:
    # Review rev32: a 6941 without its DN line, and a csexport object without cs-dn or
    # hologram, became "(tenant-level)" tickets of the whole tenant.
    dn = "CN={" + b"QU5O".hex().upper() + "}"
    events = events_6941([("QU5O", "a@contoso.com")], AT).decode()
    assert f"DN: {dn}\n" in events
    (tmp_path / "ev.xml").write_text(events.replace(f"DN: {dn}\n", ""), encoding="utf-8")
    cs = csexport([("QU5O", "a@contoso.com", "a@contoso.com")], AT).decode()
    nameless = cs.replace(f' cs-dn="{dn}"', "").replace(
        '<attr name="userPrincipalName"', '<attr name="description"'
    )
    assert nameless != cs
    (tmp_path / "cs.xml").write_text(nameless, encoding="utf-8")
    conf = config(tmp_path)
    done = replay(conf, "--tenant", "T", str(tmp_path / "ev.xml"), str(tmp_path / "cs.xml"))
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.count("not-an-error-export") == 2, done.stderr
    assert open_tickets(conf) == []

"""Copies of one export (CRLF, BOM, UTF-16) are one report, not several absences."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

from ..exportgen import csexport
from ..reportgen import duplicate, report_email
from .conftest import outcome

START = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
EMPTY = (ROOT / "fixtures" / "exports" / "csexport_empty_no_errors.xml").read_bytes()


def cfg(state: Path) -> Config:
    return Config.model_validate(
        {"state": {"path": str(state / "state.db")}, "tenants": {"default": "Contoso"}}
    )


def opening(tmp_path: Path) -> tuple[Config, datetime, Path]:
    """A configuration with its own state, the time now (whole seconds), an empty folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    return cfg(tmp_path / "s"), datetime.now(UTC).replace(microsecond=0), folder


def upn_mail(folder: Path, name: str, at: datetime, who: list[str]) -> Path:
    """A report email made ``at``, listing a duplicate UPN for each of ``who``."""
    path = folder / f"{name}.eml"
    rows = [(w, duplicate("UserPrincipalName", w)) for w in who]
    path.write_bytes(report_email("Contoso", at, rows, f"{name}@x"))
    return path


def dated(path: Path, when: datetime) -> Path:
    """``path`` with its mtime (and atime) set to ``when``: what dates a file without a time."""
    t = when.timestamp()
    os.utime(path, (t, t))
    return path


def ann_tickets(config: Config) -> list[dict[str, Any]]:
    """Ann's tickets, as ``outcome`` names them."""
    return [t for t in outcome(config)["tickets"].values() if "ann@" in t["summary"]]


def copies(data: bytes) -> dict[str, bytes]:
    text = data.decode("utf-8-sig")
    return {
        "lf.xml": text.replace("\r\n", "\n").encode(),
        "crlf.xml": text.replace("\r\n", "\n").replace("\n", "\r\n").encode(),
        "bom.xml": b"\xef\xbb\xbf" + text.encode(),
        "utf16.xml": text.encode("utf-16"),
    }


@pytest.mark.parametrize("kind", ["empty", "with-errors"])
def test_copies_of_one_export_in_one_run_count_as_one_absence(tmp_path: Path, kind: str) -> None:
    config = cfg(tmp_path / "s")
    first = tmp_path / "in" / "first.xml"
    first.parent.mkdir(parents=True)
    first.write_bytes(
        csexport(
            [
                ("QU5O", "ann@contoso.com", "ann@contoso.com"),
                ("Qk9C", "bob@contoso.com", "bob@contoso.com"),
            ],
            START,
        )
    )
    replay([first], config)
    data = (
        EMPTY
        if kind == "empty"
        else csexport([("Qk9C", "bob@contoso.com", "bob@contoso.com")], START + timedelta(days=1))
    )
    folder = tmp_path / "in" / "later"
    folder.mkdir()
    paths = []
    for name, body in copies(data).items():
        (folder / name).write_bytes(body)
        paths.append(dated(folder / name, START + timedelta(days=1)))
    summary = replay(paths, config)
    assert list(summary.problems) == [], summary.problems
    ann = ann_tickets(config)
    assert [t["status"] for t in ann] == ["open"], "copies of one export counted as 3+ absences"


def test_a_directory_walk_reads_exports_with_upper_case_extensions(tmp_path: Path) -> None:
    """Windows admins save `ERRORS.XML` / `App.EVTX`: a directory replay must not skip them
    silently."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ERRORS.XML").write_bytes(
        csexport([("QU5O", "ann@contoso.com", "ann@contoso.com")], START)
    )
    summary = replay([folder], cfg(tmp_path / "s"))
    assert summary.parsed == 1, (summary.parsed, summary.problems)


def test_empty_csexports_with_future_mtimes_do_not_hide_later_sightings(tmp_path: Path) -> None:
    """An empty csexport (no time of its own) is dated by its file's mtime. Files with a
    skewed mtime in the future (a share's clock, an archive) must not push the problem's
    resolution past every real report: a later report that shows ann again must reopen her
    ticket (or keep it open)."""
    config, now, folder = opening(tmp_path)
    replay([upn_mail(folder, "e1", now - timedelta(days=2), ["ann@contoso.com"])], config)
    for n in range(3):
        (folder / f"empty{n}.xml").write_bytes(EMPTY)
        replay([dated(folder / f"empty{n}.xml", datetime(2030, 1, 1 + n, tzinfo=UTC))], config)
    replay([upn_mail(folder, "e2", now - timedelta(hours=1), ["ann@contoso.com"])], config)
    ann = ann_tickets(config)
    assert any(t["status"] == "open" for t in ann), [(t["status"], t["summary"]) for t in ann]

"""A dry run as a person reads it: each write a sentence, no internal keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..reportgen import duplicate, report_email
from .test_cli import _state_config, run

START = datetime(2021, 5, 3, 9, tzinfo=UTC)
ANN = ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com"))
BOB = ("bob@contoso.com", duplicate("ProxyAddresses", "SMTP:bob@contoso.com"))


def _report(folder: Path, at: datetime, rows: list[tuple[str, str]], name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.eml").write_bytes(report_email("Contoso", at, rows, f"{name}@dry.test"))


def test_a_dry_run_says_what_it_would_do_in_sentences(tmp_path: Path) -> None:
    config = _state_config(tmp_path)
    mail = tmp_path / "mail"
    _report(mail, START, [ANN, BOB], "r0")
    assert run("--config", str(config), "replay", str(mail)).returncode == 0
    for n in range(1, 4):  # Ann absent from three reports: resolved
        _report(mail, START + timedelta(hours=3 * n), [BOB], f"r{n}")
    assert plan(config, mail) == [
        "would comment on LOCAL-1: resolved (absent from 3 reports)",
        "would resolve LOCAL-1",
    ]
    assert run("--config", str(config), "replay", str(mail)).returncode == 0
    _report(mail, START + timedelta(days=2), [BOB, ANN], "r4")  # back, within the window
    assert plan(config, mail) == [
        "would comment on LOCAL-1: reopened (seen again in the report of 2021-05-05)",
        "would reopen LOCAL-1",
    ]


def plan(config: Path, mail: Path) -> list[str]:
    """The writes a dry run lists."""
    done = run("--config", str(config), "replay", "--dry-run", str(mail))
    assert done.returncode == 0, done.stderr
    assert "put-comment" not in done.stdout and ":resolved:0" not in done.stdout
    listed = done.stdout.split("ticket writes:\n", 1)[1].split("\nmessages:", 1)[0]
    return [line.strip() for line in listed.splitlines()]

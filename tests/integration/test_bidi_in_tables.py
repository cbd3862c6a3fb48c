"""Bidi controls from a report shown escaped in the terminal tables, never obeyed.

`terminal.shown` escaped the C0/C1 controls and U+2028/9 but not the bidi marks, overrides
and isolates (U+202A-202E, U+2066-2069, U+200E/200F, U+061C): an identity
`\\u202emoc.lacol@fdp.exe` was drawn right-to-left ("exe.pdf@local.com") in the `tickets`,
`tickets show` and `parse` tables. The stored values and JSON keep them. (Hostile review
rev16; tenant names already have them taken out, docs/reliability.md.)
"""

from __future__ import annotations

import json
from pathlib import Path

from ..e2e.test_cli import run
from .test_csv_list_separator import RLO, hostile_report, replayed


def test_bidi_overrides_in_an_identity_are_escaped_in_the_tables(tmp_path: Path) -> None:
    config = replayed(tmp_path)
    for args in (("tickets",), ("tickets", "show", "LOCAL-3")):
        shown = run("--config", str(config), *args)
        assert shown.returncode == 0, shown.stderr
        assert "\u202e" not in shown.stdout, args  # was: the raw U+202E
        assert "\\u202emoc.lacol" in shown.stdout, args
    parsed = run("parse", str(hostile_report(tmp_path)))
    assert "\u202e" not in parsed.stdout
    assert "\\u202emoc.lacol@fdp.exe" in parsed.stdout


def test_json_keeps_the_bidi_override(tmp_path: Path) -> None:
    config = replayed(tmp_path)
    listed = run("--config", str(config), "tickets", "--format", "json")
    assert RLO in {t["identity"] for t in json.loads(listed.stdout)}

"""`tickets --format csv` opened where the list separator is `;` (Excel in de-DE, fr-FR...).

`csv_cell` marks a cell that *starts* like a formula, and `csv.writer` quotes only cells
holding `,`, `"` or a line break. Excel opens a `.csv` with the system's list separator: in
most of Europe a row of this comma-separated file is one field to it, its quotes plain text,
split at each `;`, so a cell `tax;=cmd|' /C calc'!A0` was two cells there, the second a
formula, unmarked. (Hostile review rev16.)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..conftest import ROOT
from ..e2e.test_cli import run

FIXTURE = ROOT / "fixtures" / "reports" / "aadsync_th_thead.eml"
DDE = "tax;=cmd|' /C calc'!A0;x"
RLO = "\u202emoc.lacol@fdp.exe"


def hostile_report(tmp_path: Path) -> Path:
    """The fixture report with one identity a ';' formula, another behind a bidi override."""
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("<td>tax@contosopharma.com</td>", f"<td>{DDE}</td>")
    text = text.replace(
        "<td>megan.bowen@contosopharma.com</td>", "<td>&#x202E;moc.lacol@fdp.exe</td>"
    )
    path = tmp_path / "h.eml"
    path.write_text(text, encoding="utf-8")
    return path


def replayed(tmp_path: Path) -> Path:
    """A config whose local store holds the tickets of ``hostile_report``."""
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n')
    done = run("--config", str(config), "replay", str(hostile_report(tmp_path)))
    assert done.returncode == 0, done.stderr
    return config


def test_csv_read_with_a_semicolon_separator_has_no_unmarked_formula_cell(tmp_path: Path) -> None:
    config = replayed(tmp_path)
    done = run("--config", str(config), "tickets", "--format", "csv")
    assert done.returncode == 0, done.stderr
    # Excel in a ';' locale: the file's own quoting honoured, cells split on ';'.
    cells = [cell for row in csv.reader(io.StringIO(done.stdout), delimiter=";") for cell in row]
    formulas = [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    # was: ["=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"]: the summary's and the identity's
    assert formulas == [], formulas
    # Read with ',' as written, the identity keeps every character, one ' added.
    rows = list(csv.DictReader(io.StringIO(done.stdout, newline="")))
    assert "tax;'=cmd|' /C calc'!A0;x" in {row["identity"] for row in rows}

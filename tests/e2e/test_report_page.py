"""``report --html`` opened in a real headless Chromium, offline: the charts drew, the table
holds the open tickets, a hostile identity is text, and a screenshot is kept.

The screenshot goes to the test's tmp dir and to ``tests/artifacts/report.png`` (gitignored),
for a person to look at after the run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ..conftest import REPORTS, ROOT
from ..reportgen import duplicate, report_email
from .browser import chromium

CLI = [sys.executable, "-m", "dirsync_bridge"]
ARTIFACT = ROOT / "tests" / "artifacts" / "report.png"
HOSTILE_IDENTITY = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>@contoso.com"
CHARTS = ("open-by-kind", "new-vs-resolved", "attributes", "domains", "time-to-resolve")
BLUE = (0x09, 0x69, 0xDA)
"""The first series' colour in every chart (``report/page.py``): pixels of it are data."""

# For each canvas: its size on screen, and how many of its pixels are in the first series'
# colour (data drawn, not only axes and grid lines).
MEASURE = """
const blue = arguments[0];
return Array.from(document.querySelectorAll("canvas")).map(function (canvas) {
  const box = canvas.getBoundingClientRect();
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0, series = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] === 0) { continue; }
    inked++;
    if (Math.abs(pixels[i] - blue[0]) < 12 && Math.abs(pixels[i + 1] - blue[1]) < 12
        && Math.abs(pixels[i + 2] - blue[2]) < 12) { series++; }
  }
  return {id: canvas.id, width: box.width, height: box.height, inked: inked, series: series};
});
"""


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        '[trust]\nforwarders = ["it-admin@contoso.com"]\n',
        encoding="utf-8",
    )
    return config


def hostile_report(folder: Path) -> Path:
    """A report whose identity and conflicting value are HTML and script."""
    folder.mkdir()
    path = folder / "hostile.eml"
    rows = [
        (
            HOSTILE_IDENTITY,
            duplicate("ProxyAddresses", "smtp:<b>bold</b>@evil.example"),
        )
    ]
    at = datetime(2021, 3, 1, 6, 0, tzinfo=UTC)
    path.write_bytes(report_email("Contoso", at, rows, "hostile-1@example.com"))
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The fixture corpus and a hostile report replayed, the page written; open tickets."""
    tmp_path = tmp_path_factory.mktemp("report")
    config = write_config(tmp_path)
    for source in (REPORTS, hostile_report(tmp_path / "hostile")):
        done = cli(config, "replay", str(source))
        assert done.returncode in (0, 1), done.stderr
    html = tmp_path / "report.html"
    done = cli(config, "report", "--html", str(html))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    listed = cli(config, "tickets", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    return html, json.loads(listed.stdout)


def test_the_page_renders_offline_in_chromium_with_charts_and_the_open_tickets(
    page: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    html, open_tickets = page
    with chromium() as driver:
        driver.get(html.as_uri())  # type: ignore[attr-defined]
        assert driver.execute_script("return document.body.dataset.charts") == "drawn"  # type: ignore[attr-defined]
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
        ARTIFACT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, ARTIFACT)
        measured = driver.execute_script(MEASURE, list(BLUE))  # type: ignore[attr-defined]
        rows = driver.execute_script(  # type: ignore[attr-defined]
            "return Array.from(document.querySelectorAll('#open-tickets tbody tr'))"
            ".map(r => Array.from(r.cells).map(c => c.textContent))"
        )
        table_box = driver.execute_script(  # type: ignore[attr-defined]
            "const b = document.getElementById('open-tickets').getBoundingClientRect();"
            "return [b.width, b.height];"
        )
        pwned = driver.execute_script("return window.pwned === undefined")  # type: ignore[attr-defined]
        injected = driver.execute_script(  # type: ignore[attr-defined]
            "return document.querySelectorAll('main img, main b, main script').length"
        )
        errors = [
            entry["message"]
            for entry in driver.get_log("browser")  # type: ignore[attr-defined]
            if entry["level"] == "SEVERE"
        ]
    assert shot.stat().st_size > 10_000  # a picture, not a blank page
    assert errors == []  # no script blocked by the page's policy, no load refused
    assert [m["id"] for m in measured] == list(CHARTS)
    for chart in measured:
        assert chart["width"] > 200 and chart["height"] > 100, chart
        assert chart["series"] > 200, chart  # bars or areas drawn in the data's colour
    assert table_box[0] > 0 and table_box[1] > 0
    assert sorted(row[0] for row in rows) == sorted(t["key"] for t in open_tickets)
    hostile = [row for row in rows if row[2] == HOSTILE_IDENTITY]
    assert len(hostile) == 1  # shown as the text it is
    assert pwned and injected == 0


def test_the_empty_page_says_so_in_chromium(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    html = tmp_path / "empty.html"
    done = cli(config, "report", "--html", str(html))
    assert done.returncode == 0, done.stderr
    with chromium(1000, 600) as driver:
        driver.get(html.as_uri())  # type: ignore[attr-defined]
        text = driver.execute_script("return document.getElementById('empty').textContent")  # type: ignore[attr-defined]
        canvases = driver.execute_script("return document.querySelectorAll('canvas').length")  # type: ignore[attr-defined]
    assert "no tickets yet" in text
    assert canvases == 0

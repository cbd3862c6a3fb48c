"""An export listing hundreds of thousands of errors: read in bounded memory (issue 12).

Every error a csexport or event-log export lists was held as a record (some 1.6 KB) until
the file was read: one ``cs-object`` of 500,000 ``<cd-error/>`` (5.5 MB) grew the parse by
about 770 MB, 100,000 minimal objects in error (7 MB) by about 175 MB. The errors now leave
the reader as compact rows, on disk past a few thousand (``export_rows``), and an object's
``cd-error``s are read as they end (``cd_errors``).

Memory is measured as in ``test_xml_safety``: the growth of a child process's peak resident
set (``VmHWM``) across what ``parse --format json`` does with the file (read, then its JSON
written a batch at a time), the file already in memory. The bound is the contract's: 5x the
file over the base. The JSON is written to a file and its errors counted: nothing is lost.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dirsync_bridge.parse import export_rows
from dirsync_bridge.parse.csexport import parse_csexport
from dirsync_bridge.parse.eventlog import parse_event_xml
from dirsync_bridge.parse.export_rows import ExportRow, Spool

from ..exportgen import connector_dn, csexport, events_6941

_CHILD = r"""
import json, sys
from pathlib import Path

def hwm_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

raw = Path(sys.argv[1]).read_bytes()
from dirsync_bridge.parse.detect import read_input
from dirsync_bridge.parse.message import ParseSettings
from dirsync_bridge.parse.tenants import TenantRules
from dirsync_bridge.parse.trust import TrustPolicy
import dirsync_bridge.parse.csexport, dirsync_bridge.parse.eventlog  # loaded before
before = hwm_kb()
result = read_input(
    raw, "big.xml", TrustPolicy(), ParseSettings(), TenantRules(default="contoso.onmicrosoft.com")
)
with open(sys.argv[2], "wb") as out:
    # What ``parse --format json`` writes: a report's errors a batch at a time.
    for chunk in (result.json_chunks() if hasattr(result, "json_chunks") else [result.to_json()]):
        out.write(chunk)
print(json.dumps({"grew_kb": hwm_kb() - before}))
"""

AT = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)
DN = connector_dn("QF5HMK7n80qvdYsUPIHa9Q==")


def _cd_errors(count: int) -> bytes:
    return (
        f'<cs-objects><cs-object cs-dn="{DN}" id="{{1}}" object-type="user">'
        '<export-errordetail date-occurred="2026-07-14 10:00:00.000"><export-status>'
        + "<cd-error/>" * count
        + "</export-status></export-errordetail></cs-object></cs-objects>"
    ).encode()


def _minimal_objects(count: int) -> bytes:
    return (
        "<cs-objects>"
        + "".join(
            f'<cs-object cs-dn="{connector_dn(f"{n:06d}")}"><export-errordetail/></cs-object>'
            for n in range(count)
        )
        + "</cs-objects>"
    ).encode()


def _parse_json(raw: bytes, tmp_path: Path) -> tuple[int, dict[str, object]]:
    path, out = tmp_path / "big.xml", tmp_path / "out.json"
    path.write_bytes(raw)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    grew: int = json.loads(done.stdout)["grew_kb"]
    report: dict[str, object] = json.loads(out.read_bytes())
    return grew, report


@pytest.mark.parametrize(
    ("raw", "count", "kind"),
    [
        (_cd_errors(500_000), 500_000, "Unknown"),
        (_minimal_objects(100_000), 100_000, "Unknown"),
    ],
    ids=["500,000 cd-errors in one object", "100,000 minimal objects"],
)
def test_an_export_of_hundreds_of_thousands_of_errors_is_read_in_bounded_memory(
    raw: bytes, count: int, kind: str, tmp_path: Path
) -> None:
    grew_kb, report = _parse_json(raw, tmp_path)
    assert report["status"] == "parsed", report
    errors = report["errors"]
    assert isinstance(errors, list) and len(errors) == count
    assert {e["kind"] for e in errors} == {kind}
    assert all(e["object_id"] for e in errors)
    # Measured: 15 MB and 3 MB (772 MB and 176 MB before).
    assert grew_kb < 5 * len(raw) // 1024, (grew_kb, len(raw))


def test_a_csexport_of_rows_on_disk_reads_as_the_same_report_as_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same file, its rows all in memory and almost all on disk: the same report.
    objects = [(f"id{n:05d}==", f"u{n}@contoso.com", f"v{n % 7}@contoso.com") for n in range(60)]
    raw = csexport(objects, AT)
    whole = parse_csexport(raw, "t.xml")
    monkeypatch.setattr(export_rows, "IN_MEMORY", 3)
    spooled = parse_csexport(raw, "t.xml")
    assert spooled.to_json() == whole.to_json()
    assert len(spooled.errors) == 60


def test_event_copies_are_merged_as_before_with_their_rows_on_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every object's event logged three times (the log repeats an error every cycle): one
    # record each, in first-appearance order, with the tracking id of its latest copy.
    monkeypatch.setattr(export_rows, "IN_MEMORY", 5)
    objects = [(f"id{n:05d}==", f"v{n}@contoso.com") for n in range(40)]
    parts = []
    for cycle in range(3):
        text = events_6941(objects, AT + timedelta(minutes=30 * cycle)).decode()
        tracking = f"00000000-0000-0000-0000-00000000000{cycle}"
        text = text.replace("Error Detail: ", f"Error Detail: Tracking Id: {tracking} ")
        parts.append(text.split("<Events>\n", 1)[1].rsplit("</Events>", 1)[0])
    raw = ("<Events>\n" + "".join(parts) + "</Events>\n").encode()
    report = parse_event_xml(raw, "t.xml")
    assert not hasattr(report, "code"), report
    assert [e.object_id for e in report.errors] == [o for o, _ in objects]  # type: ignore[union-attr]
    assert {e.tracking_id for e in report.errors} == {  # type: ignore[union-attr]
        "00000000-0000-0000-0000-000000000002"
    }
    assert report.sync_completed_at == AT + timedelta(minutes=60)  # type: ignore[union-attr]


def test_a_spool_that_cannot_write_keeps_its_rows_in_memory(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A full or read-only temporary directory costs memory, never the file's errors.
    monkeypatch.setattr(export_rows, "IN_MEMORY", 2)
    rows = [
        ExportRow("Unknown", False, f"u{n}", None, (), None, None, f"m{n}", None) for n in range(7)
    ]

    spool: Spool[ExportRow] = Spool(ExportRow)
    for row in rows[:3]:
        spool.append(row)  # two in memory, one on its way to disk
    assert spool[2] == rows[2]  # read: written first
    real = spool._file
    assert real is not None

    class Full:
        """The spool's file, once its disk is full: what is on it still reads."""

        def write(self, _data: bytes) -> int:
            raise OSError(28, "No space left on device")

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(spool, "_file", Full())
    for row in rows[3:]:
        spool.append(row)
    assert list(spool) == rows
    assert spool[2:6] == rows[2:6]
    assert spool[-1] == rows[-1]
    assert "No space left on device" in caplog.text

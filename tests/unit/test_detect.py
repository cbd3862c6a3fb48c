"""Inputs are told apart by content: names lie, bytes do not."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.detect import InputKind, detect, parse_input
from dirsync_bridge.parse.message import parse_message

from ..conftest import REPORTS, ROOT

EXPORTS = ROOT / "fixtures" / "exports"
EMAILS = sorted(REPORTS.glob("*.eml"))


def _expected_kind(path: Path) -> InputKind:
    if path.suffix == ".evtx":
        return "evtx"
    if path.name.startswith("csexport_"):
        return "csexport"
    if path.name.startswith("eventlog_"):
        return "eventlog-xml"
    return {
        "hostile_billion_laughs.xml": "csexport",
        "hostile_xxe_file.xml": "csexport",
        "hostile_external_dtd.xml": "csexport",
        "hostile_doctype_after_comment.xml": "csexport",
        "hostile_undefined_entity.xml": "csexport",
        "hostile_deep_nesting.xml": "csexport",
        "hostile_truncated_csexport.xml": "csexport",
        "hostile_xxe_parameter_entity.xml": "eventlog-xml",
        "hostile_utf16_xxe.xml": "eventlog-xml",
        "hostile_eventlog_no_root.xml": "eventlog-xml",
        "hostile_unknown_root.xml": "xml",
    }[path.name]


@pytest.mark.parametrize(
    "path",
    sorted(p for p in EXPORTS.iterdir() if p.suffix in (".xml", ".evtx")),
    ids=lambda p: p.name,
)
def test_every_export_fixture_is_recognised_by_its_content(path: Path) -> None:
    assert detect(path.read_bytes()) == _expected_kind(path)


@pytest.mark.parametrize("path", EMAILS, ids=lambda p: p.name)
def test_every_email_fixture_is_an_email_and_parses_exactly_as_before(
    path: Path, fixture_config: Config
) -> None:
    raw = path.read_bytes()
    assert detect(raw) == "email"
    routed = parse_input(raw, "x", fixture_config.trust, fixture_config.parse)
    direct = parse_message(raw, "x", fixture_config.trust, fixture_config.parse)
    assert routed == direct


def test_the_file_name_plays_no_part(fixture_config: Config) -> None:
    csexport = (EXPORTS / "csexport_several_objects_kinds.xml").read_bytes()
    evtx = (EXPORTS / "evtx_6941_reconstructed.evtx").read_bytes()
    as_eml = parse_input(csexport, "Directory Synchronization Error Report.eml")
    as_txt = parse_input(evtx, "errors.txt")
    assert isinstance(as_eml, Report) and as_eml.source_kind == "csexport"
    assert isinstance(as_txt, Report) and as_txt.source_kind == "eventlog"
    email = (REPORTS / "aadconnect_onprem_object_id.eml").read_bytes()
    as_xml = parse_input(email, "export.xml", fixture_config.trust)
    assert isinstance(as_xml, Report) and as_xml.source_kind == "email"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"", "email"),
        (b"From: a@b.c\r\nSubject: <cs-objects>\r\n\r\n<cs-objects/>", "email"),
        (b"Received: from x\r\n\r\n", "email"),
        (b"\x89PNG\r\n\x1a\n", "email"),
        (b"ElfFile\x00", "evtx"),
        (b"ElfFil", "email"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><cs-objects/>", "csexport"),
        (codecs.BOM_UTF16_LE + "<Events/>".encode("utf-16-le"), "eventlog-xml"),
        (b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'/>", "eventlog-xml"),
        (b"<!DOCTYPE lolz [<!ENTITY a 'b'>]><lolz/>", "xml"),
        (b"<?xml version='1.0'?>", "xml"),
        (b"<html><body>Directory Synchronization Error Report</body></html>", "xml"),
    ],
)
def test_kinds_by_content(raw: bytes, kind: InputKind) -> None:
    assert detect(raw) == kind


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"<html><body/></html>", "not-an-error-export"),
        (b"<!DOCTYPE lolz [<!ENTITY a 'b'>]><lolz>&a;</lolz>", "unsafe-xml"),
        (b"<?xml version='1.0'?>", "malformed-xml"),
    ],
)
def test_xml_of_no_known_kind_is_refused_with_no_source_kind(raw: bytes, code: str) -> None:
    result = parse_input(raw, "x.xml")
    assert isinstance(result, Rejected)
    assert (result.code, result.source_kind) == (code, None)
    assert result.to_json_dict()["source_kind"] is None


def test_reading_an_email_or_xml_does_not_load_the_evtx_extension() -> None:
    # parse must start fast (design.md section 8): the Rust extension loads for .evtx only.
    code = (
        "import sys\n"
        "from dirsync_bridge.parse.detect import parse_input\n"
        "parse_input(b'<cs-objects/>', 'x')\n"
        "parse_input(b'From: a@b.c\\r\\n\\r\\nx', 'y')\n"
        "assert 'evtx' not in sys.modules, 'loaded early'\n"
        "parse_input(b'ElfFile\\x00' + bytes(5000), 'z')\n"
        "assert 'evtx' in sys.modules, 'not loaded for evtx'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr

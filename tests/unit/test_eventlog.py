"""Event 6941 from wevtutil XML and .evtx files: the records, and the files refused."""

from __future__ import annotations

import importlib.util
import io
import sys
from datetime import UTC, datetime
from types import ModuleType

import pytest
from evtx import PyEvtxParser

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.eventlog import parse_event_xml, parse_evtx
from dirsync_bridge.parse.message import ParseSettings

from ..conftest import ROOT

EXPORTS = ROOT / "fixtures" / "exports"
REAL = EXPORTS / "real_application_no_6941.evtx"
BUILT = EXPORTS / "evtx_6941_reconstructed.evtx"
TOOLS = ROOT / "fixtures" / "tools"
NS = "http://schemas.microsoft.com/win/2004/08/events/event"

# VERBATIM, KB 2647098 (format.md 2.1): the two 6941 samples.
AVMBU_DETAIL = (
    "Unable to update this object because the following attributes associated with this object "
    "have values that may already be associated with another object in your local directory "
    "services: [UserPrincipalName john@contoso.com;]. Correct or remove the duplicate values in "
    "your local directory. Please refer to https://support.microsoft.com/kb/2647098 for more "
    "information on identifying objects with duplicate attribute values."
)
ISM_DETAIL = (
    "Unable to update this object because the following attributes associated with this object "
    "have values that may already be associated with another object in your local directory "
    "services: [ProxyAddresses SMTP:john@contoso.com;]. Correct or remove the duplicate values in "
    "your local directory."
)
DN = "CN={514635484D4B376E38307176645973555049486139513D3D}"  # QF5HMK7n80qvdYsUPIHa9Q==


def _event(
    text: str | None = None,
    *,
    data: tuple[str, ...] = (),
    event_id: int = 6941,
    provider: str = "ADSync",
    time: str = "2026-07-16T04:00:00.0000000Z",
) -> str:
    rendering = f"<RenderingInfo><Message>{text}</Message></RenderingInfo>" if text else ""
    datas = "".join(f"<Data>{d}</Data>" for d in data)
    return (
        f'<Event xmlns="{NS}"><System><Provider Name="{provider}"/>'
        f'<EventID Qualifiers="16384">{event_id}</EventID><TimeCreated SystemTime="{time}"/>'
        f"</System><EventData>{datas}</EventData>{rendering}</Event>"
    )


def _events(*events: str) -> bytes:
    return ("<Events>" + "".join(events) + "</Events>").encode()


def _report(raw: bytes) -> Report:
    result = parse_event_xml(raw, "test.xml")
    assert isinstance(result, Report), result
    return result


def _text(name: str, detail: str, *, dn: str = DN, order: str = "dn-first") -> str:
    head = "ECMA2 MA export run caused an error. \n\n"
    if order == "dn-first":
        return f"{head}DN: {dn}\nError Name: {name}\n\nError Detail: {detail}"
    return f"{head}Error Name: {name}\n\nError Detail: {detail}\nDN: {dn}"


@pytest.mark.parametrize("order", ["dn-first", "dn-last"])
def test_kb_2647098s_two_events_differ_only_by_their_stated_kind(order: str) -> None:
    report = _report(
        _events(
            _event(_text("AttributeValueMustBeUnique", AVMBU_DETAIL, order=order)),
            _event(_text("InvalidSoftMatch", ISM_DETAIL, order=order)),
        )
    )
    assert [(e.kind, e.kind_stated) for e in report.errors] == [
        ("AttributeValueMustBeUnique", True),
        ("InvalidSoftMatch", True),
    ]
    assert [e.object_id for e in report.errors] == ["QF5HMK7n80qvdYsUPIHa9Q=="] * 2
    assert [e.identity for e in report.errors] == [None, None]
    assert report.errors[0].message == AVMBU_DETAIL  # the DN line is not part of the detail
    assert [(c.attribute, c.values) for c in report.errors[1].conflicts] == [
        ("ProxyAddresses", ("SMTP:john@contoso.com",))
    ]


def test_a_multi_line_detail_keeps_its_tracking_id_out_of_the_message() -> None:
    detail = AVMBU_DETAIL + "\nTracking Id: 466344FE-A7C5-403E-8B0A-8621752AC178"
    (error,) = _report(_events(_event(_text("AttributeValueMustBeUnique", detail)))).errors
    assert error.tracking_id == "466344fe-a7c5-403e-8b0a-8621752ac178"
    assert error.message == AVMBU_DETAIL


def test_the_rendered_message_wins_over_the_insertion_strings() -> None:
    event = _event(_text("LargeObject", "The provisioned object is too large."), data=("junk",))
    (error,) = _report(_events(event)).errors
    assert error.kind == "LargeObject"


def test_label_less_insertion_strings_are_recognised_by_their_shape() -> None:
    event = _event(data=("InvalidSoftMatch", ISM_DETAIL, DN))
    (error,) = _report(_events(event)).errors
    assert (error.kind, error.kind_stated, error.object_id) == (
        "InvalidSoftMatch",
        True,
        "QF5HMK7n80qvdYsUPIHa9Q==",
    )
    assert error.message == ISM_DETAIL


def test_text_with_no_fields_is_kept_as_unknown() -> None:
    (error,) = _report(_events(_event(data=("Something went wrong.", DN)))).errors
    assert (error.kind, error.message, error.object_id) == (
        "Unknown",
        "Something went wrong.",
        "QF5HMK7n80qvdYsUPIHa9Q==",
    )


@pytest.mark.parametrize(
    "event",
    [
        _event(data=("Something", "went wrong.")),
        _event(""),  # a 6941 with no text at all
        _event("Error Name: AttributeValueMustBeUnique\nError Detail: " + AVMBU_DETAIL),
    ],
)
def test_an_event_that_names_no_object_is_left_out_never_tenant_level(
    event: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Review rev32: a 6941 without a DN was filed with neither identity nor object id, a
    # "(tenant-level)" ticket of the whole tenant, as an on-premises DN used to be.
    alone = parse_event_xml(_events(event), "ev.xml")
    assert isinstance(alone, Rejected), alone
    assert alone.code == "not-an-error-export" and "\n" not in alone.reason
    with caplog.at_level("WARNING"):
        report = _report(_events(event, _event(_text("LargeObject", "Too large."))))
    assert [e.object_id for e in report.errors] == ["QF5HMK7n80qvdYsUPIHa9Q=="]
    assert "1 event(s) 6941 left out" in caplog.text


def test_only_adsync_6941_events_count_and_only_their_times() -> None:
    report = _report(
        _events(
            _event(
                _text("LargeObject", "The provisioned object is too large."),
                time="2026-07-16T04:00:00Z",
            ),
            _event("Other", event_id=6100, time="2026-07-16T09:00:00Z"),
            _event(
                _text("LargeObject", "x"),
                provider="FIMSynchronizationService",
                time="2026-07-16T09:00:00Z",
            ),
            _event(_text("LargeObject", "y"), provider="adsync", time="2026-07-16T05:00:00.5Z"),
        )
    )
    assert len(report.errors) == 2
    assert report.sync_completed_at == datetime(2026, 7, 16, 5, 0, 0, 500000, tzinfo=UTC)
    assert (report.source_kind, report.complete, report.tenant) == ("eventlog", False, None)


def test_a_repeated_error_is_one_record_with_the_latest_tracking_id_whatever_the_order() -> None:
    def repeat(tracking: str, time: str) -> str:
        detail = AVMBU_DETAIL + f"\nTracking Id: {tracking}"
        return _event(_text("AttributeValueMustBeUnique", detail), time=time)

    late = "22222222-2222-4222-8222-222222222222"
    early = "11111111-1111-4111-8111-111111111111"
    for events in [
        (repeat(early, "2026-07-16T04:00:00Z"), repeat(late, "2026-07-16T04:30:00Z")),
        (repeat(late, "2026-07-16T04:30:00Z"), repeat(early, "2026-07-16T04:00:00Z")),
    ]:
        (error,) = _report(_events(*events)).errors
        assert error.tracking_id == late


def test_errors_of_different_objects_are_not_merged() -> None:
    other = "CN={783456306961654236304B58786A66746377643748773D3D}"
    report = _report(
        _events(
            _event(_text("AttributeValueMustBeUnique", AVMBU_DETAIL)),
            _event(_text("AttributeValueMustBeUnique", AVMBU_DETAIL, dn=other)),
        )
    )
    assert [e.object_id for e in report.errors] == [
        "QF5HMK7n80qvdYsUPIHa9Q==",
        "x4V0iaeB60KXxjftcwd7Hw==",
    ]


def test_an_export_without_6941_is_an_empty_incomplete_report() -> None:
    report = _report(_events(_event("Started.", event_id=904)))
    assert (report.errors, report.complete, report.sync_completed_at) == ((), False, None)


def test_several_event_documents_without_a_root_name_the_missing_option() -> None:
    one = _event(_text("LargeObject", "The provisioned object is too large."))
    result = parse_event_xml((one + one).encode(), "x.xml")
    assert isinstance(result, Rejected)
    assert result.code == "malformed-xml" and "/e:Events" in result.detail


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty"),
        (b"<cs-objects/>", "not-an-error-export"),
        (b"<Events><Event>", "malformed-xml"),
        (b'<!DOCTYPE Events SYSTEM "http://x/y.dtd"><Events/>', "unsafe-xml"),
    ],
)
def test_event_xml_that_is_refused(raw: bytes, code: str) -> None:
    result = parse_event_xml(raw, "x.xml")
    assert isinstance(result, Rejected)
    assert (result.code, result.source_kind) == (code, "eventlog")


def test_the_real_evtx_holds_17_records_and_no_6941() -> None:
    # What the golden file's empty report rests on: the file is read, not skipped.
    records = list(PyEvtxParser(io.BytesIO(REAL.read_bytes()), number_of_threads=1).records())
    assert len(records) == 17
    assert not [r for r in records if ">6941</EventID>" in r["data"]]
    report = parse_evtx(REAL.read_bytes(), "real.evtx")
    assert isinstance(report, Report)
    assert (report.errors, report.complete, report.source_kind) == ((), False, "eventlog")


def test_the_reconstructed_evtx_gives_its_6941_records() -> None:
    report = parse_evtx(BUILT.read_bytes(), "built.evtx")
    assert isinstance(report, Report)
    assert [e.kind for e in report.errors] == [
        "AttributeValueMustBeUnique",
        "ObjectTypeMismatch",
        "DeletingCloudOnlyObjectNotAllowed",
    ]
    assert report.sync_completed_at == datetime(2026, 7, 16, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"", "ElfFile"),
        (b"MZ\x90\x00" + bytes(5000), "ElfFile"),
        (b"ElfFile\x00" + bytes(100), "no whole header"),
        (REAL.read_bytes()[:4096], "counts 1 chunk(s) but only 4096 bytes"),
        (REAL.read_bytes()[:-1], "truncated"),
    ],
)
def test_an_evtx_that_is_not_whole_is_refused_with_what_is_wrong(raw: bytes, needle: str) -> None:
    result = parse_evtx(raw, "x.evtx")
    assert isinstance(result, Rejected)
    assert result.code == "malformed-evtx"
    assert needle in result.detail and "\n" not in result.reason


def test_a_damaged_chunk_gives_the_librarys_reason_on_one_line() -> None:
    raw = bytearray(REAL.read_bytes())
    raw[4096 + 600 : 4096 + 700] = b"\xff" * 100
    result = parse_evtx(bytes(raw), "x.evtx")
    assert isinstance(result, Rejected)
    assert result.code == "malformed-evtx"
    assert "damaged" in result.detail and "\n" not in result.reason


def test_an_evtx_over_max_message_bytes_is_refused_before_it_is_read() -> None:
    raw = BUILT.read_bytes()
    result = parse_evtx(raw, "x.evtx", ParseSettings(max_message_bytes=len(raw) - 1))
    assert isinstance(result, Rejected) and result.code == "too-large"


def _writer() -> ModuleType:
    # The fixtures' evtx writer (fixtures/tools), loaded by path: it is not a package.
    spec = importlib.util.spec_from_file_location("evtx_writer", TOOLS / "evtx_writer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["evtx_writer"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_a_control_character_in_an_events_text_costs_that_character_not_the_file() -> None:
    writer = _writer()
    detail = "The provisioned object is too large.\x0f Trim the number of attribute values."
    text = _text("LargeObject", detail).replace("\n", "\r\n")
    event = writer.Event(
        "ADSync", 6941, 16384, 2, datetime(2026, 7, 16, tzinfo=UTC), "AADC01", (text,)
    )
    report = parse_evtx(writer.write_evtx([event]), "x.evtx")
    assert isinstance(report, Report), report
    (error,) = report.errors
    assert error.kind == "LargeObject"
    assert (
        error.message
        == "The provisioned object is too large.\ufffd Trim the number of attribute values."
    )


def test_a_chunk_whose_checksum_fails_is_refused_not_half_read() -> None:
    # A byte of the chunk header's unused area: without checksums the library reads on as if
    # nothing happened, and a damaged chunk could silently lose records.
    raw = bytearray(BUILT.read_bytes())
    raw[4096 + 60] ^= 0xFF
    result = parse_evtx(bytes(raw), "x.evtx")
    assert isinstance(result, Rejected), result
    assert result.code == "malformed-evtx" and "damaged" in result.detail


def test_an_event_whose_dn_is_an_on_premises_dn_is_left_out_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from ..exportgen import events_6941

    dn = "CN={" + b"QU5O".hex().upper() + "}"
    text = events_6941([("QU5O", "a@contoso.com"), ("Qk9C", "b@contoso.com")], AT_6941).decode()
    first, rest = text.split("</Event>", 1)  # the first event's DN, in its data and text
    raw = (first.replace(dn, "CN=Ann,OU=Users,DC=contoso,DC=com") + "</Event>" + rest).encode()
    with caplog.at_level("WARNING"):
        report = parse_event_xml(raw, "ev.xml")
    assert isinstance(report, Report)
    assert [e.object_id for e in report.errors] == ["Qk9C"]
    assert "1 event(s) 6941 left out" in caplog.text and "CN=Ann,OU=Users" in caplog.text
    alone = parse_event_xml(
        events_6941([("QU5O", "a@contoso.com")], AT_6941).decode().replace(dn, "CN=Ann").encode(),
        "ev.xml",
    )
    assert isinstance(alone, Rejected) and alone.code == "not-an-error-export"
    assert "CN=Ann" in alone.reason and "\n" not in alone.reason


AT_6941 = datetime(2026, 7, 1, tzinfo=UTC)


def test_one_damaged_chunk_of_several_is_skipped_and_said_the_others_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import struct
    import zlib

    raw = BUILT.read_bytes()
    header, chunk = bytearray(raw[:4096]), raw[4096:]
    struct.pack_into("<H", header, 42, 2)  # two chunks: a damaged copy, then the good one
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    damaged = bytearray(chunk)
    damaged[60] ^= 0xFF
    with caplog.at_level("WARNING"):
        result = parse_evtx(bytes(header) + bytes(damaged) + chunk, "x.evtx")
    assert isinstance(result, Report), result
    expected = parse_evtx(raw, "x.evtx")
    assert isinstance(expected, Report) and result.errors == expected.errors
    assert result.complete is False
    assert "1 of 2 chunk(s) of the .evtx file damaged and skipped" in caplog.text
    assert "CRC32" in caplog.text

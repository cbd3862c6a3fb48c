"""csexport /f:e files: the record each error becomes, and the files refused."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from dirsync_bridge.config.settings import Config
from dirsync_bridge.fingerprint import fingerprint, object_key
from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.csexport import parse_csexport
from dirsync_bridge.parse.export_records import immutable_id_from_dn, parse_time, read_extra_details
from dirsync_bridge.parse.message import ParseSettings, parse_message

from ..conftest import REPORTS, ROOT

EXPORTS = ROOT / "fixtures" / "exports"
KINDS = EXPORTS / "csexport_several_objects_kinds.xml"


def _report(raw: bytes, settings: ParseSettings | None = None) -> Report:
    result = parse_csexport(raw, "test.xml", settings)
    assert isinstance(result, Report), result
    return result


def _rejected(raw: bytes, settings: ParseSettings | None = None) -> Rejected:
    result = parse_csexport(raw, "test.xml", settings)
    assert isinstance(result, Rejected), result
    return result


def _file(*objects: str) -> bytes:
    return ("<cs-objects>" + "".join(objects) + "</cs-objects>").encode()


def _object(
    cd_error: str, *, dn: str = "", upn: str | None = "a@contoso.com", when: str = ""
) -> str:
    hologram = (
        '<synchronized-hologram><entry><attr name="userPrincipalName">'
        f"<value>{upn}</value></attr></entry></synchronized-hologram>"
        if upn
        else ""
    )
    dn_attr = f' cs-dn="{dn}"' if dn else ""
    when_attr = f' date-occurred="{when}"' if when else ""
    return (
        f"<cs-object{dn_attr}><export-errordetail{when_attr}><export-status><cd-error>"
        f"{cd_error}</cd-error></export-status></export-errordetail>{hologram}</cs-object>"
    )


DUP_PROXY = (
    "Unable to update this object because the following attributes associated with this object "
    "have values that may already be associated with another object in your local directory "
    "services: [ProxyAddresses SMTP:a@contoso.com;]. Correct or remove the duplicate values in "
    "your local directory."
)
OTM = (
    "An object with the same proxy address already exists in Azure Active Directory but is of an "
    "incompatible object type (object classes: contact, group, or user). Correct this issue in "
    "the local directory services or in Azure Active Directory and try again."
)


@pytest.mark.parametrize(
    ("dn", "immutable_id"),
    [
        # VERBATIM: reference-connect-adsynctools.md, ConvertFrom-ADSyncToolsAadDistinguishedName.
        ("CN={514635484D4B376E38307176645973555049486139513D3D}", "QF5HMK7n80qvdYsUPIHa9Q=="),
        # tshoot-connect-sync-errors.md's export error record (format.md 2.1).
        ("CN={783456306961654236304B58786A66746377643748773D3D}", "x4V0iaeB60KXxjftcwd7Hw=="),
        ("cn={783456306961654236304b58786a66746377643748773d3d}", "x4V0iaeB60KXxjftcwd7Hw=="),
        ("CN=John Smith,OU=Staff,DC=contoso,DC=com", None),
        ("CN={0A0B}", None),  # not printable text
        ("CN={ZZ}", None),
        (None, None),
    ],
)
def test_the_connector_space_dn_decodes_to_the_immutable_id(
    dn: str | None, immutable_id: str | None
) -> None:
    assert immutable_id_from_dn(dn) == immutable_id


def test_object_id_is_the_id_the_emails_object_id_column_shows(fixture_config: Config) -> None:
    # The same objects in an email (On-premises object ID column) and in a csexport file.
    email = parse_message(
        (REPORTS / "aadconnect_onprem_object_id.eml").read_bytes(),
        "email",
        fixture_config.trust,
    )
    export = _report(KINDS.read_bytes())
    assert isinstance(email, Report)
    by_identity = {e.identity: e for e in export.errors}
    shared = [e for e in email.errors if e.identity in by_identity]
    assert len(shared) == 3
    for from_email in shared:
        from_export = by_identity[from_email.identity]
        assert from_export.object_id == from_email.object_id
        # Same object, same family, same tenant: one problem, one ticket, whatever the source.
        assert fingerprint("Contoso", from_export.family, object_key(from_export)) == fingerprint(
            "Contoso", from_email.family, object_key(from_email)
        )
    large = [e for e in export.errors if e.kind == "LargeObject"]
    assert [e.object_id for e in large] == [
        e.object_id for e in email.errors if e.kind == "LargeObject"
    ]


def test_the_holders_object_id_is_kept_for_the_ticket_but_not_in_the_json() -> None:
    report = _report(KINDS.read_bytes())
    holders = [e.holder_object_id for e in report.errors]
    assert holders[:3] == [
        "7505ed65-e7f5-4dca-9f78-2617a247f047",
        "9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    ]
    assert holders[4:] == [None, None, None]
    dumped = json.dumps(report.to_json_dict())
    assert "holder_object_id" not in dumped and "7505ed65" not in dumped


def test_report_time_is_the_latest_date_occurred_and_the_report_is_complete() -> None:
    report = _report(
        _file(
            _object(DUP_PROXY, when="2026-07-16 04:00:00.000"),
            _object(DUP_PROXY, upn="b@contoso.com", when="2026-07-16 05:30:00.999"),
            _object(DUP_PROXY, upn="c@contoso.com", when="2026-07-16 05:00:00.000"),
            _object(DUP_PROXY, upn="d@contoso.com", when="not a date"),
        )
    )
    assert report.sync_completed_at == datetime(2026, 7, 16, 5, 30, 0, 999000, tzinfo=UTC)
    assert report.sent_at is None and report.tenant is None
    assert (report.source_kind, report.complete) == ("csexport", True)
    assert len(report.errors) == 4


def _extra(**pairs: list[str]) -> str:
    return (
        "<extra-error-details>"
        + json.dumps([{"Key": k, "Value": v} for k, v in pairs.items()])
        + "</extra-error-details>"
    )


def test_extra_details_fill_a_conflict_the_text_names_without_values() -> None:
    cd = (
        f"<error-name>ObjectTypeMismatch</error-name><error-literal>{OTM}</error-literal>"
        + _extra(
            AttributeConflictName=["ProxyAddresses"],
            AttributeConflictValues=["smtp:tax@contoso.com"],
        )
    )
    (error,) = _report(_file(_object(cd))).errors
    assert [(c.attribute, c.values) for c in error.conflicts] == [
        ("ProxyAddresses", ("smtp:tax@contoso.com",))
    ]


def test_extra_details_add_an_attribute_the_text_does_not_name() -> None:
    legacy = (
        "Unable to update this object in Microsoft Online Services because the following "
        "attributes associated with this object have values that may already be associated with "
        "another object in your local directory."
    )
    cd = (
        f"<error-name>AttributeValueMustBeUnique</error-name><error-literal>{legacy}</error-literal>"
        # VERBATIM values of the ErrorExtraDetails sample (live-sources.md 4.1).
        + _extra(
            ObjectId=["677e2ead-14e8-4e18-9b25-49d5c75472f1"],
            ObjectIdInConflict=["7505ed65-e7f5-4dca-9f78-2617a247f047"],
            AttributeConflictName=["SipProxyAddress"],
            AttributeConflictValues=["user@domain.com"],
        )
    )
    (error,) = _report(_file(_object(cd))).errors
    assert [(c.attribute, c.values) for c in error.conflicts] == [
        ("SipProxyAddress", ("user@domain.com",))
    ]
    assert error.holder_object_id == "7505ed65-e7f5-4dca-9f78-2617a247f047"


def test_the_bracket_list_stays_when_it_already_names_the_attribute_with_values() -> None:
    cd = (
        f"<error-name>AttributeValueMustBeUnique</error-name><error-literal>{DUP_PROXY}</error-literal>"
        + _extra(
            AttributeConflictName=["proxyaddresses"], AttributeConflictValues=["a@contoso.com"]
        )
    )
    (error,) = _report(_file(_object(cd))).errors
    assert [(c.attribute, c.values) for c in error.conflicts] == [
        ("ProxyAddresses", ("SMTP:a@contoso.com",))
    ]


def test_conflicts_are_not_added_to_kinds_that_carry_none() -> None:
    cd = (
        "<error-name>LargeObject</error-name><error-literal>The provisioned object is too large."
        "</error-literal>"
        + _extra(AttributeConflictName=["ProxyAddresses"], AttributeConflictValues=["x"])
    )
    (error,) = _report(_file(_object(cd))).errors
    assert error.kind == "LargeObject" and error.conflicts == ()


def test_invalid_attribute_name_fills_what_the_text_leaves_out() -> None:
    cd = (
        "<error-name>DataValidationFailed</error-name>"
        "<error-literal>The value of an attribute is not valid.</error-literal>"
        + _extra(InvalidAttributeName=["UserPrincipalName"])
    )
    (error,) = _report(_file(_object(cd))).errors
    assert (error.kind, error.kind_stated, error.invalid_attribute) == (
        "DataValidationFailed",
        True,
        "UserPrincipalName",
    )


def test_a_name_that_is_no_catalogue_kind_leaves_the_text_to_decide() -> None:
    cd = f"<error-name>SomethingNew</error-name><error-literal>{DUP_PROXY}</error-literal>"
    (error,) = _report(_file(_object(cd))).errors
    assert (error.kind, error.kind_stated) == ("AttributeValueMustBeUnique", False)


def test_a_stated_kind_wins_over_the_text() -> None:
    cd = f"<error-name>InvalidSoftMatch</error-name><error-literal>{DUP_PROXY}</error-literal>"
    (error,) = _report(_file(_object(cd))).errors
    assert (error.kind, error.kind_stated) == ("InvalidSoftMatch", True)
    assert error.conflicts[0].values == ("SMTP:a@contoso.com",)


def test_one_record_per_cd_error_in_file_order() -> None:
    two = (
        f"<error-literal>{DUP_PROXY}</error-literal></cd-error><cd-error>"
        "<error-name>LargeObject</error-name><error-literal>The provisioned object is too large."
        "</error-literal>"
    )
    report = _report(_file(_object(two), _object(f"<error-literal>{OTM}</error-literal>")))
    assert [e.kind for e in report.errors] == [
        "AttributeValueMustBeUnique",
        "LargeObject",
        "ObjectTypeMismatch",
    ]


def test_an_empty_file_of_cs_objects_is_a_complete_report_with_no_errors() -> None:
    report = _report(b'<?xml version="1.0"?>\n<cs-objects/>')
    assert report.errors == () and report.complete and report.sync_completed_at is None


@pytest.mark.parametrize(
    "raw",
    [
        b"<cs-objects><foo/></cs-objects>",
        b"<cs-objects>\n  <foo/>\n  <bar>text</bar>\n</cs-objects>",
        b'<cs-objects xmlns="urn:x"><x:cs-objectz xmlns:x="urn:y"/></cs-objects>',
        b"<cs-objects><!-- a comment --><connector-space><objects/></connector-space></cs-objects>",
    ],
    ids=["one-unknown", "two-unknown", "a-near-name", "a-wrapper-of-no-object"],
)
def test_a_root_holding_only_unknown_elements_is_refused_not_an_empty_report(raw: bytes) -> None:
    """Read as "no errors", such a file resolved every open csexport problem of the tenant
    after ``resolve_after_reports`` (left by reviews)."""
    rejected = _rejected(raw)
    assert rejected.code == "not-an-error-export", rejected
    assert "/f:e" in rejected.detail and "\n" not in rejected.reason


@pytest.mark.parametrize(
    "raw",
    [
        b"<cs-objects>csexport: access to the connector space was denied</cs-objects>",
        b'<cs-objects><![CDATA[<cs-object id="{1}" cs-dn="CN={AB}"/>]]></cs-objects>',
        b"<cs-objects>\n  <!-- c -->&#160;\n</cs-objects>",
    ],
    ids=["text", "cdata", "nbsp"],
)
def test_a_root_holding_only_text_is_refused_not_an_empty_report(raw: bytes) -> None:
    """Text or CDATA in the root and not one element is no export with nothing failed
    either: read as "no errors", it resolved every open csexport problem (review rev35)."""
    rejected = _rejected(raw)
    assert rejected.code == "not-an-error-export", rejected
    assert "/f:e" in rejected.detail and "\n" not in rejected.reason


@pytest.mark.parametrize(
    "raw",
    [
        b"<cs-objects/>",
        b"<cs-objects></cs-objects>",
        b"<cs-objects>\n  \n</cs-objects>",
        b"<cs-objects><!-- nothing failed --></cs-objects>",
        b"<cs-objects><?pi x?>\n</cs-objects>",
    ],
)
def test_an_empty_root_with_blanks_or_comments_stays_an_empty_complete_report(raw: bytes) -> None:
    report = _report(raw)
    assert report.errors == () and report.complete


def test_objects_in_an_unknown_wrapper_or_beside_unknown_elements_are_read() -> None:
    one = _object("<error-literal>" + DUP_PROXY + "</error-literal>")
    wrapped = _report(_file("<wrapper>" + one + "</wrapper>"))
    beside = _report(_file("<foo/>", one, "<bar/>"))
    assert len(wrapped.errors) == 1 and len(beside.errors) == 1


def test_objects_without_export_errors_are_refused_with_the_command_to_run() -> None:
    rejected = _rejected(_file("<cs-object><unapplied-export/></cs-object>"))
    assert rejected.code == "not-an-error-export"
    assert "/f:e" in rejected.detail and "\n" not in rejected.reason


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"<Events/>", "not-an-error-export"),
        (b"not xml at all", "malformed-xml"),
        (b"<cs-objects><cs-object>", "malformed-xml"),
        (b'<!DOCTYPE cs-objects [<!ENTITY a "b">]><cs-objects/>', "unsafe-xml"),
    ],
)
def test_what_is_refused_and_why(raw: bytes, code: str) -> None:
    rejected = _rejected(raw)
    assert rejected.code == code
    assert rejected.source_kind == "csexport"
    assert rejected.to_json_dict()["complete"] is False


def test_a_file_over_max_message_bytes_is_refused_before_it_is_read() -> None:
    raw = KINDS.read_bytes()
    rejected = _rejected(raw, ParseSettings(max_message_bytes=len(raw) - 1))
    assert rejected.code == "too-large"
    assert _report(raw, ParseSettings(max_message_bytes=len(raw))).errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-10-20 23:51:28.000", datetime(2021, 10, 20, 23, 51, 28, tzinfo=UTC)),
        ("2021-10-20 23:51:28", datetime(2021, 10, 20, 23, 51, 28, tzinfo=UTC)),
        ("2026-07-16T04:00:00.123456789Z", datetime(2026, 7, 16, 4, 0, 0, 123456, tzinfo=UTC)),
        ("2026-07-16T06:00:00+02:00", datetime(2026, 7, 16, 4, 0, 0, tzinfo=UTC)),
        ("2026-07-16T06:00:00+0200", datetime(2026, 7, 16, 4, 0, 0, tzinfo=UTC)),
        ("2026-02-30 00:00:00", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_times_are_read_as_utc(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"Key":"ObjectIdInConflict","Value":["x"]}]', {"ObjectIdInConflict": ("x",)}),
        # Typographic quotes, as the timmcmic blog renders the payload (format.md 2.1).
        (
            "[{\u201cKey\u201d:\u201dInvalidAttributeName\u201d,\u201dValue\u201d:[\u201cNone\u201d]}]",
            {"InvalidAttributeName": ("None",)},
        ),
        ('{"Key":"A","Value":"one"}', {"A": ("one",)}),
        ('[{"Key":"A","Value":[null," ",1]}, 3, {"Value":["x"]}]', {"A": ("1",)}),
        ("N/A", {}),
        ("", {}),
        (None, {}),
    ],
)
def test_extra_error_details_are_read_leniently(
    text: str | None, expected: dict[str, tuple[str, ...]]
) -> None:
    assert read_extra_details(text) == expected


def test_another_connectors_export_is_refused_but_one_odd_dn_is_not() -> None:
    ad = _object(
        f"<error-literal>{DUP_PROXY}</error-literal>", dn="CN=A,OU=Staff,DC=contoso,DC=com"
    )
    aad = _object(
        f"<error-literal>{DUP_PROXY}</error-literal>",
        dn="CN={514635484D4B376E38307176645973555049486139513D3D}",
    )
    rejected = _rejected(_file(ad))
    assert rejected.code == "not-an-error-export" and "another connector" in rejected.detail
    assert len(_report(_file(ad, aad)).errors) == 2
    assert len(_report(_file(_object(f"<error-literal>{DUP_PROXY}</error-literal>"))).errors) == 1


def test_an_error_naming_no_object_is_left_out_never_a_tenant_level_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Review rev32: a cs-object with an export error but no CN={hex} cs-dn, no
    # userPrincipalName, mail or sourceAnchor named nothing, and was ticketed as the whole
    # tenant's "(tenant-level)" problem. It is left out, said in a warning, and the file's
    # other objects are read (refusing the file for it would keep every other error of
    # every day's export from being ticketed); a file of nothing else is refused.
    nameless = _object(f"<error-literal>{DUP_PROXY}</error-literal>", upn=None)
    named = _object(
        f"<error-literal>{DUP_PROXY}</error-literal>",
        dn="CN={514635484D4B376E38307176645973555049486139513D3D}",
    )
    rejected = _rejected(_file(nameless))
    assert rejected.code == "not-an-error-export", rejected
    assert "name no object" in rejected.detail and "\n" not in rejected.reason
    on_prem = _object(
        f"<error-literal>{DUP_PROXY}</error-literal>", dn="CN=A,OU=Staff,DC=x", upn=None
    )
    for raw in (_file(named, nameless), _file(on_prem, named)):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            report = _report(raw)
        assert [e.object_id for e in report.errors] == ["QF5HMK7n80qvdYsUPIHa9Q=="], report
        assert "1 cs-object(s) with export errors left out" in caplog.text, caplog.text


def test_a_cs_object_nested_in_another_does_not_erase_the_outer_ones_errors() -> None:
    # Review rev36: the inner cs-object, done with as it ended, had its earlier siblings
    # dropped for memory: the outer object's export-errordetail and hologram. The outer was
    # then read with no errors, and the file, complete, resolved its open problem by absence.
    outer = _object(f"<error-literal>{DUP_PROXY}</error-literal>", upn="a@contoso.com")
    outer = outer.replace("</cs-object>", '<cs-object id="inner"/></cs-object>')
    other = _object(f"<error-literal>{DUP_PROXY}</error-literal>", upn="b@contoso.com")
    report = _report(_file(outer, other))
    assert sorted(e.identity or "" for e in report.errors) == ["a@contoso.com", "b@contoso.com"]


def _in(namespace_prefix: str, text: str, *names: str) -> str:
    """``text`` with the elements ``names`` put in namespace ``urn:other`` by a prefix."""
    for name in names:
        text = text.replace(f"<{name}>", f"<{namespace_prefix}:{name}>")
        text = text.replace(f"<{name} ", f"<{namespace_prefix}:{name} ")
        text = text.replace(f"</{name}>", f"</{namespace_prefix}:{name}>")
    return text


_ONE = _object(f"<error-literal>{DUP_PROXY}</error-literal>", upn="a@contoso.com")
_DECLARED = ' xmlns:x="urn:other"'


def _declared(objects: str) -> bytes:
    """A plain ``<cs-objects>`` declaring the prefix ``x``, holding ``objects``."""
    return f"<cs-objects{_DECLARED}>{objects}</cs-objects>".encode()


_X_DN = _ONE.replace("<cs-object", '<cs-object x:cs-dn="CN={41}"')


@pytest.mark.parametrize(
    "raw",
    [
        b'<x:cs-objects xmlns:x="urn:other"/>',
        b'<cs-objects xmlns="urn:other"/>',
        b'<?xml version="1.0"?>\n<x:cs-objects xmlns:x="urn:other">\n</x:cs-objects>',
        f"<x:cs-objects{_DECLARED}>{_in('x', _ONE, 'cs-object')}</x:cs-objects>".encode(),
        f'<cs-objects xmlns="urn:other">{_ONE}</cs-objects>'.encode(),
        _declared(_in("x", _ONE, "cs-object")),
        _declared(_ONE + _in("x", _ONE, "export-errordetail")),
        _declared(_in("x", _ONE, "error-literal", "cd-error")),
        _declared(_X_DN),
        _declared(_ONE.replace("<attr name=", "<attr x:name=")),
        # Names in parts of an object its reader drops as it streams (review rev40): they
        # were read as csexport's own, the object's errors filed.
        _declared(
            _ONE.replace("</entry>", '<attr name="member"><x:value>v</x:value></attr></entry>')
        ),
        _declared(_ONE.replace("</entry>", '<attr name="member" x:name="m"/></entry>')),
        _declared(_ONE.replace("</cs-object>", "<junk><x:export-errordetail/></junk></cs-object>")),
        _declared(
            _ONE.replace(
                "</cs-object>",
                "<synchronized-hologram><x:entry/></synchronized-hologram></cs-object>",
            )
        ),
        _declared(_ONE.replace("</error-literal>", "<x:cd-error/></error-literal>")),
        _declared(_ONE.replace("</error-literal>", "<x:cd-error/></error-literal>"))
        .decode()
        .encode("utf-16"),
    ],
    ids=[
        "prefixed-empty-root",
        "default-namespace-empty-root",
        "prefixed-root-of-blanks",
        "prefixed-root-and-objects",
        "default-namespace-with-objects",
        "prefixed-object-in-a-plain-root",
        "prefixed-error-detail-beside-a-plain-one",
        "prefixed-cd-error",
        "prefixed-cs-dn-attribute",
        "prefixed-name-attribute-of-an-attr",  # dropped unread as it streams: seen as it starts
        "prefixed-value-of-an-attr-not-read",
        "prefixed-name-beside-a-plain-one-not-read",
        "prefixed-error-detail-in-junk",
        "prefixed-entry-in-a-second-hologram",
        "prefixed-cd-error-in-an-error-text",
        "prefixed-cd-error-in-an-error-text-utf-16",  # its "xmlns" is not b"xmlns"
    ],
)
def test_csexport_names_in_a_namespace_are_refused_never_read_as_a_complete_report(
    raw: bytes,
) -> None:
    """A real csexport file uses no XML namespace (reference/live-sources.md 4.1). Its
    names in one are another vocabulary's: ``<x:cs-objects xmlns:x="...">`` was read as a
    complete empty report, resolving every open csexport problem (left by reviews), and a
    namespaced ``cs-object`` or ``export-errordetail`` was read as csexport's own."""
    rejected = _rejected(raw)
    assert rejected.code == "not-an-error-export", rejected
    assert "urn:other" in rejected.detail and "/f:e" in rejected.detail
    assert "\n" not in rejected.reason


_UTF7_XMLNS = "+AHgAbQBsAG4Acw-"  # "xmlns" in UTF-7's base64 form
_XML_DN = _ONE.replace("<cs-object", '<cs-object xml:cs-dn="CN={41}"')


@pytest.mark.parametrize(
    "raw",
    [
        f"<cs-objects>{_in('xml', _ONE, 'cs-object')}</cs-objects>".encode(),
        f"<cs-objects>{_ONE}{_in('xml', _ONE, 'export-errordetail')}</cs-objects>".encode(),
        f"<cs-objects>{_XML_DN}</cs-objects>".encode(),
        (
            '<?xml version="1.0" encoding="UTF-7"?>'
            f'<cs-objects {_UTF7_XMLNS}:x="urn:other">{_in("x", _ONE, "cs-object")}</cs-objects>'
        ).encode(),
    ],
    ids=["xml-prefixed-object", "xml-prefixed-error-detail", "xml-prefixed-dn", "utf-7-xmlns"],
)
def test_csexport_names_in_a_namespace_no_xmlns_bytes_declare_are_refused(raw: bytes) -> None:
    """The namespace look ran only on a file holding "xmlns" in UTF-8, -16 or -32 (review
    rev41): the prefix ``xml`` is bound in every document without a declaration, and UTF-7
    spells "xmlns" in base64; either file was read as a complete report."""
    rejected = _rejected(raw)
    assert rejected.code == "not-an-error-export", rejected
    assert "namespace" in rejected.detail and "/f:e" in rejected.detail


def test_unknown_elements_and_attributes_in_a_namespace_are_still_ignored() -> None:
    # Only csexport's own names are refused in a namespace: someone's extension beside them
    # says nothing about the errors, as any unknown element.
    one = _ONE.replace("<export-errordetail", '<x:note x:id="1">hi</x:note><export-errordetail')
    one = one.replace("<cs-object", '<cs-object x:origin="z"')
    report = _report(_declared("<x:meta/>" + one))
    assert [e.identity for e in report.errors] == ["a@contoso.com"]

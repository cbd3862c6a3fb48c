"""One ``cs-object`` holding a million elements: read in bounded memory (review rev32).

Each ``cs-object`` used to be held whole, every descendant included, until it ended: a
group whose ``member`` attribute lists a million DNs, or an object padded with junk, made
a 24 MB file take 816 MB. Only what the reader reads of an object is now kept as it
streams; the rest is dropped as it ends, at any depth. The same for an ``<Event>`` of a
wevtutil export, read the same way.

Memory is measured as in ``test_xml_safety``: the growth of the child process's peak
resident set (``VmHWM``) across the parse, the file already read into memory. The bound
is the file's size once more (the contract allows 5x the largest message over the base):
what is read of the object is a few hundred bytes, so nothing but a leak of what is not
read comes near it (measured: about 2.5 MB; 136 to 604 MB before, with one object kept
whole).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from dirsync_bridge.models import Report
from dirsync_bridge.parse import csexport
from dirsync_bridge.parse.xml_reads import EVERYTHING
from dirsync_bridge.parse.xml_safety import iter_elements

from ..exportgen import events_6941
from .test_xml_safety import _peak_growth

SIZE = 24_000_000
AT = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)
DN = "CN={514635484D4B376E38307176645973555049486139513D3D}"
LITERAL = (
    "Unable to update this object because the following attributes associated with this "
    "object have values that may already be associated with another object in your local "
    "directory services: [Mail g@contoso.com;]. Correct or remove the duplicate values in "
    "your local directory."
)
DETAIL = (
    '<export-errordetail date-occurred="2026-07-14 10:00:00.000"><export-status><cd-error>'
    "<error-name>AttributeValueMustBeUnique</error-name>"
    f"<error-literal>{LITERAL}</error-literal></cd-error></export-status></export-errordetail>"
)


def _group(entry: str, *, head: str = "", detail: str = DETAIL, tail: str = "") -> str:
    return (
        f'<cs-object cs-dn="{DN}" id="{{1}}" object-type="group">{head}{detail}'
        f"<synchronized-hologram><entry>{entry}</entry></synchronized-hologram>{tail}"
        "</cs-object>"
    )


def _file(*objects: str) -> bytes:
    return ("<cs-objects>" + "".join(objects) + "</cs-objects>").encode()


def _million(item: str) -> str:
    return item * 1_000_000


MAIL = '<attr name="mail"><value>g@contoso.com</value></attr>'
HUGE = {
    # A group's member list: a million DNs, in an attribute that is never read.
    "member": _group(
        MAIL
        + '<attr name="member" multivalued="true">'
        + _million("<dn>CN=m,OU=x,DC=con</dn>")
        + "</attr>"
    ),
    # Junk straight in the object, and junk nested in junk (two million elements).
    "junk": _group(MAIL, head=_million('<j a="xxxxxxxxxxxxxxx"/>')),
    "nested junk": _group(MAIL, tail="<w>" + _million('<v><j b="xxxxxxxx"/></v>') + "</w>"),
    # A million values of an attribute that is read: its first value is the one read.
    "read attribute": _group(
        MAIL.replace("</attr>", _million("<value>x@con.com</value>") + "</attr>")
    ),
    # A million empty copies of a read attribute before the one holding the value.
    "empty copies": _group(_million('<attr name="mail" a=""/>') + MAIL),
    # A million error names in one cd-error: the first is the one read.
    "error names": _group(
        MAIL,
        detail=DETAIL.replace(
            "</error-literal>", "</error-literal>" + _million("<error-name>x</error-name>")
        ),
    ),
    # A million elements inside the error text (<pii> tags not in CDATA): its text is read.
    "inside the text": _group(
        MAIL,
        detail=DETAIL.replace(
            "</error-literal>", _million('<pii a="xxxxxxxxxxxxx"/>') + "</error-literal>"
        ),
    ),
    # A million more holograms: the first of each name is the one read.
    "holograms": _group(MAIL, tail=_million("<synchronized-hologram/>")),
}


@pytest.mark.parametrize("case", sorted(HUGE))
def test_one_cs_object_of_a_million_elements_is_read_in_bounded_memory(
    case: str, tmp_path: Path
) -> None:
    path = tmp_path / "big.xml"
    raw = _file(HUGE[case])
    path.write_bytes(raw)
    assert len(raw) >= SIZE  # the file is as large as said
    result = _peak_growth("safe-json", path)
    report = result["outcome"]
    assert isinstance(report, dict) and report["status"] == "parsed", report
    # The object is read, not left out: its error is there, named by its mail.
    assert [e["identity"] for e in report["errors"]] == ["g@contoso.com"], report
    assert [e["kind"] for e in report["errors"]] == ["AttributeValueMustBeUnique"]
    assert isinstance(result["grew_kb"], int) and result["grew_kb"] < SIZE // 1024, result


def test_what_is_not_read_is_gone_from_the_object_its_reader_gets() -> None:
    raw = _file(
        _group(
            '<attr name="member"><dn>CN=m</dn></attr><attr name="mail"><value/></attr>'
            + MAIL
            + '<attr name="mail"><value>h@contoso.com</value></attr>',
            head="<j><k/></j>",
            tail="<synchronized-hologram><entry/></synchronized-hologram><mv-link/>",
        )
    )
    kept, value = [], None
    for element in iter_elements(raw, "cs-object", len(raw), reads=csexport.READS):
        kept.append([(etree.QName(e).localname, e.get("name")) for e in element.iter()])
        value = element.findtext("synchronized-hologram/entry/attr/value")
    assert kept == [
        [
            ("cs-object", None),
            ("export-errordetail", None),
            ("export-status", None),
            ("cd-error", None),
            ("error-name", None),
            ("error-literal", None),
            ("synchronized-hologram", None),
            ("entry", None),
            ("attr", "mail"),
            ("value", None),
        ]
    ]
    assert value == "g@contoso.com"


def test_elements_inside_an_error_text_are_read_as_their_text_as_before() -> None:
    # A <pii> tag not in CDATA (as the emails have it), elements in it, text around them.
    literal = LITERAL.replace("[Mail ", "[Mail <pii>").replace(";]", "</pii>;]")
    literal = literal.replace("Unable", "<i>Un<b>a</b>b<b/></i>le")
    raw = _file(_group(MAIL, detail=DETAIL.replace(LITERAL, literal)))
    for reads in (csexport.READS, EVERYTHING):
        with mock.patch.object(csexport, "READS", reads):
            report = csexport.parse_csexport(raw, "t.xml")
        assert isinstance(report, Report), report
        assert [e.message for e in report.errors] == [LITERAL]


_TEXTS = st.sampled_from(
    [
        *("", " ", "g@contoso.com", "h@contoso.com", "N/A", "AttributeValueMustBeUnique"),
        *(LITERAL, "2026-07-14 10:00:00", '[{"Key":"ObjectIdInConflict","Value":["x"]}]'),
    ]
)
_ATTRIBUTES = {
    "cs-object": ["", f' cs-dn="{DN}"', ' cs-dn="CN=A,DC=x"', ' id="{2}"'],
    "export-errordetail": ["", ' date-occurred="2026-07-15 10:00:00"', ' error-type="x"'],
    "attr": [f' name="{n}"' for n in ("userPrincipalName", "mail", "MAIL", "sourceAnchor", "m")],
}
_FIELD = ("pii", "j")
_CHILDREN = {  # what each holds, the parts of the format more often than junk (j)
    "cs-object": (
        *("export-errordetail", "synchronized-hologram", "pending-import-hologram"),
        *("export-errordetail", "synchronized-hologram", "j", "cs-object"),
    ),
    "export-errordetail": ("date-occurred", "error-type", "export-status", "cd-error", "j"),
    "export-status": ("cd-error", "cd-error", "j"),
    "cd-error": (
        *("error-name", "error-literal", "server-error-detail", "extra-error-details"),
        "j",
    ),
    "synchronized-hologram": ("entry", "entry", "j"),
    "pending-import-hologram": ("entry", "entry", "j"),
    "entry": ("attr", "attr", "attr", "j"),
    "attr": ("value", "value", "j"),
}


@cache
def _element(name: str, depth: int) -> st.SearchStrategy[str]:
    """XML of an element ``name``: attributes, text, children and their tails, drawn from
    what a csexport object holds and junk (``j``), nested ``depth`` deep at most."""
    inner: st.SearchStrategy[list[tuple[str, str]]] = st.just([])
    if depth:
        kids = [_element(kid, depth - 1) for kid in _CHILDREN.get(name, _FIELD)]
        least = 1 if name in _CHILDREN else 0  # a field of the format often holds text alone
        inner = st.lists(st.tuples(st.one_of(kids), _TEXTS), min_size=least, max_size=3)
    return st.builds(
        lambda attributes, text, children: (
            f"<{name}{attributes}>{text}"
            + "".join(child + tail for child, tail in children)
            + f"</{name}>"
        ),
        st.sampled_from(_ATTRIBUTES.get(name, [""])),
        _TEXTS,
        inner,
    )


@settings(max_examples=200, deadline=None)
@given(objects=st.lists(_element("cs-object", 6), min_size=1, max_size=3))
def test_an_object_read_as_it_streams_is_read_as_it_was_when_kept_whole(
    objects: list[str],
) -> None:
    """The oracle: whatever a file's objects hold, reading only what is read of them gives
    the very result (report or rejection) that holding them whole gave."""
    raw = _file(*objects)
    pruned = csexport.parse_csexport(raw, "t.xml").to_json_dict()
    with mock.patch.object(csexport, "READS", EVERYTHING):
        whole = csexport.parse_csexport(raw, "t.xml").to_json_dict()
    assert pruned == whole


EVENT = events_6941([("QF5HMK7n80qvdYsUPIHa9Q==", "g@contoso.com")], AT).decode()
HUGE_EVENTS = {
    # The same for an <Event> of a wevtutil export: junk in it, in its System, its message.
    "junk": EVENT.replace("</System>", "</System>" + _million('<j a="xxxxxxxxxxxxxxx"/>')),
    "in System": EVENT.replace("</System>", _million('<j a="xxxxxxxxxxxxxxx"/>') + "</System>"),
    "in the message": EVENT.replace(
        "</Message>", _million('<b a="xxxxxxxxxxxxxxx"/>') + "</Message>"
    ),
    "more messages": EVENT.replace(
        "</Message>", "</Message>" + _million("<Message>xxxxx</Message>")
    ),
}


@pytest.mark.parametrize("case", sorted(HUGE_EVENTS))
def test_one_event_of_a_million_elements_is_read_in_bounded_memory(
    case: str, tmp_path: Path
) -> None:
    path = tmp_path / "big.xml"
    raw = HUGE_EVENTS[case].encode()
    path.write_bytes(raw)
    assert len(raw) >= SIZE
    result = _peak_growth("safe-json", path)
    report = result["outcome"]
    assert isinstance(report, dict) and report["status"] == "parsed", report
    assert [e["object_id"] for e in report["errors"]] == ["QF5HMK7n80qvdYsUPIHa9Q=="], report
    assert [e["kind"] for e in report["errors"]] == ["AttributeValueMustBeUnique"]
    assert isinstance(result["grew_kb"], int) and result["grew_kb"] < SIZE // 1024, result

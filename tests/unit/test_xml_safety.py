"""Untrusted XML: what is refused, why, and at what cost in memory.

Memory is measured in a child process (its peak resident set, ``VmHWM`` in
/proc/self/status, before and after the parse), never time. A control run that expands the
entity (by hand: libxml2 2.14 itself refuses this much amplification) shows the measurement
sees a blow-up when there is one, so a small figure for the real parser means something.
"""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from dirsync_bridge.parse import xml_safety
from dirsync_bridge.parse.xml_safety import (
    PROLOG_WINDOW,
    XmlRefused,
    check,
    iter_elements,
    parse_document,
    read_prolog,
)

from ..conftest import ROOT

EXPORTS = ROOT / "fixtures" / "exports"
MAX = 25 * 1024 * 1024

# One 25 kB entity used 2,000 times: 50 MB of text once expanded (the "quadratic blow-up").
QUADRATIC = (
    '<?xml version="1.0"?>\n<!DOCTYPE cs-objects [<!ENTITY a "' + "a" * 25_000 + '">]>\n'
    "<cs-objects><cs-object><x>" + "&a;" * 2000 + "</x></cs-object></cs-objects>\n"
).encode()

_CHILD = r"""
import json, re, sys
from pathlib import Path

def hwm_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

raw = Path(sys.argv[2]).read_bytes()
from lxml import etree
from dirsync_bridge.parse.detect import parse_input
before = hwm_kb()
if sys.argv[1] == "naive":
    # What a parser that expands the entity ends up holding.
    text = raw.decode()
    value = re.search(r'<!ENTITY a "([^"]*)">', text).group(1)
    body = re.sub(r"<!DOCTYPE.*?\]>", "", text, flags=re.S).replace("&a;", value)
    tree = etree.fromstring(body.encode(), etree.XMLParser(huge_tree=True))
    outcome = f"expanded {len(tree.findtext('.//x'))}"
elif sys.argv[1] == "options-only":
    # The lxml options without the prolog scan in front of them.
    from dirsync_bridge.parse.xml_safety import _SAFE
    try:
        tree = etree.fromstring(raw, etree.XMLParser(**_SAFE))
        outcome = f"kept {len(''.join(t for t in tree.itertext() if isinstance(t, str)))}"
    except etree.XMLSyntaxError:
        outcome = "refused by libxml2"
else:
    answer = parse_input(raw, sys.argv[2]).to_json_dict()
    outcome = answer if sys.argv[1] == "safe-json" else answer["reason"]
print(json.dumps({"grew_kb": hwm_kb() - before, "outcome": outcome}))
"""


def _peak_growth(mode: str, path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(
    "name",
    ["hostile_billion_laughs.xml", "hostile_xxe_file.xml", "hostile_utf16_xxe.xml", "quadratic"],
)
def test_entity_attacks_are_refused_with_bounded_memory(name: str, tmp_path: Path) -> None:
    path = EXPORTS / name
    if name == "quadratic":
        path = tmp_path / "quadratic.xml"
        path.write_bytes(QUADRATIC)
    result = _peak_growth("safe", path)
    assert str(result["outcome"]).startswith("unsafe-xml:")
    assert isinstance(result["grew_kb"], int) and result["grew_kb"] < 16 * 1024, result


@pytest.mark.parametrize("name", ["hostile_billion_laughs.xml", "quadratic"])
def test_the_parser_options_alone_keep_memory_bounded(name: str, tmp_path: Path) -> None:
    # The second wall: were the prolog scan ever bypassed, lxml still expands nothing.
    path = EXPORTS / name
    if name == "quadratic":
        path = tmp_path / "quadratic.xml"
        path.write_bytes(QUADRATIC)
    result = _peak_growth("options-only", path)
    # libxml2 2.14 refuses the amplification outright; older ones keep the references.
    assert result["outcome"] in ("kept 0", "refused by libxml2")
    assert isinstance(result["grew_kb"], int) and result["grew_kb"] < 16 * 1024, result


def test_the_memory_measure_sees_an_expansion_when_one_happens(tmp_path: Path) -> None:
    # The control: the same file, its entity expanded, grows the process by 50 MB and more.
    path = tmp_path / "quadratic.xml"
    path.write_bytes(QUADRATIC)
    result = _peak_growth("naive", path)
    assert result["outcome"] == "expanded 50000000"
    assert isinstance(result["grew_kb"], int) and result["grew_kb"] > 48 * 1024, result


def test_the_parser_options_alone_expand_nothing_and_read_no_file() -> None:
    # The second wall, without the prolog scan in front of it: an internal entity stays a
    # reference and an external one is never read.
    parser = etree.XMLParser(**xml_safety._SAFE)
    doc = (
        b'<!DOCTYPE a [<!ENTITY x "EXPANDED"><!ENTITY f SYSTEM "file:///etc/passwd">]>'
        b"<a><b>&x;</b><c>&f;</c></a>"
    )
    root = etree.fromstring(doc, parser)
    text = "".join(t for t in root.itertext() if isinstance(t, str))
    assert "EXPANDED" not in text
    assert "root:" not in text
    assert root.getroottree().docinfo.internalDTD is not None  # what the third wall checks


@pytest.mark.parametrize(
    "doc",
    [
        b'<!DOCTYPE cs-objects SYSTEM "x.dtd"><cs-objects/>',
        b'<?xml version="1.0"?>\n<!-- c -->\n<?pi x?>\n<!DOCTYPE cs-objects><cs-objects/>',
        b'\xef\xbb\xbf<!DOCTYPE Events [<!ENTITY e "x">]><Events/>',
        codecs.BOM_UTF16_BE + '<!DOCTYPE Events [<!ENTITY e "x">]><Events/>'.encode("utf-16-be"),
        '<!DOCTYPE Events [<!ENTITY e "x">]><Events/>'.encode("utf-16-le"),
        b"<!ELEMENT cs-objects ANY><cs-objects/>",
    ],
)
def test_any_markup_declaration_before_the_root_is_unsafe(doc: bytes) -> None:
    with pytest.raises(XmlRefused) as refused:
        check(doc, MAX)
    assert refused.value.code == "unsafe-xml"


def test_a_dtd_hidden_past_the_scan_window_is_refused() -> None:
    doc = (
        b"<?xml version='1.0'?><!--"
        + b"x" * PROLOG_WINDOW
        + b'--><!DOCTYPE a [<!ENTITY e "x">]><a/>'
    )
    with pytest.raises(XmlRefused) as refused:
        check(doc, len(doc))
    assert refused.value.code == "unsafe-xml"
    assert "first" in refused.value.detail


def test_size_is_checked_before_anything_is_read() -> None:
    with pytest.raises(XmlRefused) as refused:
        check(b"<cs-objects/>" + b" " * 100, 100)
    assert refused.value.code == "too-large"
    assert "max_message_bytes (100)" in refused.value.detail


def test_a_text_node_over_libxml2s_limit_is_refused_because_huge_tree_is_off() -> None:
    doc = b"<cs-objects><cs-object><x>" + b"a" * 10_000_001 + b"</x></cs-object></cs-objects>"
    with pytest.raises(XmlRefused) as refused:
        list(iter_elements(doc, "cs-object", MAX))
    assert refused.value.code == "malformed-xml"


@pytest.mark.parametrize(
    ("raw", "root"),
    [
        (b"<cs-objects/>", "cs-objects"),
        (
            b'<?xml version="1.0" encoding="utf-8"?>\r\n<!-- <Events> -->\n<cs-objects>',
            "cs-objects",
        ),
        (b"\xef\xbb\xbf<Events>", "Events"),
        (codecs.BOM_UTF16_LE + "<?xml version='1.0'?><Events/>".encode("utf-16-le"), "Events"),
        ("<Events/>".encode("utf-16-be"), "Events"),
        (b"<ns:Event xmlns:ns='urn:x'/>", "Event"),
        (b"  \n<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>", "Event"),
    ],
)
def test_the_prolog_scan_finds_the_root(raw: bytes, root: str) -> None:
    prolog = read_prolog(raw)
    assert prolog is not None and prolog.root == root and not prolog.dtd


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n",
        b"From: a@b.c\r\nSubject: x\r\n\r\n<cs-objects/>",
        b"\x89PNG\r\n",
        b"ElfFile\x00",
    ],
)
def test_what_does_not_start_like_xml_is_not_xml(raw: bytes) -> None:
    assert read_prolog(raw) is None


def test_xml_cut_inside_its_prolog_has_no_root() -> None:
    prolog = read_prolog(b'<?xml version="1.0"?>\n<!-- cut')
    assert prolog is not None and prolog.root is None
    with pytest.raises(XmlRefused) as refused:
        check(b'<?xml version="1.0"?>\n<!-- cut', MAX)
    assert refused.value.code == "malformed-xml"


@pytest.mark.parametrize(
    ("head", "item", "tail"),
    [
        (b"<cs-objects>", b"<j/>", b"</cs-objects>"),  # no cs-object at all
        (b"<cs-objects>", b"<w><cs-object/></w>", b"</cs-objects>"),  # each one wrapped
        (b"<Events>", b"<j/>", b"</Events>"),
        # Review rev34: one wrapper around them held them all again (429 MB for 12 MB).
        (b"<cs-objects><w>", b"<j/>", b"</w></cs-objects>"),
        (b"<Events><w><v>", b"<j/>", b"</v></w></Events>"),
    ],
)
def test_elements_that_are_not_read_are_dropped_too(
    head: bytes, item: bytes, tail: bytes, tmp_path: Path
) -> None:
    # Review rev32: only the elements asked for were dropped, so a 24 MB <cs-objects> of
    # six million other elements held 800 MB (34 times the file) until it ended.
    path = tmp_path / "many.xml"
    path.write_bytes(head + item * (6 * 1024 * 1024 // len(item)) + tail)
    result = _peak_growth("safe", path)
    assert isinstance(result["grew_kb"], int) and result["grew_kb"] < 48 * 1024, result


def test_elements_are_streamed_and_dropped_once_read() -> None:
    doc = (
        b"<cs-objects>"
        + b"".join(b"<cs-object n='%d'><x/></cs-object>" % i for i in range(5))
        + b"</cs-objects>"
    )
    seen = []
    for element in iter_elements(doc, "cs-object", MAX):
        seen.append((element, element.get("n"), len(element)))
    assert [(n, size) for _e, n, size in seen] == [(str(i), 1) for i in range(5)]
    # Once the caller moved on, each element was emptied and all but the last detached.
    assert all(len(element) == 0 for element, _n, _s in seen)
    assert [element.getparent() is None for element, _n, _s in seen] == [True] * 4 + [False]


def test_a_truncated_document_is_refused_after_the_elements_it_did_hold() -> None:
    doc = b"<cs-objects><cs-object n='1'/><cs-object n='2'/><cs-obj"
    read = []
    with pytest.raises(XmlRefused) as refused:
        for element in iter_elements(doc, "cs-object", MAX):
            read.append(element.get("n"))
    assert read == ["1", "2"]
    assert refused.value.code == "malformed-xml"
    assert "cut short" in refused.value.detail and "\n" not in refused.value.detail


def test_parse_document_refuses_what_check_refuses() -> None:
    with pytest.raises(XmlRefused) as refused:
        parse_document(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', MAX)
    assert refused.value.code == "unsafe-xml"
    assert parse_document(b"<a><b>c</b></a>", MAX).findtext("b") == "c"

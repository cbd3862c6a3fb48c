"""Hostile export files: whatever the mutation, a Report or a Rejected, never an exception.

Like test_robustness.py for emails: Hypothesis's ``deadline`` bounds the time per input,
and the parsers' last-resort guard (a detail ending in "could not be read (<Exception>)")
must never fire: every mutation has to be handled by the real checks.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from dirsync_bridge.models import Rejected, Report
from dirsync_bridge.parse.detect import parse_input

from ..conftest import ROOT

pytestmark = pytest.mark.slow  # property and crash tests: `make test-fast` skips them

EXPORTS = ROOT / "fixtures" / "exports"
XML_SEEDS = [p.read_bytes() for p in sorted(EXPORTS.glob("*.xml"))]
GOOD_XML = [
    p.read_bytes()
    for p in sorted(EXPORTS.glob("*.xml"))
    if p.name.startswith(("csexport_", "eventlog_")) and b"UTF-16" not in p.read_bytes()[:200]
]
EVTX_SEEDS = [
    (EXPORTS / name).read_bytes()
    for name in ("evtx_6941_reconstructed.evtx", "real_application_no_6941.evtx")
]
SCALE = int(os.environ.get("DIRSYNC_FUZZ_SCALE", "1"))
COMMON = settings(
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Texts that mean something to the parsers, dropped where a value goes.
MEANINGFUL = [
    "CN={514635484D4B376E38307176645973555049486139513D3D}",
    "CN={ZZ}",
    "CN={00}",
    "AttributeValueMustBeUnique",
    "IdentityDataValidationFailed",
    "DN: CN={41}\nError Name: LargeObject\nError Detail: [x y;]",
    "Error Detail:",
    '[{"Key":"ObjectIdInConflict","Value":[null]}]',
    '[{"Key":"AttributeConflictName","Value":["ProxyAddresses"]},{"Key":"AttributeConflictValues","Value":[]}]',
    "[ProxyAddresses ;]",
    "Tracking Id: 00000000-0000-0000-0000-000000000000",
    "2026-13-45 99:99:99.000",
    "9999-12-31T23:59:59.9999999Z",
    "6941",
    "",
    "\u202e\ufffd",
]


def _check(raw: bytes) -> None:
    result = parse_input(raw, "fuzz.bin")
    assert isinstance(result, Report | Rejected)
    if isinstance(result, Rejected):
        assert "could not be read (" not in result.detail, result.detail
        assert "\n" not in result.reason
    result.to_json_dict()


def _mutate(seed: bytes, edits: list[tuple[float, int, bytes]], start: int = 0) -> bytes:
    data = bytearray(seed)
    for where, op, chunk in edits:
        at = start + int(where * (len(data) - start))
        if op == 0:
            data[at : at + len(chunk)] = chunk
        elif op == 1:
            data[at:at] = chunk
        elif op == 2:
            del data[at : at + 1 + len(chunk) * 50]
        else:
            del data[at:]
    return bytes(data)


EDITS = st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 3), st.binary(min_size=0, max_size=8)), max_size=8
)


@settings(COMMON, max_examples=400 * SCALE)
@given(seed=st.sampled_from(XML_SEEDS), edits=EDITS)
def test_xml_byte_mutations(seed: bytes, edits: list[tuple[float, int, bytes]]) -> None:
    _check(_mutate(seed, edits))


@settings(COMMON, max_examples=300 * SCALE)
@given(seed=st.sampled_from(EVTX_SEEDS), edits=EDITS, records_only=st.booleans())
def test_evtx_byte_mutations(
    seed: bytes, edits: list[tuple[float, int, bytes]], records_only: bool
) -> None:
    # Half the time only the records (past the file and chunk headers) are hit, so the
    # binary XML reader is reached rather than stopped at a header.
    _check(_mutate(seed, edits, start=4096 + 512 if records_only else 0))


@settings(COMMON, max_examples=300 * SCALE)
@given(
    seed=st.sampled_from(GOOD_XML),
    rng=st.randoms(use_true_random=False),
    texts=st.lists(st.sampled_from(MEANINGFUL) | st.text(max_size=40), min_size=1, max_size=6),
)
def test_xml_structure_mutations(seed: bytes, rng: random.Random, texts: list[str]) -> None:
    # Well-formed variants: elements dropped, duplicated, emptied or given other text.
    root = etree.fromstring(seed, etree.XMLParser(remove_comments=True))
    elements = list(root.iter())
    for text in texts:
        element = rng.choice(elements)
        action = rng.randrange(5)
        parent = element.getparent()
        if action == 0 and parent is not None and element in parent:
            parent.remove(element)
        elif action == 1 and parent is not None:
            parent.append(etree.fromstring(etree.tostring(element)))
        elif action == 2:
            element.text = _xml_safe(text)
        elif action == 3:
            element.clear()
        else:
            element.set(
                rng.choice(["date-occurred", "cs-dn", "SystemTime", "Name"]), _xml_safe(text)
            )
    _check(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _xml_safe(text: str) -> str:
    # lxml refuses characters XML cannot hold; those are the byte mutations' business.
    return "".join(
        c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
    )


@settings(COMMON, max_examples=200 * SCALE)
@given(
    raw=st.binary(max_size=4096),
    magic=st.sampled_from([b"", b"ElfFile\x00", b"<cs-objects>", b"<Events>"]),
)
def test_random_bytes_behind_each_kinds_signature(raw: bytes, magic: bytes) -> None:
    _check(magic + raw)


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be", "utf-16"])
@pytest.mark.parametrize(
    "name", ["csexport_several_objects_kinds.xml", "eventlog_rendered_6941.xml"]
)
def test_an_export_saved_as_utf_32_or_utf_16_reads_as_its_utf_8_original(
    encoding: str, name: str
) -> None:
    original = (EXPORTS / name).read_bytes()
    text = original.decode("utf-8-sig")
    assert 'encoding="utf-8"' in text.lower()
    saved = text.replace('encoding="utf-8"', f'encoding="{encoding}"').encode(encoding)
    expected = parse_input(original, "x.xml")
    got = parse_input(saved, "x.xml")
    assert isinstance(expected, Report) and expected.errors
    assert isinstance(got, Report), got
    assert got == expected

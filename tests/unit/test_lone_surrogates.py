"""Lone UTF-16 surrogates where text enters: made U+FFFD, never kept in a record.

Active Directory keeps strings as UTF-16 without checking them, so an attribute can hold an
unpaired surrogate; .NET's JSON writers (ADSync's ``extra-error-details``, Graph) send it as
a ``\\ud800`` escape, which Python's ``json`` decodes into a lone surrogate that no UTF-8
output can encode (a whole pass ended with exit 70). Every source that can carry one is
parsed here, and no ``str`` of its record may hold a surrogate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from dirsync_bridge.json_answers import answer_json
from dirsync_bridge.models import Report
from dirsync_bridge.parse.detect import parse_input
from dirsync_bridge.parse.surrogates import json_without_surrogates, without_lone_surrogates
from dirsync_bridge.problem import sightings
from dirsync_bridge.sources.provisioning import records

from ..conftest import ROOT

REPORTS = ROOT / "fixtures" / "reports"
EXPORTS = ROOT / "fixtures" / "exports"
NS = "http://schemas.microsoft.com/win/2004/08/events/event"
DN = "CN={514635484D4B376E38307176645973555049486139513D3D}"


def strings_of(value: Any) -> Iterator[str]:
    """Every ``str`` in a model dump: values, keys, inside lists and nested objects."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_of(key)
            yield from strings_of(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from strings_of(item)


def has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


# Each source takes the JSON escapes of one value (``\ud800``: six ASCII characters, as .NET
# writes them) and gives the records it makes of an input carrying that value.


def csexport(escaped: str) -> Report:
    raw = (EXPORTS / "csexport_several_objects_kinds.xml").read_text(encoding="utf-8")
    raw = raw.replace('"smtp:tax@contoso.com"', f'"smtp:{escaped}@contoso.com"')
    return parsed(raw.encode("utf-8"), "x.xml")


def event_xml(escaped: str) -> Report:
    # The detail names no attribute: the conflict comes from the extra details alone.
    details = (
        '[{"Key":"AttributeConflictName","Value":["ProxyAddresses"]},'
        f'{{"Key":"AttributeConflictValues","Value":["smtp:{escaped}@contoso.com"]}}]'
    )
    text = (
        "ECMA2 MA export run caused an error.\n\n"
        f"DN: {DN}\nError Name: AttributeValueMustBeUnique\n\n"
        "Error Detail: Unable to update this object because the following attributes "
        "associated with this object have values that may already be associated with another "
        "object in your local directory services. Correct or remove the duplicate values in "
        "your local directory.\n"
        f"Extra Error Details: {details}"
    )
    event = (
        f'<Event xmlns="{NS}"><System><Provider Name="ADSync"/>'
        '<EventID Qualifiers="16384">6941</EventID>'
        '<TimeCreated SystemTime="2026-07-16T04:00:00.0000000Z"/></System><EventData/>'
        f"<RenderingInfo><Message>{text}</Message></RenderingInfo></Event>"
    )
    return parsed(f"<Events>{event}</Events>".encode(), "x.xml")


def plain_text_email(escaped: str) -> Report:
    # The sender names the codec: unicode_escape reads "\ud800" as a lone surrogate.
    raw = (REPORTS / "aadsync_plaintext_only.eml").read_bytes()
    raw = raw.replace(b'charset="utf-8"', b'charset="unicode_escape"')
    raw = raw.replace(b"smtp:garchie@", f"smtp:{escaped}@".encode())
    return parsed(raw, "x.eml")


def graph_provisioning(escaped: str) -> Report:
    # Graph's answer, read as every answer is (``answer_json``), then made records.
    body = (
        '{"value": [{"id": "1", "onPremisesUserPrincipalName": "ann@contoso.com", '
        '"onPremisesProvisioningErrors": [{"category": "PropertyConflict", '
        '"occurredDateTime": "2026-07-16T04:00:00Z", "propertyCausingError": "ProxyAddress", '
        f'"value": "smtp:{escaped}@contoso.com"}}]}}]}}'
    )
    response = requests.Response()
    response.status_code, response._content = 200, body.encode("ascii")
    response.headers["Content-Type"] = "application/json"
    (user,) = answer_json(response)["value"]
    return Report(source="graph", tenant="Contoso", errors=tuple(records("users", user)))


def parsed(raw: bytes, source: str) -> Report:
    report = parse_input(raw, source)
    assert isinstance(report, Report), report
    return report


SOURCES: dict[str, Callable[[str], Report]] = {
    "csexport": csexport,
    "event-xml": event_xml,
    "plain-text-email": plain_text_email,
    "graph-provisioning": graph_provisioning,
}

ESCAPES = {
    "high": ("t\\ud800ax", "t\ufffdax"),
    "low": ("t\\udfffax", "t\ufffdax"),
    "two-highs": ("\\ud800\\udbff", "\ufffd\ufffd"),
    "reversed-pair": ("\\ude00\\ud83d", "\ufffd\ufffd"),
    "high-at-the-end": ("tax\\ud83d", "tax\ufffd"),
    "a-pair-is-kept": ("t\\ud83d\\ude00ax", "t\U0001f600ax"),
}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("escaped", "read"), ESCAPES.values(), ids=ESCAPES.keys())
def test_no_str_field_of_a_parsed_record_holds_a_surrogate(
    source: str, escaped: str, read: str
) -> None:
    report = SOURCES[source](escaped)
    assert not any(has_surrogate(s) for s in strings_of(report.model_dump()))
    said = json.loads(report.to_json())  # was: "surrogates not allowed", exit 70
    values = {v for e in said["errors"] for c in e.get("conflicts", ()) for v in c["values"]}
    assert f"smtp:{read}@contoso.com" in values, values


@pytest.mark.parametrize("source", SOURCES)
def test_the_same_input_always_gives_the_same_record_and_fingerprints(source: str) -> None:
    first, again = SOURCES[source]("t\\ud800ax"), SOURCES[source]("t\\ud800ax")
    assert first.to_json() == again.to_json()
    assert [s.problem.fingerprint for s in sightings(first, "k")] == [
        s.problem.fingerprint for s in sightings(again, "k")
    ]
    other = SOURCES[source]("t\\udc00ax")  # another lone surrogate: the same U+FFFD
    assert other.to_json() == first.to_json()


@pytest.mark.slow  # a property test: `make test-fast` skips it
@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(SOURCES)),
    st.lists(
        st.one_of(
            st.integers(0xD800, 0xDFFF).map(lambda c: f"\\u{c:04x}"),
            st.sampled_from(["a", "x", ".", "\\u00e9", "\\ud83d\\ude00"]),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_any_surrogate_escapes_in_a_value_give_a_record_without_surrogates(
    source: str, pieces: list[str]
) -> None:
    escaped = "t" + "".join(pieces)
    report = SOURCES[source](escaped)
    assert not any(has_surrogate(s) for s in strings_of(report.model_dump()))
    report.to_json()
    assert report == SOURCES[source](escaped)


def test_text_without_surrogates_is_returned_as_it_is() -> None:
    text = "smtp:tax@contoso.com \U0001f600 \ufffd"
    assert without_lone_surrogates(text) is text


def test_a_pair_left_as_two_code_points_is_its_character() -> None:
    assert without_lone_surrogates("a\ud83d\ude00b\udc00") == "a\U0001f600b\ufffd"


def test_json_strings_keys_and_nested_values_lose_their_surrogates() -> None:
    data = json.loads('{"k\\ud800": ["a\\udfff", {"b": "\\ud800"}], "n": 1, "ok": "fine"}')
    assert json_without_surrogates(data) == {
        "k\ufffd": ["a\ufffd", {"b": "\ufffd"}],
        "n": 1,
        "ok": "fine",
    }
    assert json_without_surrogates("\\ud800") == "\\ud800"  # already text: no escapes read
    assert json_without_surrogates("\ud800") == "\ufffd"


def test_json_nested_as_deep_as_json_reads_is_walked_without_recursion() -> None:
    depth = 100_000
    data: Any = "\ud800"
    for _ in range(depth):
        data = [data]
    walked = json_without_surrogates(data)
    for _ in range(depth):
        walked = walked[0]
    assert walked == "\ufffd"

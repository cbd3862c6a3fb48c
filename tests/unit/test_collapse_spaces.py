"""A message's whitespace is collapsed as ``" ".join(text.split())`` collapses it, whether or
not it needed collapsing (issue 11: a tidy message is kept as it is, not split into words
and joined again; the JSON, and so the "already seen" keys, must not change by a byte).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dirsync_bridge.config.settings import Config
from dirsync_bridge.parse import catalog
from dirsync_bridge.parse.message import read_message
from dirsync_bridge.parse.parsed_report import ParsedReport

from ..conftest import REPORTS, ROOT

FIXTURES = sorted(p for p in REPORTS.glob("*.eml") if p.stat().st_size)

# Every character ``str.split()`` splits at, ASCII or not, and a few it does not.
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
ODD = "\x00\x7f\u200b\ufeff"


def _split_and_join(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "a",
        "a b",
        " a b",
        "a b ",
        "a  b",
        *(f"a{space}b" for space in WHITESPACE),
        *(f"{space}a" for space in WHITESPACE),
        *(f"a{space}" for space in WHITESPACE),
        "caf\u00e9 au lait",
        "caf\u00e9  au lait",
        "a\u200bb \ufeffc",
    ],
)
def test_a_text_is_collapsed_as_split_and_join_collapse_it(text: str) -> None:
    assert catalog.collapse_spaces(text) == _split_and_join(text)


@given(st.text(alphabet=st.sampled_from("ab ." + WHITESPACE[:12] + ODD + "\u00e9\u3000")))
def test_any_text_is_collapsed_as_split_and_join_collapse_it(text: str) -> None:
    assert catalog.collapse_spaces(text) == _split_and_join(text)


def test_a_tidy_message_is_kept_as_it_is() -> None:
    """The fast path is taken: a message with nothing to collapse is the very same string
    (split into its words and joined again, it was a copy; a third of the rows of a large
    report are such messages)."""
    message = "The provisioned object is too large. Trim the number of attribute values."
    cleaned, tracking_id = catalog.clean_message(message)
    assert cleaned is message
    assert tracking_id is None


@pytest.mark.parametrize("eml", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_writes_the_json_that_split_and_join_write(
    eml: Path, fixture_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, source = eml.read_bytes(), str(eml.relative_to(ROOT))

    def json_bytes() -> bytes:
        catalog.remembered.cache_clear()  # each message classified afresh, with this collapse
        parsed = read_message(raw, source, fixture_config.trust, fixture_config.parse)
        if isinstance(parsed, ParsedReport):
            return b"".join(parsed.json_chunks())
        return parsed.to_json()

    written = json_bytes()
    monkeypatch.setattr(catalog, "collapse_spaces", _split_and_join)
    try:
        assert json_bytes() == written
    finally:
        monkeypatch.undo()
        catalog.remembered.cache_clear()

"""Jira wiki markup: untrusted text escaped inline, fenced in blocks, cut without breaking."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dirsync_bridge.ticket_text import jira_wiki as wiki


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("john@contoso.com", r"john\@contoso.com"),
        ("*bold*", r"\*bold\*"),
        ("{code}", r"\{code\}"),
        ("[~admin]", r"\[\~admin\]"),
        ("a|b", r"a\|b"),
        ("!img.png!", r"\!img.png\!"),
        ("h1. Title", "h1. Title"),  # harmless inside a line; line breaks are what matter
        ("one\ntwo\r\nthree", "one two three"),
        (r"back\slash", r"back\\slash"),
        ("plain text 123", "plain text 123"),
    ],
)
def test_inline_escapes_every_markup_character(value: str, expected: str) -> None:
    assert wiki.inline(value) == expected


@given(st.text())
def test_inline_is_one_line_and_undoes_to_the_value(value: str) -> None:
    escaped = wiki.inline(value)
    assert "\n" not in escaped and "\r" not in escaped
    undone = re.sub(r"\\(.)", r"\1", escaped)
    assert undone == re.sub(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", " ", value)


def test_block_fences_the_text_and_breaks_its_own_fences() -> None:
    block = wiki.block("x {noformat} y {CODE:java} z")
    assert block.startswith("{noformat}\n") and block.endswith("\n{noformat}")
    inner = block[len("{noformat}\n") : -len("\n{noformat}")]
    assert "{noformat}" not in inner and "{CODE" not in inner
    assert inner.replace("\u200b", "") == "x {noformat} y {CODE:java} z"


def test_escape_output_leaves_fenced_text_and_issue_keys_alone() -> None:
    assert wiki.escape_output(wiki.block("*a*")) == "{noformat}\n*a*\n{noformat}"
    assert wiki.escape_output("*a*") == r"\*a\*"
    assert wiki.issue_key("OPS-12") == "OPS-12"
    assert wiki.issue_key("not-a-key*") == r"not\-a\-key\*"


@given(st.text(alphabet="ab\\{}nofrmt\n", max_size=300), st.integers(100, 400))
def test_fit_stays_within_the_limit_and_never_leaves_a_fence_open(text: str, limit: int) -> None:
    source = text + wiki.block(text) + text
    cut = wiki.fit(source, limit)
    assert len(cut) <= limit
    if len(source) <= limit:
        assert cut == source
    else:
        assert cut.count("{noformat}") % 2 == 0
        assert cut.endswith(wiki.CUT_NOTE)


def java_length(text: str) -> int:
    """What Jira counts: Java's String.length(), UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@given(st.text(alphabet="ab{}\\\n\U0001d52d\U0001f600\u00e9", max_size=300), st.integers(100, 400))
def test_fit_counts_as_jira_does_in_utf16_units(text: str, limit: int) -> None:
    source = text + wiki.block(text) + text
    cut = wiki.fit(source, limit)
    assert wiki.java_length(cut) == java_length(cut) <= limit
    if java_length(source) <= limit:
        assert cut == source
    else:
        assert cut.count("{noformat}") % 2 == 0
        assert cut.endswith(wiki.CUT_NOTE)


def test_a_text_of_astral_characters_is_cut_to_half_as_many_characters() -> None:
    # U+1D52D is one character to Python and two UTF-16 units to Jira: 20,000 of them are 40,000.
    cut = wiki.fit("\U0001d52d" * 20_000)
    assert java_length(cut) <= wiki.DESCRIPTION_MAX < len(cut) * 2 + 100
    assert cut.endswith(wiki.CUT_NOTE)


@given(st.text(alphabet="a\U0001d52d", max_size=50), st.integers(0, 60))
def test_cut_keeps_the_longest_start_that_fits_and_never_half_a_character(
    text: str, limit: int
) -> None:
    kept = wiki.cut(text, limit)
    assert text.startswith(kept) and java_length(kept) <= limit
    if kept != text:
        assert java_length(text[: len(kept) + 1]) > limit

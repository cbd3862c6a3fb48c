"""Scans of sender-written text: what the regexes gave, in time linear in the text.

Each oracle below is the regex the scan replaced; hypothesis checks the same results on
texts made of the pieces that matter. The size tests use runs of 2 MB: the quadratic forms
would read them for hours, the scans in well under a second (no timing is asserted).
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from dirsync_bridge.parse.batch_line import _sentence, find_tenant
from dirsync_bridge.parse.mime import _DATE_SHAPE, _sent_at
from dirsync_bridge.parse.scans import addresses_in, after_line_breaks, lines_from, split_cells

SIZE = 2_000_000

_CELL_SPLIT_BEFORE = re.compile(r"\t+|\s+\|\s*|\s*\|\s+")
_ADDRESS_BEFORE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_TENANT_BEFORE = re.compile(
    r"completed on (?P<date>.+?) for tenant (?P<tenant>.+?)"
    r"(?:\.(?=\s+The following errors|\s*$)|(?=\s+The following errors|\s*$))",
    re.IGNORECASE,
)
_DATE_SHAPE_BEFORE = re.compile(
    r"[ \t]*(?:(?i:mon|tue|wed|thu|fri|sat|sun)[ \t]*,)?[ \t]*"
    r"(?P<day>\d{1,2})[ \t]+(?P<month>[A-Za-z]{3})[ \t]+(?P<year>\d{4}|\d{2})[ \t]+"
    r"(?P<time>\d{2}:\d{2}(?::\d{2})?)[ \t]+"
    r"(?P<zone>[+-]\d\d[0-5]\d|[A-Za-z]{1,5})(?:[ \t]*\([^()\\]*\))?[ \t]*"
)


def pieces(*texts: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(texts), max_size=12).map("".join)


@given(pieces(" ", "  ", "\t", "\t\t", "|", "||", "a", "b|", "|c", "\xa0", "\n", "\u2003"))
def test_cells_split_as_the_regex_split_them(line: str) -> None:
    assert split_cells(line) == _CELL_SPLIT_BEFORE.split(line)


@given(pieces("a", "@", ".", "b.c", "+", "-", "'", " ", "x@y.z", "\xe9", "@@", "..", "_", "<>"))
def test_addresses_are_the_ones_the_regex_found(text: str) -> None:
    assert addresses_in(text) == _ADDRESS_BEFORE.findall(text)


@given(pieces("a", "\r", "\n", "\r\n", "\v", "\x85", "\u2028", "b", "\x1c"), st.integers(0, 30))
def test_lines_are_the_rest_stripped_and_split(text: str, pos: int) -> None:
    pos = min(pos, len(text))
    got = list(lines_from(text, pos))
    assert [line for line, _ in got] == text[pos:].lstrip("\r\n").splitlines(keepends=True)
    assert all(text[end - len(line) : end] == line for line, end in got)
    assert text[after_line_breaks(text, pos) :] == text[pos:].lstrip("\r\n")


_SENTENCE_PIECES = pieces(
    "completed on ",
    "COMPLETED ON ",
    " for tenant ",
    "x",
    " ",
    ".",
    "Contoso",
    " The following errors",
)


@given(_SENTENCE_PIECES)
def test_the_batch_run_sentence_is_found_as_the_regex_found_it(text: str) -> None:
    flat = " ".join(text.split())  # find_tenant reads whitespace-collapsed paragraphs
    before, now = _TENANT_BEFORE.search(flat), _sentence(flat)
    assert (before and (before.span(), before.groupdict())) == (
        now and (now.span(), now.groupdict())
    )


_DATE_PIECES = pieces(
    " ",
    "\t",
    "Fri",
    "fri",
    ",",
    "1",
    "31",
    "Dec",
    "2024",
    "24",
    "23:59",
    ":59",
    "+0100",
    "GMT",
    "(PST)",
    "x",
)


@given(_DATE_PIECES)
def test_date_shapes_are_the_ones_the_regex_took(value: str) -> None:
    before, now = _DATE_SHAPE_BEFORE.fullmatch(value), _DATE_SHAPE.fullmatch(value)
    assert (before and before.groupdict()) == (now and now.groupdict())


def test_a_table_row_of_2_mb_of_spaces_and_tabs_splits_at_once() -> None:
    # Each space of a run that ends short of a "|" started a scan to the run's end.
    assert split_cells("a |" + " " * SIZE + "b") == ["a", "b"]
    assert split_cells("a" + " " * SIZE + "b|c") == ["a" + " " * SIZE + "b|c"]
    cells = split_cells("a" + " \t" * (SIZE // 20) + " b | c")
    assert len(cells) == SIZE // 20 + 2 and cells[-1] == "c"


def test_a_run_of_2_mb_of_word_characters_holds_no_address() -> None:
    assert addresses_in("a" * SIZE) == []
    assert addresses_in("a" * SIZE + "@contoso.com") == ["a" * SIZE + "@contoso.com"]


def test_many_completed_on_without_a_tenant_after_them_are_read_at_once() -> None:
    text = "for tenant Contoso\n\n" + "completed on " * (SIZE // 13)
    assert find_tenant(text) == (None, None)


def test_a_date_of_2_mb_of_leading_spaces_is_no_date() -> None:
    assert _sent_at(" " * SIZE + "x") is None
    assert _sent_at("\t " * (SIZE // 2) + "Fri, 31 Dec 2024 23:59:59 +0000") is not None

"""Hostile review rev48 of 20fb972 (``BodyFacts.unplaced``): plain-text paragraphs.

20fb972 refuses a report whose nameless object error follows a paragraph the reader could not
place. The shapes it leaves (shapes' own list), judged: each below resolves a real object's
ticket as absent, or files its error "(tenant-level)". Each test accepts either outcome a fix
may choose: the report refused, or each error filed under the object it names.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models import Rejected

from ..reportgen import NOT_FOUND, read_plain
from ..reportgen import PLAIN_INTRO as INTRO
from ..reportgen import PROXY_DUP as DUP


def _read(body: str) -> Rejected | list[tuple[str | None, str]]:
    return read_plain(body, "rev48-para@x.test")


@pytest.mark.parametrize("gap", ["\n", "\n\t"], ids=["next-line", "tab-indented-line"])
def test_an_identity_and_its_message_in_one_paragraph(gap: str) -> None:
    read = _read(INTRO + "ann@contoso.com" + gap + DUP + "\n")
    # Now: [(None, 'Unknown')], the report accepted.
    assert isinstance(read, Rejected) or read == [("ann@contoso.com", "AttributeValueMustBeUnique")]


@pytest.mark.parametrize(
    "errors",
    [
        "ann@contoso.com\n\n{dup}\n\nben@contoso.com\n\n{nf}\n",
        "ben@contoso.com\n\n{nf}\nann@contoso.com\n\n{dup}\n",
        "ben@contoso.com\n\n{nf}\nAnn Akers\n\n{dup}\n",
    ],
    ids=["glued-to-the-errors-sentence", "glued-to-the-error-before", "unknown-shape-glued"],
)
def test_a_nameless_object_error_beside_named_rows_is_not_filed_tenant_level(
    errors: str,
) -> None:
    body = INTRO.removesuffix("\n\n") + "\n" if errors.startswith("ann") else INTRO
    read = _read(body + errors.format(dup=DUP, nf=NOT_FOUND))
    # Now: (None, 'AttributeValueMustBeUnique') beside ben's error, the report accepted.
    assert isinstance(read, Rejected) or (None, "AttributeValueMustBeUnique") not in read


def test_an_unknown_shaped_identity_after_an_identity() -> None:
    read = _read(INTRO + "ben@contoso.com\n\nAnn Akers\n\n" + DUP + "\n")
    # Now: [(ben, 'Unknown'), (None, 'AttributeValueMustBeUnique')], the report accepted.
    assert isinstance(read, Rejected) or (None, "AttributeValueMustBeUnique") not in read

"""A plain-text paragraph's DN identity as one line, keyed as the same DN in a table cell.

A table cell (plain text or HTML) keeps a DN's spaces as typed, whitespace collapsed; so does
this, but for the line breaks a wrap put beside a separator comma (review rev47: ``, `` was
read as ``,`` in paragraphs only, so the one DN keyed as two objects). A hard wrap inserts
its break (``Akers,\\nOU=``, ``Akers\\n,OU=``): dropped. A word wrap breaks at a space, the
space replaced: in a DN typed with spaces after its commas (``Akers, OU=``), the break is
read back as that space. Only separator commas count: one escaped (an odd run of ``\\``
before it) is part of a value, and ``\\\\,`` is an escaped backslash then a separator.
"""

from __future__ import annotations

import re

# A separator comma (after an even run of backslashes) then a space and the next type.
_SPACED_SEPARATOR = re.compile(r"(?:^|[^\\])(?:\\\\)*, [A-Za-z][A-Za-z0-9-]*=")


def _ends_in_separator(text: str) -> bool:
    if not text.endswith(","):
        return False
    before = text[:-1]
    return (len(before) - len(before.rstrip("\\"))) % 2 == 0


def dn_unwrapped(para: str) -> str:
    """``para`` (a DN, perhaps wrapped) as one line, whitespace collapsed as a cell's is."""
    lines = [" ".join(line.split()) for line in para.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    spaced = any(_SPACED_SEPARATOR.search(line) for line in lines)
    joined = lines[0]
    for line in lines[1:]:
        if line.startswith(","):  # broken before its comma: never a space typed there
            joined += ", " + line[1:].lstrip() if spaced else line
        elif _ends_in_separator(joined):
            joined += " " + line if spaced else line
        else:  # broken inside a value, at a space: read back as one
            joined += " " + line
    return joined

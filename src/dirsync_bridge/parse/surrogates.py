"""Lone UTF-16 surrogates made U+FFFD where text enters. Pure.

Active Directory keeps strings as UTF-16 without checking them, so an attribute can hold an
unpaired surrogate; .NET's JSON writers (ADSync's ``extra-error-details``, Graph) send it as
a ``\\ud800`` escape, and Python's ``json`` decodes that into a lone surrogate: a ``str``
that UTF-8 cannot encode, so no JSON output, SQLite row, terminal or fingerprint hash can
take it (a whole pass ended with exit 70, on every rerun). It is made U+FFFD where it comes
in, as an HTML parser makes ``&#xD800;``: the record is kept and ticketed with the
replacement character, and the same input always gives the same text and fingerprint.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(text: str) -> str:
    """``text`` with each lone surrogate made U+FFFD (``text`` itself when it holds none).

    A pair left as two code points (a decoder that did not join them) is the character the
    pair encodes: UTF-16's decoder joins pairs and makes each lone half U+FFFD.
    """
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def json_without_surrogates(value: Any) -> Any:
    """Decoded JSON with every string in it, object keys too, through ``without_lone_surrogates``.

    Lists and objects are changed in place (decoded JSON belongs to its reader) and walked
    without recursion: ``json`` reads arrays nested nearly as deep as the recursion limit,
    which a recursive walk, starting lower on the stack, could not follow.
    """
    if isinstance(value, str):
        return without_lone_surrogates(value)
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = without_lone_surrogates(item)
                elif isinstance(item, list | dict):
                    pending.append(item)
        elif isinstance(node, dict):
            if any(isinstance(key, str) and _SURROGATE.search(key) for key in node):
                # Rebuilt in order; two keys that become one keep the later value, as
                # json keeps the later of two equal keys.
                items = list(node.items())
                node.clear()
                node.update(
                    (without_lone_surrogates(k) if isinstance(k, str) else k, v) for k, v in items
                )
            for key, item in node.items():
                if isinstance(item, str):
                    node[key] = without_lone_surrogates(item)
                elif isinstance(item, list | dict):
                    pending.append(item)
    return value

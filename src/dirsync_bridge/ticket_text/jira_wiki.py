"""Jira wiki markup (REST v2): untrusted text made to render literally.

Jira renders descriptions and comments as wiki markup, so a display name like ``*boss*`` or
a message holding ``{code}`` would change how a ticket reads, and ``[~admin]`` would notify
someone. Two tools, following Atlassian's renderer (apis.md section 3.5):

- ``inline``: for a value inside a line. Every character of the renderer's escapable set
  (plus ``#``, which its unescape pattern covers) gets a backslash; line breaks become
  spaces, so a value can never start a line (``h1.``, ``bq.``, list markers, ``----``).
- ``block``: for a multi-line value (Microsoft's message text). It goes inside
  ``{noformat}``, where nothing is interpreted; the one hazard there, the closing
  ``{noformat}`` itself, is broken with a zero-width space so it shows as written.

``fit`` cuts a whole text to Jira's 32,767-character limit without leaving a fence open.
Jira counts characters as Java does (``String.length()``): in UTF-16 code units, so a
character beyond U+FFFF (an emoji such as 😀) counts two. Every limit here is counted that way
(``java_length``, ``cut``): counted in code points, such a text would be refused on every run.
"""

from __future__ import annotations

import re
from typing import Final

ESCAPABLE: Final = frozenset("!\\[]^~+?%{}()*_-|@#")
"""Atlassian's ESCAPABLE_WIKI_CHARS, plus ``#`` and the backslash itself."""
_ESCAPE: Final = re.compile("([" + re.escape("".join(sorted(ESCAPABLE))) + "])")
_LINE_BREAKS: Final = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
"""Every line end a reader knows: Java's (Jira's renderer: NEL too), Python's (FS, GS, RS)."""
_FENCE: Final = "{noformat}"
_FENCE_IN_TEXT: Final = re.compile(r"\{(noformat|code)", re.IGNORECASE)
ZERO_WIDTH_SPACE: Final = "\u200b"
DESCRIPTION_MAX: Final = 32_767
"""Jira's limit for a text field (JRASERVER-64351)."""
CUT_NOTE: Final = "\n\n_(cut to fit Jira's limit of 32,767 characters)_"


class Fenced(str):
    """Text already made safe (a ``block``): the template engine passes it through as is."""

    __slots__ = ()


def inline(value: object) -> str:
    """``value`` as text that renders literally inside a line of wiki markup."""
    text = _LINE_BREAKS.sub(" ", str(value))
    return _ESCAPE.sub(r"\\\1", text)


def one_line(value: str) -> str:
    """``value`` on one line: its line ends made spaces (plain text, the local store)."""
    return _LINE_BREAKS.sub(" ", value)


def block(value: object) -> Fenced:
    """``value`` as a ``{noformat}`` block on lines of its own, shown exactly as written."""
    text = _FENCE_IN_TEXT.sub(lambda m: "{" + ZERO_WIDTH_SPACE + m.group(1), str(value))
    return Fenced(f"{_FENCE}\n{text}\n{_FENCE}")


_ISSUE_KEY: Final = re.compile(r"[A-Z][A-Z0-9_]+-[0-9]+")


def issue_key(value: object) -> Fenced | str:
    """An issue key left as is, so Jira links it; anything else escaped like any value."""
    text = str(value)
    return Fenced(text) if _ISSUE_KEY.fullmatch(text) else inline(text)


def escape_output(value: object) -> object:
    """The template engine's ``finalize``: everything printed is escaped unless fenced."""
    if isinstance(value, Fenced):
        return value
    return inline(value)


_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")


def java_length(text: str) -> int:
    """The length of ``text`` as Jira counts it (UTF-16 code units): astral characters count 2."""
    return len(text) + len(_ASTRAL.findall(text))


def cut(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-16 units; never half a character."""
    kept = text[:limit]
    while (over := java_length(kept) - limit) > 0:
        # Each character dropped is one or two units: dropping half the excess (rounded up)
        # at a time never drops more than the one unit a last astral character forces.
        kept = kept[: len(kept) - (over + 1) // 2]
    return kept


def fit(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """``text`` cut to ``limit`` characters as Jira counts them, closing a fence left open."""
    if java_length(text) <= limit:
        return text
    room = limit - java_length(CUT_NOTE) - len(_FENCE) - 2
    kept = cut(text, room)
    # A cut just after a backslash would escape the note's first character.
    kept = kept.rstrip("\\")
    if kept.count(_FENCE) % 2:
        kept += "\n" + _FENCE
    return kept + CUT_NOTE

"""What a reader reads of a streamed element, and the rest dropped as it streams.

``iter_elements`` hands a reader each element it asks for once the element has ended. Held
whole until then, one element could hold anything: a csexport group whose ``member``
attribute lists a million DNs, or an object padded with junk, made a 24 MB file take 816 MB
(review rev32). A reader that says what it reads (``Reads``) gets the element with only
that: every other descendant is emptied as it ends and detached once the parser is past it,
at any depth, so an element costs what its reader reads, not what it holds.

Nothing a reader reads changes. An element it reads only the first of (``key``) keeps the
first; one whose text it reads (``text``) keeps that text exactly, the text of elements
inside it included: they are folded into it as they end (a ``<pii>`` tag in an error
text is read as it was).

Only what the parser has gone past is ever changed: an element as it ends is emptied but
its tail (the text after it, which the parser may not have read whole) is left; it is
detached when its next sibling ends, or its parent does (lxml's rule for iterparse).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lxml import etree


@dataclass(frozen=True, slots=True)
class Reads:
    """What a reader reads of an element: the child elements named in ``children`` (by
    local name, whatever their namespace), what it reads of each; everything else in the
    element is dropped as it ends."""

    children: Mapping[str, Reads] = field(default_factory=dict)
    text: bool = False
    """Its text is read, with the text of everything inside it (``xml_safety.text_of``)."""
    accept: Callable[[etree._Element], bool] | None = None
    """Read only when this is true of it as it starts (its attributes are known then)."""
    key: Callable[[etree._Element], str | None] | None = None
    """Of its siblings of one name, only the first of each key is read, None is none: known
    as it ends (what of it is read is there then). Unset: every one is read."""
    everything: bool = False
    """All of it is read: nothing inside it is dropped."""


def first(_element: etree._Element) -> str:
    """A ``key``: the first of its name is the one read (``xml_safety.child``)."""
    return ""


EVERYTHING = Reads(everything=True)
_TEXT = Reads(text=True)
"""What is inside an element whose text is read: its text, folded into that element's."""


@dataclass(slots=True)
class _Open:
    """An element inside one being read, started and not ended."""

    element: etree._Element
    reads: Reads | None
    """What is read of it; None when it is dropped, and everything inside it."""
    as_child: Reads | None
    """What its parent reads of it: ``reads``, but for a wanted element inside another."""
    ended: etree._Element | None = None
    """Its child that ended last, not read: emptied, detached (or folded into its text)
    once the next child ends, or it does; by then the parser is past the child's tail."""
    keys: set[tuple[str, str]] | None = None
    """The (name, key) of the children read, where ``key`` chooses."""
    folded: io.StringIO | None = None
    """The text of the children folded into its text (``reads.text``), in order."""


class Pruner:
    """Follows an ``iterparse`` of ``("start", "end")`` events inside the wanted elements
    and drops what their reader does not read. ``start`` and ``end`` are called for every
    element inside a wanted one, the wanted ones too; ``inside`` says whether one is open.

    ``take``, when given, sees each element read (but those inside one whose text or all of
    which is read) as it ends, whole; one it returns True for it has read, and is dropped."""

    def __init__(self, reads: Reads, take: Callable[[etree._Element], bool] | None = None) -> None:
        self._reads = reads
        self._take = take
        self._open: list[_Open] = []

    @property
    def inside(self) -> bool:
        return bool(self._open)

    def start(self, element: etree._Element, wanted: bool) -> None:
        as_child = self._child_reads(element) if self._open else None
        self._open.append(_Open(element, self._reads if wanted else as_child, as_child))

    def end(self, element: etree._Element) -> None:
        """``element`` has ended: what it did not read is dropped. Call ``settle`` after,
        once its reader (a wanted element's) is done with it."""
        done = self._open[-1]
        if done.ended is not None:
            self._let_go(done, done.ended)
        if done.folded is not None:
            # Its children are all folded and detached: their text joins its own, once.
            element.text = (element.text or "") + done.folded.getvalue()

    def settle(self, element: etree._Element) -> None:
        """``element``, ended, taken as its parent's child: kept if read, else emptied."""
        done = self._open.pop()
        if not self._open:
            return
        parent = self._open[-1]
        if parent.ended is not None:
            self._let_go(parent, parent.ended)
        if parent.reads is not None and parent.reads.everything:
            return
        if parent.reads is not None and parent.reads.text:
            parent.ended = element  # folded once its tail is complete
            return
        reads = done.as_child
        if reads is not None and self._take is not None and self._take(element):
            # Read by ``take`` now, whole (its parent still holds it): then dropped like what
            # is not read (a cs-object of 500,000 <cd-error/>s held them all: 70 MB).
            reads = None
        if reads is not None and reads.key is not None:
            key = reads.key(element)
            if key is not None:
                name = (_local(element), key)
                parent.keys = parent.keys or set()
                if name not in parent.keys:
                    parent.keys.add(name)
                    return
            reads = None
        if reads is not None:
            return
        # Its tail is kept: the parser may not have read it whole (lxml-stubs lack the flag).
        element.clear(keep_tail=True)  # type: ignore[call-arg]
        parent.ended = element

    def _child_reads(self, element: etree._Element) -> Reads | None:
        reads = self._open[-1].reads
        if reads is None:
            return None
        if reads.everything:
            return EVERYTHING
        if reads.text:
            return _TEXT
        child = reads.children.get(_local(element))
        if child is None or (child.accept is not None and not child.accept(element)):
            return None
        return child

    @staticmethod
    def _let_go(parent: _Open, element: etree._Element) -> None:
        """Detach ``element``, a child of ``parent`` the parser is past, tail and all."""
        parent.ended = None
        if parent.reads is not None and parent.reads.text:
            # Every earlier child is folded already: this is the first, its text and tail
            # come right after those.
            parent.folded = parent.folded or io.StringIO()
            parent.folded.write(element.text or "")
            parent.folded.write(element.tail or "")
        parent.element.remove(element)


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""

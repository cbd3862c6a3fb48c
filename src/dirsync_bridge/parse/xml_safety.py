"""Untrusted XML: the only way an export file's XML is read.

Export files come from outside (a server admin, a share, a ticket attachment), so they are
read the way hostile XML must be (design.md section 9: no entities, no network, bounded size):

1. Size first: more than the caller's ``max_bytes`` is refused before anything is parsed.
2. The prolog (what comes before the root element) is scanned by hand. A document type
   declaration is the only place entity declarations and external references (``SYSTEM``,
   ``PUBLIC``) can live, and XML allows it only there, so refusing any ``<!`` markup
   declaration in the prolog refuses billion-laughs, quadratic blow-up and XXE files
   before libxml2 sees a byte of them.
3. lxml parses with entity resolution, DTD loading and network access off and libxml2's
   size and depth limits on (``huge_tree=False``): a second wall if step 2 ever misses.
4. The parsed document must have no doctype either: a third check, almost free.

Everything refused raises ``XmlRefused`` with a reject code and a one-line detail; callers
turn that into a ``Rejected``. Elements are streamed (``iter_elements``) and dropped after
use, so memory follows the input's size, not a tree several times as large; of each element,
a reader that says what it reads (``xml_reads.Reads``) gets only that kept while it streams.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ..models import RejectCode
from .xml_reads import EVERYTHING, Pruner, Reads

# A real export's prolog is an XML declaration and perhaps a comment; a megabyte of it is
# someone hiding a DTD past a scanner's window.
PROLOG_WINDOW = 1024 * 1024

# lxml's keyword arguments, the same for every parse: see the module docstring, step 3.
_SAFE: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}

_NAME = re.compile(r"[^\s/>!?<=\"']+")
_DOCTYPE_NAME = re.compile(r"<!DOCTYPE\s+([^\s\[>]+)", re.IGNORECASE)


class XmlRefused(Exception):
    """XML that must not be read: a reject code and a one-line reason."""

    def __init__(self, code: RejectCode, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code: RejectCode = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Prolog:
    """What comes before an XML document's root element."""

    root: str | None
    """The root element's local name (the doctype's name when a DTD comes first); None when
    the input ends, or the scan window does, before the root."""
    dtd: bool
    """A ``<!DOCTYPE`` (or any other markup declaration) stands before the root."""
    window_exhausted: bool = False


def read_prolog(raw: bytes) -> Prolog | None:
    """The prolog of ``raw``, or None when ``raw`` does not start like an XML document."""
    text = _head_text(raw)
    i, end = 0, len(text)
    markup = False  # a declaration or comment seen: this is XML, even if cut short
    while True:
        while i < end and text[i] in " \t\r\n":
            i += 1
        if i >= end:
            if not markup:
                return None
            return Prolog(root=None, dtd=False, window_exhausted=len(raw) > PROLOG_WINDOW)
        if text.startswith("<?", i) or text.startswith("<!--", i):
            markup = True
            close = "?>" if text[i + 1] == "?" else "-->"
            found = text.find(close, i + 2)
            if found < 0:
                return Prolog(root=None, dtd=False, window_exhausted=len(raw) > PROLOG_WINDOW)
            i = found + len(close)
        elif text.startswith("<!", i):
            doctype = _DOCTYPE_NAME.match(text, i)
            return Prolog(root=_local(doctype.group(1)) if doctype else None, dtd=True)
        elif text.startswith("<", i):
            name = _NAME.match(text, i + 1)
            return Prolog(root=_local(name.group(0)) if name else None, dtd=False)
        else:
            return None


def _head_text(raw: bytes) -> str:
    """The first ``PROLOG_WINDOW`` bytes as text, well enough to scan markup.

    UTF-16 (``wevtutil /uni:true``) and UTF-32 (an editor's "Unicode (UTF-32)") are decoded,
    by their byte order mark or the first character ``<``; everything else is read as Latin-1, which
    keeps every ASCII byte (all the markup) where it is, whatever the real 8-bit encoding.
    """
    head = raw[:PROLOG_WINDOW]
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(b"<\x00\x00\x00"):
        start = 4 if head.startswith(codecs.BOM_UTF32_LE) else 0
        return head[start : len(head) - (len(head) - start) % 4].decode("utf-32-le", "replace")
    if head.startswith(codecs.BOM_UTF32_BE) or head.startswith(b"\x00\x00\x00<"):
        start = 4 if head.startswith(codecs.BOM_UTF32_BE) else 0
        return head[start : len(head) - (len(head) - start) % 4].decode("utf-32-be", "replace")
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(b"<\x00"):
        start = 2 if head.startswith(codecs.BOM_UTF16_LE) else 0
        return head[start : len(head) - (len(head) - start) % 2].decode("utf-16-le", "replace")
    if head.startswith(codecs.BOM_UTF16_BE) or head.startswith(b"\x00<"):
        start = 2 if head.startswith(codecs.BOM_UTF16_BE) else 0
        return head[start : len(head) - (len(head) - start) % 2].decode("utf-16-be", "replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    return head.decode("latin-1")


_ENCODING = re.compile(r"<\?xml\s[^>]*?\bencoding\s*=\s*[\"']([^\"']*)")


def declared_encoding(raw: bytes) -> str | None:
    """The encoding ``raw``'s XML declaration names, lower case; None when it names none."""
    found = _ENCODING.match(_head_text(raw[:1024]))
    return found.group(1).lower() if found else None


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def check(raw: bytes, max_bytes: int) -> Prolog:
    """Refuse ``raw`` if it is too large, not XML, or declares a DTD; else its prolog."""
    if len(raw) > max_bytes:
        raise XmlRefused(
            "too-large", f"{len(raw)} bytes is over [parse] max_message_bytes ({max_bytes})"
        )
    prolog = read_prolog(raw)
    if prolog is None:
        raise XmlRefused("malformed-xml", "the input does not start like an XML document")
    if prolog.dtd:
        raise XmlRefused(
            "unsafe-xml",
            "the XML declares a DTD (<!DOCTYPE>): entity declarations and external "
            "references are refused; export the file again with csexport or wevtutil",
        )
    if prolog.window_exhausted:
        raise XmlRefused(
            "unsafe-xml", f"no root element in the first {PROLOG_WINDOW} bytes of the XML"
        )
    if prolog.root is None:
        raise XmlRefused("malformed-xml", "the XML ends before its root element")
    return prolog


@dataclass(slots=True)
class Others:
    """The root's child elements not named as asked (``iter_elements``), counted as they
    end, not kept: what a reader needs to tell "no objects" from "no objects, and other
    things instead"."""

    count: int = 0
    first: str = ""
    """The first one's local name."""
    text: str = ""
    """The start of the root's own text when it holds more than XML blanks (CDATA too)."""
    root: str = ""
    """The root's tag, namespace included (``{uri}name``), known before the first element
    is yielded: ``iter_elements`` matches names in any namespace, its caller may not."""


def iter_elements(
    raw: bytes,
    local_name: str,
    max_bytes: int,
    others: Others | None = None,
    reads: Reads = EVERYTHING,
    starts: Callable[[etree._Element], None] | None = None,
    take: Callable[[etree._Element], bool] | None = None,
) -> Iterator[etree._Element]:
    """Every element named ``local_name`` (any namespace), complete, in document order.

    Each element is cleared once the caller moves on to the next, so read what you need
    before advancing. Raises ``XmlRefused`` (possibly after some elements were yielded: a
    truncated file is refused as a whole, never half-read). ``others``, when given, counts
    the root's child elements of any other name (comments and processing instructions are
    not elements: the parser drops them). ``reads`` says what the caller reads of each
    element: the rest of it is dropped as it streams (``xml_reads``); by default all of it
    is kept. ``starts``, when given, sees each element inside a wanted one (and the wanted
    one) as it starts, before anything of it is dropped: it raises ``XmlRefused`` to refuse.
    ``take``, when given, reads elements as they end, before the wanted one does
    (``Pruner``).
    """
    check(raw, max_bytes)
    body = io.BytesIO(_libxml_bytes(raw))
    # Every element's end, not only the wanted ones': the others (unknown elements,
    # wrappers, at any depth) must be dropped too, or six million <j/> held 34 times the
    # file; one wrapper around them held them all again (review rev34). Starts are seen to
    # know which elements are inside a wanted one, not yet ended: its reader's to read.
    context = etree.iterparse(body, events=("start", "end"), **_SAFE)
    suffix = "}" + local_name

    def wanted(tag: object) -> bool:
        return isinstance(tag, str) and (tag == local_name or tag.endswith(suffix))

    # Follows the elements inside wanted ones (a root <Event> included): those are their
    # reader's, dropped only where it reads nothing (review rev32: one cs-object of a
    # million children held 816 MB for a 24 MB file).
    pruner = Pruner(reads, take)
    try:
        for event, element in context:
            if event == "start":
                if others is not None and not others.root:
                    others.root = str(element.tag)  # the first start is the root's
                is_wanted = wanted(element.tag)
                if is_wanted or pruner.inside:
                    if starts is not None:
                        starts(element)
                    pruner.start(element, is_wanted)
                continue
            parent = element.getparent()
            if pruner.inside:
                pruner.end(element)
                if wanted(element.tag):
                    yield element
                pruner.settle(element)
                if pruner.inside:
                    # Nested in a wanted element not ended yet: that one's to read, its
                    # earlier siblings never dropped here (review rev36: an empty
                    # cs-object inside another erased the outer's errors; the complete
                    # report resolved its problem).
                    continue
            elif parent is None:
                # The root, ended last. Its own text (CDATA too; the comments dropped join
                # what was around them) is all that a root without children holds.
                if others is not None and element.text:
                    others.text = element.text.strip(" \t\r\n")[:60]  # XML's blanks only
                continue
            elif others is not None and parent.getparent() is None:
                others.count += 1
                others.first = others.first or _local(str(element.tag).rpartition("}")[2])
            element.clear(keep_tail=False)
            # Earlier siblings are done with: dropping them keeps memory flat.
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise XmlRefused("malformed-xml", _syntax_detail(exc)) from None
    root = context.root
    if root is not None and _has_doctype(root):
        raise XmlRefused("unsafe-xml", "the XML declares a DTD")


def _libxml_bytes(raw: bytes) -> bytes:
    """``raw`` as libxml2 reads it: it knows UTF-32 by its first character ``<`` but refuses
    the byte order mark in front of it, so a UTF-32 file's mark is dropped."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return raw[4:]
    return raw


def parse_document(raw: bytes, max_bytes: int) -> etree._Element:
    """A whole small document (one rendered event record) as a tree, read safely."""
    check(raw, max_bytes)
    parser = etree.XMLParser(**_SAFE)
    try:
        root = etree.fromstring(_libxml_bytes(raw), parser)
    except etree.XMLSyntaxError as exc:
        raise XmlRefused("malformed-xml", _syntax_detail(exc)) from None
    if _has_doctype(root):
        raise XmlRefused("unsafe-xml", "the XML declares a DTD")
    return root


def _has_doctype(root: etree._Element) -> bool:
    # libxml2 keeps a DTD object for any DOCTYPE, internal subset or external id alike.
    return root.getroottree().docinfo.internalDTD is not None


def _syntax_detail(exc: etree.XMLSyntaxError) -> str:
    message = " ".join(str(exc.msg or exc).split())
    line = f" at line {exc.lineno}" if exc.lineno else ""
    return f"the XML is not well-formed{line} ({message}): cut short or damaged; export it again"


def local_name(element: etree._Element) -> str:
    """An element's tag without its namespace (``""`` for comments and the like)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    """The child elements named ``name``, whatever their namespace."""
    return (child for child in element if local_name(child) == name)


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child element named ``name``, whatever its namespace."""
    return next(children(element, name), None)


def text_of(element: etree._Element | None) -> str | None:
    """All the text inside ``element``, stripped; None when there is none."""
    if element is None:
        return None
    text = "".join(t for t in element.itertext() if isinstance(t, str)).strip()
    return text or None

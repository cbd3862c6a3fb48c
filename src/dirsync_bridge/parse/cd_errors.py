"""A csexport detail's ``cd-error``s, read as each one ends and kept compact meanwhile.

An object's errors can be filed only once the object has ended: its name (the hologram's
``userPrincipalName``) may come after them. Kept as elements until then, one object of
500,000 ``<cd-error/>``s (5.5 MB) held 70 MB of tree; so each ``cd-error`` is read as it
ends (``xml_reads.Pruner``'s ``take``) into three strings, kept in a ``Spool`` (on disk past
a few thousand), and dropped from the tree; the object then reads its details' errors from
here, in the file's order. Read whole (``xml_reads.EVERYTHING``), a file's ``cd-error``s
stay in the tree and are read from it, the same way (``of_detail``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from lxml import etree

from .export_rows import IN_MEMORY, Spool
from .xml_safety import child, children, text_of

CdError = tuple[str | None, str | None, str | None]
"""What is read of a ``cd-error``: its ``error-name``, its stated detail (``error-literal``,
else ``server-error-detail``; "N/A" says none), its ``extra-error-details``."""


def _values(*values: str | None) -> CdError:
    name, stated, extra = values
    return name, stated, extra


_FIELDS = frozenset({"error-name", "error-literal", "server-error-detail", "extra-error-details"})


def read_cd_error(cd: etree._Element) -> CdError:
    """The ``cd-error`` as read (``CdError``): the first child of each name (``child``)."""
    first: dict[str, etree._Element] = {}
    for kid in cd:  # one pass, not one a name: a file may hold 500,000 of them
        name = _local(kid.tag)
        if name in _FIELDS and name not in first:
            first[name] = kid
    get = first.get
    stated = _stated(get("error-literal")) or _stated(get("server-error-detail"))
    return text_of(get("error-name")), stated, text_of(get("extra-error-details"))


def _stated(element: etree._Element | None) -> str | None:
    # "N/A" is how the engine fills an empty detail (ServerErrorDetail in the documented
    # export error record): it says nothing.
    text = text_of(element)
    return None if text is None or text.casefold() == "n/a" else text


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


class TakenErrors:
    """The ``cd-error``s taken as they ended, by the ``export-errordetail`` they are in:
    those of its ``export-status``es, and its own."""

    def __init__(self) -> None:
        self._spool: Spool[CdError] = Spool(_values)
        # The element is the key: held here, lxml keeps its one proxy, so the detail read
        # later is this very object.
        self._by_detail: dict[etree._Element, tuple[array[int], array[int]]] = {}

    def take(self, element: etree._Element) -> bool:
        """Read ``element`` if it is a detail's ``cd-error`` (then it is dropped)."""
        if _local(element.tag) != "cd-error":
            return False
        parent = element.getparent()
        if parent is None:
            return False
        in_status = _local(parent.tag) == "export-status"
        detail = parent.getparent() if in_status else parent
        if detail is None or _local(detail.tag) != "export-errordetail":
            return False
        lists = self._by_detail.get(detail)
        if lists is None:
            lists = self._by_detail[detail] = (array("q"), array("q"))
        lists[0 if in_status else 1].append(len(self._spool))
        self._spool.append(read_cd_error(element))
        return True

    def of_detail(self, detail: etree._Element) -> Iterator[CdError]:
        """The detail's errors, in order: its ``export-status``es' if they list any, else
        its own; read from those taken, or from the tree (a file read whole)."""
        lists = self._by_detail.pop(detail, None)
        if lists is None:
            yield from (read_cd_error(cd) for cd in _tree_cd_errors(detail))
            return
        at = lists[0] or lists[1]
        for start in range(0, len(at), IN_MEMORY):
            chunk = at[start : start + IN_MEMORY]
            if chunk[-1] - chunk[0] == len(chunk) - 1:  # one run, as a file lists them
                yield from self._spool[chunk[0] : chunk[-1] + 1]
            else:
                yield from (self._spool[index] for index in chunk)

    def forget(self, details: Iterator[etree._Element]) -> None:
        """Those of details not read (an object left out): let go."""
        for detail in details:
            self._by_detail.pop(detail, None)

    def close(self) -> None:
        """Everything taken let go (the file is read)."""
        self._by_detail.clear()
        self._spool.close()


def _tree_cd_errors(detail: etree._Element) -> Iterator[etree._Element]:
    statuses = list(children(detail, "export-status"))
    if any(child(status, "cd-error") is not None for status in statuses):
        for status in statuses:
            yield from children(status, "cd-error")
    else:
        yield from children(detail, "cd-error")

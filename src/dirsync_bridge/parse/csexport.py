"""``csexport "<connector>" x.xml /f:e`` XML in, a ``Report`` or a ``Rejected`` out. Pure.

The file is the Azure AD connector space's export errors (reference/live-sources.md 4.1):

    <cs-objects>
      <cs-object cs-dn="CN={hex}" id="{guid}" object-type="user">
        <export-errordetail date-occurred="..." first-occurred="..." retry-count="..." ...>
          <export-status>
            <cd-error>
              <error-code/> <error-name/> <error-literal/> <server-error-detail/>
              <extra-error-details>[{"Key": ..., "Value": [...]}]</extra-error-details>
            </cd-error> ...
        <synchronized-hologram><entry><attr name="userPrincipalName"><value/></attr>...

One record per ``cs-object`` / ``export-errordetail`` / ``cd-error``, in file order:
``error-name`` is the kind when it names a catalogue kind (``kind_stated``),
``error-literal`` goes through the message grammar, ``extra-error-details`` names the holder
(``ObjectIdInConflict``) and fills the conflict, the hologram's ``userPrincipalName`` is the
identity and the ``cs-dn`` gives the ImmutableId (``object_id``). The report's time
(``sync_completed_at``) is the latest ``date-occurred``; it names no tenant; it is complete
(csexport lists every object in error), so the file must really be an error export.

Decisions where the format is not documented (no raw export with errors is public):
- An empty ``<cs-objects/>`` is a report with no errors: what ``/f:e`` writes when nothing
  fails, and how problems get resolved. A file whose objects carry no ``export-errordetail``
  at all is refused (``not-an-error-export``): it was made with another filter (``/f:x``
  pending exports, ``/f:d`` disconnectors...), and reading it as "no errors" would resolve
  every open problem.
- A file whose objects all have DNs of another form than ``CN={hex}`` is another
  connector's export (the on-premises AD connector's) and is refused the same way.
- An object with errors that names no object (no ``CN={hex}`` DN, no UPN, mail or
  sourceAnchor) is left out with a warning: filed, it would be the whole tenant's problem,
  and no ticket can be found by it, so its absence from the report resolves nothing but such
  a problem. A file of nothing else is refused the same way. (Refusing the whole file for one
  such object would keep every other error of every day's export from being ticketed.)
- Unknown elements and attributes are ignored; missing optional ones leave fields null. But
  a ``<cs-objects>`` that holds elements and not one ``cs-object`` (in it, or in a wrapper
  of its own) is refused (``not-an-error-export``): whatever it is, it is no export with
  nothing failed, and reading it as one would resolve every open problem.
- A truncated or otherwise malformed file is refused as a whole: a complete report that is
  missing its last objects would count their absence.
- csexport writes its names in no XML namespace (the FIM schema declares none). One of
  them in a namespace (``<x:cs-objects xmlns:x="...">``, ``<cs-objects xmlns="...">``, an
  ``x:cs-object`` or ``x:export-errordetail``, an ``x:cs-dn``) is another vocabulary's, and
  the file is refused (``not-an-error-export``): an empty such root was a complete report
  with no errors, resolving every open problem. Unknown names in a namespace are ignored, as
  any unknown name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from ..errors import Retriable
from ..models import ParseResult, Rejected
from .cd_errors import TakenErrors
from .export_records import (
    Latest,
    error_record,
    immutable_id_from_dn,
    parse_time,
    read_extra_details,
    refused,
    report_fields,
)
from .export_rows import ExportReport, ExportRows
from .message import ParseSettings
from .xml_reads import Reads, first
from .xml_safety import (
    Others,
    XmlRefused,
    check,
    child,
    children,
    declared_encoding,
    iter_elements,
    text_of,
)

log = logging.getLogger(__name__)

ROOT = "cs-objects"
_EXPORT_ERRORS = 'export the errors with csexport "<tenant>.onmicrosoft.com - AAD" file.xml /f:e'
# Where an object's attributes stand, most trusted first: what the cloud has (the last
# successful export), then what the failing export tries to write (a new object has only
# that), then what an import brought in.
_HOLOGRAMS = ("synchronized-hologram", "unapplied-export-hologram", "pending-import-hologram")
# The names this reader reads: csexport writes them in no namespace, so in one they are not
# csexport's (see the module docstring).
_ELEMENTS = frozenset(
    {
        ROOT,
        "cs-object",
        "export-errordetail",
        "export-status",
        "cd-error",
        "error-name",
        "error-literal",
        "server-error-detail",
        "extra-error-details",
        "date-occurred",
        "error-type",
        "entry",
        "attr",
        "value",
        *_HOLOGRAMS,
    }
)
_ATTRIBUTES = frozenset({"cs-dn", "id", "date-occurred", "error-type", "name"})
_MARKS = tuple(
    mark.encode(c)
    for mark in ("xmlns", "xml:")  # a declaration; the prefix xml, bound in every document
    for c in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_SPELLS_MARKS_SO = re.compile(
    r"utf-?(8|16|32)(le|be)?|(us-)?ascii|iso-8859-\d+|latin-?1|windows-125\d"
)
"""Encodings in which "xmlns" and "xml:" can only be the bytes of ``_MARKS``: not UTF-7
(whose "+AHgAbQBsAG4Acw-" is "xmlns"), nor any other that libxml2 may know."""
_NAMES = ("userPrincipalName", "mail", "sourceAnchor")
"""The attributes read (``_attribute``), the first hologram that has one first."""
_WANTED = frozenset(name.casefold() for name in _NAMES)


def _read_attribute(attr: etree._Element) -> bool:
    return (attr.get("name") or "").casefold() in _WANTED


def _attribute_key(attr: etree._Element) -> str | None:
    # ``_attribute`` takes an entry's first attribute of the name whose first value holds
    # text: an attribute without one is skipped, the later ones of the name never reached.
    return (attr.get("name") or "").casefold() if text_of(child(attr, "value")) else None


# What ``_object_errors`` reads of a cs-object; the rest is dropped as the file streams
# (review rev32: a group's member list of a million DNs, or junk, held 816 MB for 24 MB).
# ``child`` reads the first of a name (key ``first``), ``children`` every one.
_TEXT = Reads(text=True, key=first)
_CD_ERROR = Reads(
    children=dict.fromkeys(
        ("error-name", "error-literal", "server-error-detail", "extra-error-details"), _TEXT
    )
)
_DETAIL = Reads(
    children={
        "date-occurred": _TEXT,
        "error-type": _TEXT,
        "export-status": Reads(children={"cd-error": _CD_ERROR}),
        "cd-error": _CD_ERROR,
    }
)
_ATTR = Reads(children={"value": _TEXT}, accept=_read_attribute, key=_attribute_key)
_HOLOGRAM = Reads(children={"entry": Reads(children={"attr": _ATTR}, key=first)}, key=first)
READS = Reads(children={"export-errordetail": _DETAIL} | dict.fromkeys(_HOLOGRAMS, _HOLOGRAM))


def parse_csexport(raw: bytes, source: str, settings: ParseSettings | None = None) -> ParseResult:
    """Parse one csexport ``/f:e`` file; every failure is a ``Rejected``, never an exception."""
    result = read_csexport(raw, source, settings)
    return result.report() if isinstance(result, ExportReport) else result


def read_csexport(
    raw: bytes, source: str, settings: ParseSettings | None = None
) -> ExportReport | Rejected:
    """``parse_csexport``, its errors left as rows (on disk past a few thousand: memory
    does not grow with how many a file lists) until they are read."""
    settings = settings or ParseSettings()
    if not raw or raw.isspace():  # isspace, not strip: no copy of a large file
        return Rejected(
            source=source, source_kind="csexport", code="empty", detail="the input is empty"
        )
    try:
        return _parse(raw, source, settings.max_message_bytes)
    except XmlRefused as refusal:
        return refused(source, "csexport", refusal)
    except Retriable:  # the machine's fault (its rows' temporary file), not the file's
        raise
    except Exception as exc:  # the last guard: a hostile file must never crash a run
        return Rejected(
            source=source,
            source_kind="csexport",
            code="malformed-xml",
            detail=f"the csexport file could not be read ({type(exc).__name__})",
        )


def _parse(raw: bytes, source: str, max_bytes: int) -> ExportReport:
    root = check(raw, max_bytes).root
    if root != ROOT:
        raise XmlRefused(
            "not-an-error-export",
            f"the root element is <{root}>, not <{ROOT}>: this is not csexport output",
        )
    errors = ExportRows(source, "csexport")
    latest = Latest()
    objects = 0
    other_dn = None  # a DN of another connector's form, and no Azure AD one
    aad_dns = 0
    # Objects with errors that name no object, left out: how many, and the first named.
    nameless, first_nameless = 0, ""
    others = Others()

    def plain(element: etree._Element) -> None:
        # Every element of an object as it starts: what ``READS`` does not keep is gone
        # once the object ends (review rev40: an <x:value> in an attribute not read, an
        # <x:cd-error> in an error text, were read as csexport's own). The root first.
        _plain_root(others.root)  # before reading a million objects of another format
        _plain_element(element)

    # A name is in a namespace only where one is declared, or by the prefix xml: with
    # neither in the file there is none to look for, and the look costs a Python call for
    # every element (15-30% of a parse). Only where the file's encoding spells them as
    # ``_MARKS`` does (review rev41: UTF-7's "xmlns" and the undeclared "xml:" passed).
    encoding = declared_encoding(raw)
    spelled = encoding is None or _SPELLS_MARKS_SO.fullmatch(encoding) is not None
    starts = plain if not spelled or any(mark in raw for mark in _MARKS) else None
    # Each object's cd-errors read as they end (one object may list 500,000), kept compact.
    taken = TakenErrors()
    try:
        for element in iter_elements(
            raw, "cs-object", max_bytes, others, READS, starts, taken.take
        ):
            objects += 1
            dn = element.get("cs-dn")
            if immutable_id_from_dn(dn):
                aad_dns += 1
            elif dn and other_dn is None:
                other_dn = dn
            if not _object_errors(element, latest, taken, errors.add):
                nameless += 1
                first_nameless = first_nameless or (
                    dn or element.get("id") or "without cs-dn or id"
                )
            taken.forget(children(element, "export-errordetail"))
    finally:
        taken.close()
    if not objects:
        _plain_root(others.root)
    if not objects and (others.count or others.text):
        # Not the empty <cs-objects/> of an export with nothing failed (blanks, comments):
        # read as "no errors", it would resolve every open problem of the tenant.
        held = (
            f"{others.count} element(s) and not one cs-object (first: {others.first[:60]!r})"
            if others.count
            else f"text and not one cs-object ({others.text!r})"
        )
        raise XmlRefused(
            "not-an-error-export",
            f"<{ROOT}> holds {held}: this is not csexport /f:e output; {_EXPORT_ERRORS}",
        )
    if nameless and not errors:
        raise XmlRefused(
            "not-an-error-export",
            f"{nameless} cs-object(s) have export errors but name no object (no "
            f"CN={{hex}} cs-dn, userPrincipalName, mail or sourceAnchor; first: "
            f"{first_nameless[:60]!r}); {_EXPORT_ERRORS}",
        )
    if nameless:
        log.warning(
            "%s: %d cs-object(s) with export errors left out: they name no object (no "
            "CN={hex} cs-dn, userPrincipalName, mail or sourceAnchor; first: %r)",
            source,
            nameless,
            first_nameless[:60],
        )
    if objects and not errors:
        raise XmlRefused(
            "not-an-error-export",
            f"{objects} cs-object element(s) and not one export-errordetail: the file was "
            f"made with another filter; {_EXPORT_ERRORS}",
        )
    if other_dn and not aad_dns:
        # A complete report must be the Azure AD connector's: another connector's errors
        # (the on-premises AD one, say) would count as the absence of every cloud error.
        raise XmlRefused(
            "not-an-error-export",
            f"the objects are named like {other_dn[:60]!r}, not CN={{hex}}: this is another "
            f"connector's export, not the Azure AD connector's; {_EXPORT_ERRORS}",
        )
    return errors.report(
        report_fields(source=source, source_kind="csexport", complete=True, latest=latest)
    )


def _plain_root(tag: str) -> None:
    """Refuse a ``<cs-objects>`` root in an XML namespace (the module docstring says why)."""
    if tag.startswith("{"):
        raise _namespaced(f"the root <{ROOT}>", etree.QName(tag).namespace)


def _plain_element(element: etree._Element) -> None:
    """Refuse one of csexport's names in an XML namespace: the element's, or one of its
    attributes' when the element's is csexport's. (Run for every element of every object:
    plain names, almost all of them, cost a string test.)"""
    tag = element.tag
    if not isinstance(tag, str) or (tag[0] != "{" and tag not in _ELEMENTS):
        return
    if tag[0] == "{":
        name = etree.QName(tag)
        if name.localname in _ELEMENTS:
            shown = f"{element.prefix}:{name.localname}" if element.prefix else name.localname
            raise _namespaced(f"<{shown}>", name.namespace)
        return
    for key in element.attrib:
        if key[0] == "{":
            attribute = etree.QName(key)
            if attribute.localname in _ATTRIBUTES:
                raise _namespaced(
                    f"the {attribute.localname} attribute of <{tag}>", attribute.namespace
                )


def _namespaced(what: str, namespace: str | None) -> XmlRefused:
    return XmlRefused(
        "not-an-error-export",
        f"{what} is in the XML namespace {(namespace or '')[:60]!r}, and csexport writes its "
        f"names in none: this is another format, not csexport /f:e output; {_EXPORT_ERRORS}",
    )


def _object_errors(
    element: etree._Element,
    latest: Latest,
    taken: TakenErrors,
    add: Callable[[dict[str, Any]], None],
) -> bool:
    """The object's error records given to ``add`` as they are made (an object may list
    hundreds of thousands); False when it has errors but names no object."""
    details = list(children(element, "export-errordetail"))
    if not details:
        return True
    identity = _attribute(element, "userPrincipalName") or _attribute(element, "mail")
    # The DN is the documented carrier of the ImmutableId; the hologram's sourceAnchor holds
    # the same value and stands in when a DN is missing or of another form.
    object_id = immutable_id_from_dn(element.get("cs-dn")) or _attribute(element, "sourceAnchor")
    if identity is None and object_id is None:
        # Filed with neither key, the error would be the whole tenant's "(tenant-level)"
        # problem. Its times are not counted either: they date nothing that is filed.
        return False
    for detail in details:
        latest.add(
            parse_time(detail.get("date-occurred") or text_of(child(detail, "date-occurred")))
        )
        listed = False
        for name, stated, extra in taken.of_detail(detail):
            listed = True
            add(_record(stated or name or "", name, identity, object_id, extra))
        if not listed:
            # An error with no cd-error (a reference-attribute failure, say) is still an
            # error: kept as Unknown with what the file says, never dropped.
            error_type = detail.get("error-type") or text_of(child(detail, "error-type"))
            add(_record(error_type or "export error", None, identity, object_id, None))
    return True


def _record(
    message: str, name: str | None, identity: str | None, object_id: str | None, extra: str | None
) -> dict[str, Any]:
    return error_record(
        message=message,
        error_name=name,
        identity=identity,
        object_id=object_id,
        extra=read_extra_details(extra),
    )


def _attribute(element: etree._Element, name: str) -> str | None:
    """The first value of attribute ``name`` in the first hologram that has it."""
    wanted = name.casefold()
    for hologram_name in _HOLOGRAMS:
        hologram = child(element, hologram_name)
        entry = child(hologram, "entry") if hologram is not None else None
        if entry is None:
            continue
        for attr in children(entry, "attr"):
            if (attr.get("name") or "").casefold() == wanted:
                value = text_of(child(attr, "value"))
                if value:
                    return value
    return None

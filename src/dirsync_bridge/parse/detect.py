"""Which parser an input needs, from its content alone (never its file name). Pure.

Exports arrive under any name (``errors.txt``, ``export (1).xml``, an attachment called
``ATT00001.bin``), so the bytes decide:

- ``evtx``: the evtx file magic ``ElfFile\\0``;
- ``csexport``: XML whose root element is ``<cs-objects>``;
- ``eventlog-xml``: XML whose root element is ``<Events>`` (``wevtutil /e:Events``) or a
  single ``<Event>``;
- ``xml``: any other XML document: no parser takes it, it is refused with a reason;
- ``email``: everything else: the email parser accepts what it can and refuses the rest.

The root is found by scanning the prolog (``xml_safety.read_prolog``), never by parsing,
so a hostile file is recognised as what it pretends to be and then refused by its parser.
An email cannot be mistaken for XML: a message starts with a header line, never with ``<``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from ..models import ParseResult, Rejected, Report
from .file_magic import EVTX_MAGIC
from .message import ParseSettings, parse_message, read_message
from .parsed_report import ParsedReport
from .tenants import TenantRules
from .trust import TrustPolicy
from .xml_safety import XmlRefused, check, read_prolog

InputKind = Literal["email", "csexport", "eventlog-xml", "evtx", "xml"]
_EXPORTS = ("csexport", "eventlog-xml", "evtx")


def detect(raw: bytes) -> InputKind:
    """The kind of input ``raw`` is, by content."""
    if raw.startswith(EVTX_MAGIC):
        return "evtx"
    prolog = read_prolog(raw)
    if prolog is None:
        return "email"
    if prolog.root == "cs-objects":
        return "csexport"
    if prolog.root in ("Events", "Event"):
        return "eventlog-xml"
    return "xml"


def parse_input(
    raw: bytes,
    source: str,
    trust: TrustPolicy | None = None,
    settings: ParseSettings | None = None,
) -> ParseResult:
    """Any input (an email or an export file) to a ``Report`` or a ``Rejected``; never raises."""
    kind = detect(raw)
    if kind == "email":
        return parse_message(raw, source, trust, settings)
    # The export parsers are loaded for exports only: `parse` of report emails, the common
    # case, starts without them.
    from .csexport import parse_csexport
    from .eventlog import parse_event_xml, parse_evtx

    if kind == "csexport":
        return parse_csexport(raw, source, settings)
    if kind == "eventlog-xml":
        return parse_event_xml(raw, source, settings)
    if kind == "evtx":
        return parse_evtx(raw, source, settings)
    return _other_xml(raw, source, settings or ParseSettings())


def _other_xml(raw: bytes, source: str, settings: ParseSettings) -> Rejected:
    # Safety first, so that a hostile file says "unsafe-xml" whatever its root is called.
    try:
        prolog = check(raw, settings.max_message_bytes)
    except XmlRefused as refusal:
        return Rejected(source=source, source_kind=None, code=refusal.code, detail=refusal.detail)
    return Rejected(
        source=source,
        source_kind=None,
        code="not-an-error-export",
        detail=f"XML with root element <{prolog.root}> is neither a csexport file "
        "(<cs-objects>) nor a wevtutil event export (<Events>)",
    )


def read_input(
    raw: bytes,
    source: str,
    trust: TrustPolicy,
    settings: ParseSettings,
    tenants: TenantRules,
) -> ParsedReport | Report | Rejected:
    """``parse_input``, with the report's tenant settled (``TenantRules.apply``), and an
    email's errors left as rows until they are read (``read_message``); never raises."""
    kind = detect(raw)
    if kind in _EXPORTS:
        # An export's errors stay rows too (``export_rows``): a file may list hundreds of
        # thousands.
        from .csexport import read_csexport
        from .eventlog import read_event_xml, read_evtx

        readers = {"csexport": read_csexport, "eventlog-xml": read_event_xml, "evtx": read_evtx}
        exported = readers[kind](raw, source, settings)
        if isinstance(exported, Rejected):
            return exported
        filed = tenants.apply(exported.header)
        if isinstance(filed, Rejected) or filed is exported.header:
            return filed if isinstance(filed, Rejected) else exported
        return replace(exported, fields={**exported.fields, "tenant": filed.tenant}, header=filed)
    if kind != "email":
        result = parse_input(raw, source, trust, settings)
        return result if isinstance(result, Rejected) else tenants.apply(result)
    parsed = read_message(raw, source, trust, settings)
    if isinstance(parsed, Rejected):
        return parsed
    # An email either names its tenant (mapped through the aliases) or keeps none.
    tenant = tenants.canonical(parsed.header.tenant)
    if tenant == parsed.header.tenant:
        return parsed
    return ParsedReport.of({**parsed.fields, "tenant": tenant}, parsed.rows)

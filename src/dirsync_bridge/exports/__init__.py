"""Parsers for the Connect Sync server's export files: the same records as the emails.

``csexport`` reads ``csexport "<connector>" x.xml /f:e`` XML, ``eventlog`` reads event 6941
from ``wevtutil ... /f:RenderedXml /e:Events`` XML and from ``.evtx`` files, ``detect`` tells
those and emails apart by content, and ``xml_safety`` is the only way untrusted XML is read.
All of them are pure (bytes in, ``Report`` or ``Rejected`` out) and never raise.
"""

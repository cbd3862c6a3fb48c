"""The first bytes that name an input's format, read before any parser is loaded.

In a module of its own: ``detect`` sniffs with it without importing the export parsers
(``parse`` of report emails starts without them), and ``eventlog`` checks with the same
bytes without importing ``detect`` (which loads it: an import cycle).
"""

from __future__ import annotations

EVTX_MAGIC = b"ElfFile\x00"
"""A Windows event log file (``.evtx``) starts with these bytes, its file header's magic."""

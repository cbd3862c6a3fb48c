"""What an email's sighting is made of beside its rows: this code and how it is enriched.

A sighting made from unchanged rows by the same code is the same sighting, so an unchanged
report's rows are not made into sightings again (``problem_rows.rows_digest``); any other
code (a release, an edit of a source tree) makes them all once more.
"""

from __future__ import annotations

import hashlib
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

import pydantic

from .enrich.enricher import Enricher


def rows_mark(enricher: Enricher | None) -> str | None:
    """What an email's sighting is made of beside its rows (``problem_rows.rows_digest``):
    this code (``code_digest``) and whether the rules enrich it. None when directories are
    looked up (holders may change while the rows stay), or the code cannot be read: then
    every sighting is made."""
    if enricher is not None and enricher.active:
        return None
    code = _this_code()
    return None if code is None else f"{code}/{'plain' if enricher is None else 'rules'}"


def code_digest(package: Path) -> str | None:
    """A digest of the code that makes a sighting from rows: every Python source of the
    package (the parser, the catalogue, the rules, the models, how details and texts are
    written), the interpreter (its Unicode tables, its JSON) and pydantic. Any release, or
    any edit of a source tree, changes it, and digests kept by other code are not trusted
    (their sightings are made once more). None when there is no source to read (an install
    of compiled files only, or zipped) or one cannot be read as a file."""
    digest = hashlib.sha256(
        f"{sys.version}|{unicodedata.unidata_version}|{pydantic.VERSION}".encode()
    )
    sources = sorted(package.rglob("*.py"))
    try:
        for path in sources:
            if not path.is_file():  # a pipe, a device, a directory: nothing to trust
                return None
            digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:32] if sources else None


@lru_cache(maxsize=1)
def _this_code() -> str | None:
    # The package as imported, not resolved: in an install whose files are links each into
    # a store of its own, resolving would find this file's directory alone.
    return code_digest(Path(__file__).absolute().parent)

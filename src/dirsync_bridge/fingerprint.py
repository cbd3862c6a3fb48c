"""Fingerprints: the stable name of a problem, the same in every era, source and replay.

``fingerprint = sha256(tenant, family, object key)``, written as 64 lower-case hex digits.
The object key is the identity (NFC, case-folded), else the on-premises object id, else the
sorted conflict values, else the normalised message; each is prefixed with what it is so
that an identity can never collide with a message. Nothing that changes between sightings
of the same problem (wording, product names, tracking ids, links) goes in.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from .models import Family, SyncError
from .parse.catalog import PRODUCT

_SEPARATOR = "\x1f"  # the ASCII unit separator: cannot occur in any of the parts
_PRODUCT = re.compile(PRODUCT, re.IGNORECASE)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_TRAILING = re.compile(r"[\s.;:,]+$")


def normalise(text: str | None) -> str:
    """Case-folded, whitespace collapsed."""
    return " ".join((text or "").split()).casefold()


def identity_normal(identity: str | None) -> str:
    """An identity (UPN or mail) as keyed: NFC, then case-folded, whitespace collapsed.

    One source composes an accent ("é"), another decomposes it ("e" and U+0301): the same
    object. NFC (not NFKC: a UPN's compatibility characters are its own) joins them; it is
    the identity on ASCII and on text already NFC, so the fingerprints made before it stay.
    """
    return normalise(unicodedata.normalize("NFC", _visible(identity or "")))


@lru_cache(maxsize=256)  # every fingerprint names its tenant: a report names one
def tenant_normal(name: str | None) -> str:
    """A tenant's name as matched: NFKC, case-folded, whitespace collapsed.

    NFKC joins the spellings a keyboard or a copy makes of one name (composed or decomposed
    accents, full-width letters); it is the identity on ASCII, so the fingerprints of ASCII
    tenants made before it stay as they were (NFKC_Casefold, as Unicode defines it).
    """
    text = unicodedata.normalize("NFKC", _visible(name or ""))
    return normalise(unicodedata.normalize("NFKC", text.casefold()))


def _visible(text: str) -> str:
    """Without format characters (Unicode Cf: zero-width spaces, a byte order mark, bidi
    controls): invisible, they would make one name two. Text without any stays as it is, so
    the fingerprints made before stay."""
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def normalise_message(message: str) -> str:
    """A message with what varies by era taken out: product names, links, final dots."""
    text = _URL.sub("<link>", _PRODUCT.sub("<product>", " ".join(message.split())))
    return _TRAILING.sub("", text).casefold()


def object_key(error: SyncError) -> str:
    """What names the object the error is about, most specific first."""
    return object_key_of(
        error.identity,
        error.object_id,
        (v for c in error.conflicts for v in c.values),
        error.message,
    )


def object_key_of(
    identity: str | None, object_id: str | None, values: Iterable[str], message: str
) -> str:
    """``object_key`` of an error's fields (``values``: its conflicts' values), for errors
    read as plain data (``problem_rows``)."""
    if identity:
        return f"identity:{identity_normal(identity)}"
    if object_id:
        return f"object-id:{object_id.strip()}"
    keyed = sorted({normalise(v) for v in values})
    if keyed:
        return "values:" + ",".join(keyed)
    return f"message:{normalise_message(message)}"


def fingerprint(tenant: str | None, family: Family, key: str) -> str:
    """sha256 over (tenant, family, object key), 64 lower-case hex digits."""
    material = _SEPARATOR.join((tenant_normal(tenant), family, key))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def label(fp: str) -> str:
    """The Jira label that carries a fingerprint: ``dirsync-<first 16 hex>``."""
    return f"dirsync-{fp[:16]}"

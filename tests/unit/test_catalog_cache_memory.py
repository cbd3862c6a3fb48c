"""The catalogue's cache keeps short messages only: a long text is classified, not kept.

``classify`` caches what it makes of a message (a report repeats a few messages many times).
The cache was keyed by the whole text and kept 1,024 of them, each with its cleaned copy:
a process reading plain-text bodies of one 25 MB paragraph kept about 45 MB a body (RSS
118 -> 365 MB over 6 distinct bodies; review rev53). A real Microsoft error message is under
2 KiB (the longest in fixtures/ is 574 characters); a longer text is classified every time it
is met, with the same result. Memory is measured as retained Python allocations
(``tracemalloc``): what is still held once a text or a message has been read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dirsync_bridge.models import KINDS, Kind
from dirsync_bridge.parse import catalog
from dirsync_bridge.parse.catalog import classify

MB = 1_000_000
FIXTURE = Path(__file__).parents[2] / "fixtures" / "reports" / "aadsync_plaintext_only.eml"


def _long_text(n: int) -> str:
    # Distinct per n from its first word; words, one paragraph, no error the catalogue knows.
    return f"text{n} " + "lorem ipsum dolor sit amet " * (MB // 27)


def test_two_distinct_1_mb_texts_are_not_kept_after_they_are_classified() -> None:
    texts = [_long_text(1), _long_text(2)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kinds = [classify(text).kind for text in texts]
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kinds == ["Unknown", "Unknown"]
    # The texts themselves are the caller's (held in ``texts``); the cache kept a cleaned
    # copy of each (about 2 MB) besides its key.
    assert kept < MB // 4


def test_a_short_message_is_still_classified_once() -> None:
    catalog.remembered.cache_clear()
    message = "The provisioned object is too large. Trim the number of attribute values."
    assert classify(message) is classify(message)
    assert catalog.remembered.cache_info().hits == 1


def test_a_text_longer_than_the_bound_is_not_in_the_cache() -> None:
    catalog.remembered.cache_clear()
    classify("x" * (catalog.REMEMBERED_LENGTH + 1))
    classify("The provisioned object is too large." + " " * catalog.REMEMBERED_LENGTH)
    assert catalog.remembered.cache_info().currsize == 0
    classify("x" * catalog.REMEMBERED_LENGTH)
    assert catalog.remembered.cache_info().currsize == 1


_PIECES = st.sampled_from(
    ["The provisioned object is too large", "Unable to update this object because the "
     "following attributes associated with this object have values that may already be "
     "associated", " [ProxyAddresses SMTP:a@contoso.com,smtp:b@contoso.com;]",
     "because the attribute [Mail], is not valid", "Tracking Id: 8f0b1067-a691-4832-b9fe-"
     "9e18f35d835a", "<pii>", "</pii>", " ", "\n", "x" * 700, "\u212a"]
)  # fmt: skip
_STATED = st.none() | st.sampled_from(KINDS)


@given(st.lists(_PIECES, max_size=12).map("".join), _STATED)
def test_the_cached_and_the_uncached_classification_agree(text: str, stated: Kind | None) -> None:
    # Texts on both sides of the bound (the 700-character piece takes them past it).
    assert classify(text, stated) == catalog.classified(text, stated)
    assert classify(text, stated) == classify(text, stated)


_CHILD = r"""
import gc, json, sys, tracemalloc
from pathlib import Path
from dirsync_bridge.parse.detect import read_input
from dirsync_bridge.parse.message import ParseSettings
from dirsync_bridge.parse.tenants import TenantRules
from dirsync_bridge.parse.trust import TrustPolicy

def read(raw):
    result = read_input(
        raw, "big.eml", TrustPolicy(), ParseSettings(),
        TenantRules(default="contoso.onmicrosoft.com"),
    )
    if hasattr(result, "report"):
        result.report()
    return type(result).__name__

raws = [Path(name).read_bytes() for name in sys.argv[1:]]
kinds = [read(raws[0])]  # the first: every module and first-use cache loaded
gc.collect()
tracemalloc.start()
kinds += [read(raw) for raw in raws[1:]]
gc.collect()
raws = None
print(json.dumps({"kinds": kinds, "kept": tracemalloc.get_traced_memory()[0]}))
"""


def test_plain_text_bodies_of_a_long_paragraph_are_not_kept_once_read(tmp_path: Path) -> None:
    # Four distinct bodies, each with a 2 MB paragraph among the report's rows, read in one
    # process: nothing of one is held once the next is read.
    fixture = FIXTURE.read_bytes()
    head, _, tail = fixture.partition(b"grady.archie@contoso.com\n\nUnable")
    names = []
    for n in range(4):
        paragraph = (_long_text(n) * 2).encode()
        path = tmp_path / f"long{n}.eml"
        path.write_bytes(head + paragraph + b"\n\ngrady.archie@contoso.com\n\nUnable" + tail)
        names.append(str(path))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *names], capture_output=True, text=True, check=True
    )
    measured = json.loads(done.stdout)
    assert len(set(measured["kinds"])) == 1, measured["kinds"]
    # Before: about 4 MB kept a body (its paragraph as the cache's key, and cleaned).
    assert measured["kept"] < 2 * MB, measured

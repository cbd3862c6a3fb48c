"""Property: an email's problems named from their rows' plain data (``listed_in_chunks``)
are exactly the problems of its validated errors (``sightings(parsed.report())``), in the
same order, for any cells and any identities the ledger knows: the ledger asserts they
match, so a mismatch is a crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dirsync_bridge.parse.message import read_message
from dirsync_bridge.parse.parsed_report import ParsedReport
from dirsync_bridge.problem import sightings
from dirsync_bridge.problem_rows import listed_in_chunks

from ..reportgen import LARGE, duplicate, quarantine
from .digest_histories import T0, email

weird = st.text(
    alphabet=st.sampled_from(list("aAbB@.-_ \t\u00a0\u200b\u0308\u00fc\ufb01;,[]:=1")),
    max_size=12,
)
messages = st.one_of(
    st.sampled_from([LARGE, duplicate("Mail", "u@c.com"), quarantine("UserPrincipalName", "q@c")]),
    st.builds(
        lambda a, v: duplicate(a, *v),
        st.sampled_from(["Mail", "ProxyAddresses", "x"]),
        st.lists(weird, min_size=1, max_size=3),
    ),
    st.builds(lambda v: quarantine("ProxyAddresses", v), weird),
    weird.map(lambda w: "Unable to update this object " + w),
)
rows = st.lists(st.tuples(weird, weird, messages), min_size=1, max_size=8)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(rows=rows, known=st.dictionaries(weird, weird, max_size=3), chunk=st.integers(1, 3))
def test_plain_naming_matches_validated_naming(rows, known, chunk) -> None:
    found = read_message(email("Contoso", T0, rows, "m@x"), "r.eml")
    if not isinstance(found, ParsedReport):
        return
    known = {k.strip(): v for k, v in known.items() if k.strip()}
    named = [fp for c in listed_in_chunks(found, "k", chunk, known, "m") for fp in c.digests]
    assert named == [s.problem.fingerprint for s in sightings(found.report(), "k", known)]
    for c in listed_in_chunks(found, "k", chunk, known, "m"):
        made = c.make(list(c.digests))
        assert [s.problem.fingerprint for s in made] == list(c.digests)

"""Property: over random histories of generated report emails (late archives, tenant
aliases, enrichment on and off, people resolving and reopening, object-id-only rows, rows
differing only in case, whitespace, Unicode normalisation, tracking ids, repeats), the
digested path ends with exactly the tables of the every-sighting path."""

from __future__ import annotations

import os
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..reportgen import LARGE, duplicate, quarantine
from .digest_histories import Step, both, diff

IDENTITIES = [
    "u1@contoso.com",
    "U1@Contoso.com",
    " u1@contoso.com",
    "u2@contoso.com",
    "",
    "u\u0308@contoso.com",
    "\u00fc@contoso.com",
]
OBJECTS = ["", "OID1", "OID2", "OID3"]
TRACK = "Tracking Id: 0b9c2f8e-1d7a-4c35-9a54-{:012d}"
MESSAGES = [
    duplicate("Mail", "u1@contoso.com"),
    duplicate("Mail", "U1@contoso.com"),
    duplicate("ProxyAddresses", "smtp:u1@contoso.com", "SMTP:x@c.com"),
    duplicate("ProxyAddresses", "SMTP:x@c.com", "smtp:u1@contoso.com"),
    LARGE,
    "  " + LARGE.replace(" ", "  ") + " ",
    quarantine("UserPrincipalName", "q1@contoso.com"),
    LARGE + " " + TRACK.format(1),
    LARGE + " " + TRACK.format(2),
    duplicate("Mail", "u\u0308@contoso.com"),
    duplicate("UserPrincipalName", "u1@contoso.com"),
    duplicate("UserPrincipalName", "u2@contoso.com"),
]
OBJECTS_EXPORTED = [
    ("OID1", "u1@contoso.com", "u1@contoso.com"),
    ("OID2", "u2@contoso.com", "u2@contoso.com"),
    ("OID3", "u3@contoso.com", "u3@contoso.com"),
    ("OID1", "U1@Contoso.com", "x@c.com"),
]

rows = st.lists(
    st.tuples(st.sampled_from(IDENTITIES), st.sampled_from(OBJECTS), st.sampled_from(MESSAGES)),
    max_size=6,
)
report = st.builds(
    Step,
    day=st.integers(0, 6),
    tenant=st.sampled_from(["Contoso", "contoso", "Contoso Ltd", "CONTOSO", "Fabrikam"]),
    rows=rows,
    enrich=st.booleans(),
    holders=st.one_of(st.none(), st.none(), st.integers(0, 2)),
)
export = st.builds(
    Step,
    day=st.integers(0, 6),
    export=st.lists(st.sampled_from(OBJECTS_EXPORTED), min_size=1, max_size=3, unique=True),
    enrich=st.booleans(),
    holders=st.one_of(st.none(), st.integers(0, 2)),
)
person = st.builds(
    Step,
    day=st.integers(0, 6),
    person=st.tuples(st.sampled_from(["resolved", "open"]), st.integers(0, 5)),
)


@st.composite
def histories(draw: st.DrawFn) -> list[Step]:
    base = draw(st.lists(st.one_of(report, report, report, person, export), min_size=2, max_size=9))
    # Repeat some reports' rows on later days: the shortcut's case.
    out: list[Step] = []
    for step in base:
        out.append(step)
        if step.person is None and not step.export:
            for _again in range(draw(st.integers(0, 3))):
                later = draw(
                    st.one_of(
                        st.integers(0, 8), st.integers(1, 3).map(lambda d, day=step.day: day + d)
                    )
                )
                enrich = step.enrich if draw(st.integers(0, 4)) else not step.enrich
                holders = draw(st.one_of(st.none(), st.just(step.holders), st.integers(0, 2)))
                out.append(
                    Step(
                        day=later,
                        tenant=step.tenant,
                        rows=step.rows,
                        enrich=enrich,
                        holders=holders,
                    )
                )
    return out


EXAMPLES = int(os.environ.get("DIGEST_EXAMPLES", "25"))
CHUNK = int(os.environ.get("DIGEST_CHUNK", "0"))


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(steps=histories())
def test_digested_history_ends_as_every_sighting(
    steps: list[Step], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dirsync_bridge import problem_rows
    from dirsync_bridge.ledger import store

    with TemporaryDirectory() as tmp, monkeypatch.context() as m:
        if CHUNK:  # chunk boundaries inside every report
            m.setattr(problem_rows, "CHUNK", CHUNK)
            m.setattr(store, "CHUNK", CHUNK)
        every, digested = both(Path(tmp), monkeypatch, steps)
        assert every == digested, diff(every, digested)

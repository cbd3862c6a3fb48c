"""Property: random histories in two phases, the second with an alias joining two spellings
that were separate tenants in the first (``ledger/joining.py``), reports repeating the
newest's rows (the listing shortcut's case); the digested path ends with the every-sighting
path's tables. ``LISTING_EXAMPLES`` (default 20)."""

from __future__ import annotations

import os
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..reportgen import LARGE, duplicate
from .digest_histories import Step, diff, phased

ROWS = [
    ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com")),
    ("u2@contoso.com", "", LARGE),
    ("u2@contoso.com", "", LARGE + " Contact your administrator."),
    ("", "OID3", duplicate("ProxyAddresses", "smtp:u3@contoso.com")),
    ("u3@contoso.com", "OID3", LARGE),
    ("u4@contoso.com", "", LARGE + " Tracking Id: 0b9c2f8e-1d7a-4c35-9a54-000000000001"),
]
TENANTS = ["Fabrikam", "Fabrikam Ltd"]
ALIAS = 'Fabrikam = ["Fabrikam Ltd"]\n'

report = st.builds(
    Step,
    day=st.integers(0, 8),
    tenant=st.sampled_from(TENANTS),
    rows=st.lists(st.sampled_from(ROWS), max_size=4, unique=True),
    enrich=st.booleans(),
)
person = st.builds(
    Step,
    day=st.integers(0, 8),
    person=st.tuples(st.sampled_from(["resolved", "open"]), st.integers(0, 5)),
)


@st.composite
def repeated(draw: st.DrawFn, size: int) -> list[Step]:
    out: list[Step] = []
    for step in draw(st.lists(st.one_of(report, report, person), min_size=1, max_size=size)):
        out.append(step)
        if step.person is None:
            for _ in range(draw(st.integers(0, 2))):
                out.append(
                    Step(
                        day=step.day + draw(st.integers(0, 2)),
                        tenant=draw(st.sampled_from(TENANTS)),
                        rows=step.rows,
                        enrich=step.enrich,
                    )
                )
    return out


EXAMPLES = int(os.environ.get("LISTING_EXAMPLES", "20"))


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(first=repeated(4), second=repeated(3), join=st.booleans())
def test_phased_histories_end_as_every_sighting(
    first: list[Step], second: list[Step], join: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TemporaryDirectory() as tmp:
        every, digested = phased(
            Path(tmp), monkeypatch, [("", first), (ALIAS if join else "", second)]
        )
        assert every == digested, diff(every, digested)

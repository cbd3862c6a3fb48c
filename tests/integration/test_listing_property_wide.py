"""Property, wider than tests/integration/test_listing_property.py: csexport files teaching
pairs (filed under the default spelling) between email repeats, id-only rows, one message id
used twice, people, an alias joining "Contoso Inc" into "Contoso" in the second phase. The
digested path (listing shortcut, row digests) must end with the every-sighting path's
tables. ``LISTING_EXAMPLES`` (default 25)."""

from __future__ import annotations

import os
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dirsync_bridge.config.settings import Config, load_config

from ..reportgen import LARGE, duplicate
from . import digest_histories
from .digest_histories import Step, diff, phased

ROWS = [
    ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com")),
    ("u2@contoso.com", "", LARGE),
    ("", "OID3", duplicate("ProxyAddresses", "smtp:u3@contoso.com")),
    ("u3@contoso.com", "OID3", LARGE),
    ("", "OID7", LARGE),
    ("u7@contoso.com", "OID7", LARGE),
]
EXPORTS = [
    ("OID3", "u3@contoso.com", "u3@contoso.com"),
    ("OID7", "u7@contoso.com", "u7@contoso.com"),
    ("OID7", "u7b@contoso.com", "u7b@contoso.com"),
]
TENANTS = ["Contoso", "Contoso Inc"]


def wide_config(folder: Path, extra: str = "") -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    aliases = 'Contoso = ["Contoso Inc"]\n' if extra == "JOIN" else ""
    path.write_text(
        f'[state]\npath = "{folder / "state" / "state.db"}"\n'
        "[tickets]\nresolve_after_reports = 2\n"
        '[tenants]\ndefault = "Contoso"\n'
        "[tenants.aliases]\n" + aliases
    )
    return load_config(path)


report = st.builds(
    Step,
    day=st.integers(0, 6),
    tenant=st.sampled_from(TENANTS),
    rows=st.lists(st.sampled_from(ROWS), max_size=4, unique=True),
    enrich=st.booleans(),
    holders=st.one_of(st.none(), st.none(), st.integers(0, 2)),
    msgid=st.one_of(st.just(""), st.just(""), st.sampled_from(["dup1@x", "dup2@x"])),
)
export = st.builds(
    Step,
    day=st.integers(0, 6),
    export=st.lists(st.sampled_from(EXPORTS), min_size=1, max_size=2, unique=True),
)
person = st.builds(
    Step,
    day=st.integers(0, 6),
    person=st.tuples(st.sampled_from(["resolved", "open"]), st.integers(0, 5)),
)


@st.composite
def repeated(draw: st.DrawFn, size: int) -> list[Step]:
    out: list[Step] = []
    for step in draw(
        st.lists(st.one_of(report, report, export, person), min_size=1, max_size=size)
    ):
        out.append(step)
        if step.person is None and not step.export:
            for _ in range(draw(st.integers(0, 2))):
                out.append(
                    Step(
                        day=step.day + draw(st.integers(0, 1)),
                        tenant=draw(st.sampled_from(TENANTS)),
                        rows=step.rows,
                        enrich=step.enrich,
                        holders=draw(st.sampled_from([step.holders, None])),
                    )
                )
    return out


EXAMPLES = int(os.environ.get("LISTING_EXAMPLES", "25"))


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(first=repeated(4), second=repeated(4), join=st.booleans())
def test_wide_phased_histories_end_as_every_sighting(
    first: list[Step], second: list[Step], join: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_histories, "config", wide_config)
    with TemporaryDirectory() as tmp:
        every, digested = phased(
            Path(tmp), monkeypatch, [("", first), ("JOIN" if join else "", second)]
        )
        assert every == digested, diff(every, digested)

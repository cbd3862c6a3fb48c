"""Replays in any order with the incremental lifecycle, under other thresholds than the
defaults and with reports that share a time: the outcome must be the chronological one."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dirsync_bridge.pipeline import replay

from .conftest import make_config, outcome
from .test_replay import _split, without_superseded, write_history

histories = st.integers(3, 9).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.lists(st.sampled_from([None, None, "A", "A", "B", "Q"]), min_size=4, max_size=4),
            min_size=n,
            max_size=n,
        ),
        # Reports at the same time (0), a few hours apart, or longer than the reopen window.
        st.lists(st.sampled_from([0, 0, 3, 24, 24 * 3]), min_size=n, max_size=n),
        st.randoms(use_true_random=False),
        st.integers(1, 2),
    )
)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories)
def test_any_order_with_other_thresholds_and_reports_sharing_a_time_ends_as_chronological(
    tmp_path_factory: object,
    history: tuple[list[list[str | None]], list[int], random.Random, int],
) -> None:
    rows, gaps, rng, resolve_after = history
    base = Path(tmp_path_factory.mktemp("history"))  # type: ignore[attr-defined]
    paths = write_history(base / "mail", rows, gaps)
    rules = {"resolve_after_reports": resolve_after, "reopen_within": "2d"}

    chronological = make_config(base / "chronological", **rules)
    replay(paths, chronological)
    expected = outcome(chronological)

    shuffled = paths[:]
    rng.shuffle(shuffled)
    one_run = make_config(base / "one-run", **rules)
    replay(shuffled, one_run)
    assert outcome(one_run) == expected, [p.name for p in shuffled]

    shuffled = paths[:]
    rng.shuffle(shuffled)
    runs = rng.randint(1, len(shuffled))
    cuts = sorted(rng.sample(range(1, len(shuffled)), runs - 1)) if runs > 1 else []
    several = make_config(base / "several", **rules)
    for chunk in _split(shuffled, cuts):
        replay(chunk, several)
    assert without_superseded(outcome(several)) == expected, ([p.name for p in shuffled], cuts)

"""From a hostile review: a TOML boolean for a duration is taken as 0 or 1 second, not refused.

339b3ae made a boolean for a count or a timeout a config error ("lax pydantic reads it as
1"); the duration keys (retry_for, search_lag, reopen_within, first_run_lookback, overlap)
still read ``true`` as one second and ``false`` as zero. parse_duration's comment says
"pydantic refuses it in its own words", but pydantic's lax timedelta takes a bool as an int.
Should be: exit 2, one line naming the file and the key, nothing made.
Now a boolean is refused for a duration, as for a count or a timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_config_bounds import replay_with


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("jira", "retry_for", "true"),
        ("graph", "retry_for", "true"),
        ("jira", "search_lag", "false"),
        ("tickets", "reopen_within", "false"),
        ("tickets", "reopen_within", "true"),
    ],
)
def test_a_boolean_for_a_duration_is_a_config_error(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    conf, done = replay_with(tmp_path, section, key, value)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert f"{conf}: {section}.{key}" in done.stderr, done.stderr
    assert not (tmp_path / "state").exists()

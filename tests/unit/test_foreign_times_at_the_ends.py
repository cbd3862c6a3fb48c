"""Times from Jira and LDAP that are times, but past the ends of ``datetime`` once in UTC.

``9999-12-31T23:59:59-01:00`` parses, then overflows when converted to UTC: each reader
must treat it as it treats any unreadable time (Jira's as no date, LDAP's as a ValueError
its caller reports against the entry), never let OverflowError escape as an internal error.
"""

from __future__ import annotations

import pytest

from dirsync_bridge.models.holders import generalized_time
from dirsync_bridge.sinks.jira_wire import jira_time


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59.000-0100",
        "0001-01-01T00:00:00.000+0100",
        "9999-12-31T23:59:59-0100",
    ],
)
def test_a_jira_date_past_the_ends_of_time_is_no_date(text: str) -> None:
    assert jira_time(text) is None  # documented: None when unreadable


def test_a_jira_date_near_the_ends_of_time_is_still_read() -> None:
    assert jira_time("9999-12-31T23:59:59.000+0000") is not None


@pytest.mark.parametrize("text", ["99991231235959.0-0100", "00010101000000.0+0100"])
def test_an_ldap_time_past_the_ends_of_time_is_a_value_error(text: str) -> None:
    # holders catches ValueError only (the entry's fault); OverflowError was exit 70.
    with pytest.raises(ValueError, match="past the range"):
        generalized_time(text)


def test_an_ldap_time_at_the_last_instant_is_still_read() -> None:
    assert generalized_time("99991231235959.9Z").year == 9999

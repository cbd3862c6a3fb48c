"""Which of Jira's issue link types ``[jira] link_type`` names (``sinks/jira_links.py``)."""

from __future__ import annotations

import pytest

from dirsync_bridge.errors import ConfigError
from dirsync_bridge.sinks.jira_links import match_link_type

RELATES = {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"}


@pytest.mark.parametrize("wanted", ["Relates", "relates to", "RELATES TO"])
def test_a_type_is_found_by_its_name_or_its_words(wanted: str) -> None:
    assert match_link_type(wanted, [RELATES]) == "Relates"


def test_a_type_answered_without_a_name_is_passed_over_not_an_internal_error() -> None:
    # Review rev31: a type that matched by its words but came without "name" was a KeyError
    # (exit 70); a link is made by the type's name, so such a type cannot be used.
    nameless = {"id": "10004", "inward": "relates to", "outward": "relates to"}
    assert match_link_type("relates to", [nameless, RELATES]) == "Relates"
    with pytest.raises(ConfigError) as refused:
        match_link_type("relates to", [nameless, {**nameless, "name": None}])
    assert "[jira] link_type" in str(refused.value) and "\n" not in str(refused.value)

"""One Jira search's pages, guarded (``sinks/jira_paging.Paging``): pure, page JSON in.

End to end through the simulator: ``tests/integration/test_jira_search_paging.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from dirsync_bridge.errors import Retriable
from dirsync_bridge.sinks import jira_paging
from dirsync_bridge.sinks.jira_paging import Paging


def page(*keys: str, **more: Any) -> dict[str, Any]:
    return {"issues": [{"key": key, "fields": {}} for key in keys], **more}


def test_a_token_is_followed_once() -> None:
    paging = Paging()
    assert paging.next_token(page("OPS-1", nextPageToken="a")) == "a"
    assert paging.next_token(page("OPS-2", nextPageToken="b")) == "b"
    with pytest.raises(Retriable, match="nextPageToken repeats a page already read"):
        paging.next_token(page("OPS-3", nextPageToken="a"))


def test_the_last_page_has_no_token() -> None:
    assert Paging().next_token(page("OPS-1", isLast=True)) is None
    assert Paging().next_token(page("OPS-1", nextPageToken="")) is None


def test_a_page_of_issues_all_read_before_ends_the_search() -> None:
    paging = Paging()
    assert [i["key"] for i in paging.issues(page("OPS-1", "OPS-2"))] == ["OPS-1", "OPS-2"]
    assert [i["key"] for i in paging.issues(page("OPS-2", "OPS-3"))] == ["OPS-2", "OPS-3"]
    with pytest.raises(Retriable, match="repeats issues already read"):
        paging.issues(page("OPS-3", "OPS-1"))


def test_a_search_of_endless_new_pages_ends_at_max_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jira_paging, "MAX_PAGES", 5)
    paging = Paging()
    for n in range(5):
        paging.issues(page(f"OPS-{n}"))
        paging.next_token(page(f"OPS-{n}", nextPageToken=f"t{n}"))
    with pytest.raises(Retriable, match="more than 5 pages"):
        paging.issues(page("OPS-99"))


@pytest.mark.parametrize(
    "odd",
    [None, {}, {"id": "1"}, {"key": ""}, {"key": 7}, "OPS-1", {"key": "OPS-1", "fields": []}],
)
def test_an_item_that_is_not_an_issue_is_an_answer_that_cannot_be_read(odd: Any) -> None:
    with pytest.raises(Retriable, match="an answer that cannot be read"):
        Paging().issues({"issues": [{"key": "OPS-2"}, odd]})


@pytest.mark.parametrize("total", [None, "12", True, -1, 1.5])
def test_a_total_that_is_not_a_count_cannot_be_read(total: Any) -> None:
    with pytest.raises(Retriable, match="a total that is not a count"):
        Paging().total(page("OPS-1", total=total))
    assert Paging().total(page("OPS-1", total=12)) == 12

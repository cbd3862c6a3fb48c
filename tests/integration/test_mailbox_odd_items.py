"""A mailbox listing page holding an item Graph would never send (null, no id, no
``receivedDateTime``, a date that is not one or is past the end of time, ``from`` not an
object): the rest is read and ticketed, the watermark stays before it, and the pass ends 75
in one line; never an internal error (exit 70), never a pass that reads nothing while the
item stays listed."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError, Retriable
from dirsync_bridge.pipeline import run

from ..conftest import REPORTS
from ..simulators.graph import mail
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from .test_mailbox_future_changes import cursor
from .test_run import ENV, NOW, folder_of, run_config

pytestmark = pytest.mark.usefixtures("ca_bundle_env")

ODD_ITEMS = {
    "null-item": None,
    "no-received": {"id": "AAMk-odd-1", "lastModifiedDateTime": "2020-01-01T00:00:00Z"},
    "received-not-a-date": {
        "id": "AAMk-odd-2",
        "receivedDateTime": "yesterday",
        "lastModifiedDateTime": "2020-01-01T00:00:00Z",
    },
    "from-a-string": {
        "id": "AAMk-odd-3",
        "receivedDateTime": "2020-01-01T00:00:00Z",
        "lastModifiedDateTime": "2020-01-01T00:00:00Z",
        "from": "someone",
    },
    "no-id": {"receivedDateTime": "2020-01-01T00:00:00Z"},
    # A time, but past the last day once in UTC: OverflowError, not ValueError (was exit 70).
    "received-past-the-end-of-time": {
        "id": "AAMk-odd-4",
        "receivedDateTime": "9999-12-31T23:59:59-01:00",
        "lastModifiedDateTime": "2020-01-01T00:00:00Z",
    },
    "modified-past-the-end-of-time": {
        "id": "AAMk-odd-5",
        "receivedDateTime": "2020-01-01T00:00:00Z",
        "lastModifiedDateTime": "9999-12-31T23:59:59-01:00",
    },
}


def list_with(monkeypatch: Any, odd: Any) -> None:
    """Every listing page of the simulator's mailbox holds ``odd`` first."""
    real = mail._list

    def with_odd(req, box, folder, ctx):  # type: ignore[no-untyped-def]
        reply = real(req, box, folder, ctx)
        if isinstance(reply.body, dict) and isinstance(reply.body.get("value"), list):
            reply.body["value"] = [odd, *reply.body["value"]]
        return reply

    monkeypatch.setattr(mail, "_list", with_odd)


@pytest.mark.parametrize("odd", list(ODD_ITEMS.values()), ids=list(ODD_ITEMS))
def test_an_odd_item_in_a_listing_page_is_one_line_not_an_internal_error(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any, odd: Any
) -> None:
    """A listing page holding one item Graph would never send (null, no receivedDateTime, a
    date that is not one or is past the end of time, ``from`` not an object, no id): not an
    internal error (exit 70 from a KeyError or an OverflowError) on every pass, and not a
    reason to read nothing while it stays listed.
    The rest of the page is read and ticketed, then the pass ends 75 naming it in one line;
    the watermark stays before it, so each pass lists it again; once it is gone, 0."""
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    msg = graph_sim.add_message(MAILBOX, "inbox", report, received=NOW - timedelta(hours=1))
    list_with(monkeypatch, odd)
    config = run_config(graph_sim, tmp_path / "state")
    with pytest.raises(Retriable, match="1 listed item") as raised:
        run(config, env=ENV)
    assert "\n" not in str(raised.value)
    assert folder_of(graph_sim, msg.id) == "elsewhere"
    # Met before the report on the page: the watermark stays before the report too.
    assert cursor(config) < NOW - timedelta(hours=1)
    with pytest.raises(Retriable, match="1 listed item"):
        run(config, env=ENV)  # still listed: still said
    monkeypatch.undo()
    again = run(config, env=ENV)
    assert again.created == 0 and again.fatal == [], (again.created, again.problems)


def test_an_odd_item_listed_before_a_report_does_not_hide_it(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """The odd item on every page of every pass (it never goes away): each pass still reads
    the report delivered after it, once."""
    list_with(monkeypatch, ODD_ITEMS["no-received"])
    config = run_config(graph_sim, tmp_path / "state")
    with contextlib.suppress(DirsyncBridgeError):
        run(config, env=ENV)
    report = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    msg = graph_sim.add_message(MAILBOX, "inbox", report)
    with pytest.raises(Retriable):
        run(config, env=ENV)
    assert folder_of(graph_sim, msg.id) == "elsewhere"

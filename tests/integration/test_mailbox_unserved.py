"""One message Graph never serves (its ``/$value`` answered empty for ever) while Graph
serves the rest: that message stays unread and owed (the pass ends 75 naming it, the
watermark stays before it), but it does not block the reports delivered after it
(mailbox.py: an ``Unserved`` message is passed over, as an odd listed item is)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge.errors import DirsyncBridgeError, Retriable, Unserved
from dirsync_bridge.pipeline import run

from ..conftest import REPORTS
from ..simulators.graph import mail
from ..simulators.graph.faults import DROP, HTML, TRUNCATE
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from ..simulators.graph.wire import Reply
from .test_graph_faults import Waits, client, deliver, source
from .test_mailbox_future_changes import cursor
from .test_run import ENV, NOW, folder_of, run_config

pytestmark = pytest.mark.usefixtures("ca_bundle_env")


def never_serve(monkeypatch: Any, message: Any) -> dict[str, int]:
    """Every ``/$value`` of ``message`` (by either of its ids) answered with an empty 200."""
    ids = {message.id.casefold(), message.immutable_id.casefold()}
    real = mail.route
    served = {"empty": 0}

    def route(req, ctx):  # type: ignore[no-untyped-def]
        if (
            req.method == "GET"
            and req.segments[-1:] == ["$value"]
            and ids & {s.casefold() for s in req.segments}
        ):
            served["empty"] += 1
            return Reply(200, b"", content_type="text/plain")
        return real(req, ctx)

    monkeypatch.setattr(mail, "route", route)
    return served


def test_one_message_never_served_does_not_block_every_later_report_for_ever(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """Report A's /$value is answered empty for ever; report B, delivered an hour later, is
    served fine. B is read, ticketed and moved by the first pass; A stays in the inbox,
    unread, and every pass ends 75 naming A, the watermark before A (so each lists it)."""
    first = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    a = graph_sim.add_message(MAILBOX, "inbox", first, received=NOW - timedelta(hours=3))
    later = sorted(REPORTS.glob("aadconnect_*.eml"))[0].read_bytes()
    b = graph_sim.add_message(MAILBOX, "inbox", later, received=NOW - timedelta(hours=2))
    served = never_serve(monkeypatch, a)
    config = run_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"graph": config.graph.model_copy(update={"retry_for": timedelta(seconds=1)})}
    )
    with pytest.raises(Retriable, match=rf"read \S+{a.immutable_id[-16:]}: .*empty body"):
        run(config, env=ENV)
    assert folder_of(graph_sim, b.id) == "elsewhere", "report B never read: blocked behind A"
    assert cursor(config) <= graph_sim.message(a.id).modified  # A is listed again
    for _ in range(2):
        with contextlib.suppress(DirsyncBridgeError):
            run(config, env=ENV)
    assert served["empty"] >= 3
    assert folder_of(graph_sim, a.id) == "inbox"  # A: not read, not marked
    assert tuple(graph_sim.message(a.id).categories) == ()


def test_the_pass_still_ends_75_while_a_is_never_served(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """A alone never served is 75 each pass."""
    first = (REPORTS / "aadsync_th_thead.eml").read_bytes()
    a = graph_sim.add_message(MAILBOX, "inbox", first, received=NOW - timedelta(hours=3))
    never_serve(monkeypatch, a)
    config = run_config(graph_sim, tmp_path / "state")
    config = config.model_copy(
        update={"graph": config.graph.model_copy(update={"retry_for": timedelta(seconds=1)})}
    )
    with pytest.raises(Retriable, match="empty body"):
        run(config, env=ENV)


@pytest.mark.parametrize("fault", [HTML], ids=["html-page"])
def test_a_value_whose_own_answer_never_heals_is_unserved(
    graph_sim: GraphSimulator, fault: int
) -> None:
    """The message's own answer broken past the budget (Graph answered 2xx): ``Unserved``,
    so the pass goes on to the next message."""
    (message,) = deliver(graph_sim, 1)
    graph = client(graph_sim, Waits())
    graph_sim.faults.path_contains = "/$value"
    graph_sim.faults.fail_next(fault, times=50)
    with pytest.raises(Unserved, match="the next run retries"):
        source(graph).raw(message)
    graph.close()


@pytest.mark.parametrize(
    "fault", [503, 429, DROP, TRUNCATE], ids=["503", "429", "dropped", "cut-off-body"]
)
def test_graph_failing_past_the_budget_is_not_unserved(
    graph_sim: GraphSimulator, fault: int
) -> None:
    """Graph itself failing (5xx/429, no answer, bodies cut off mid-way: a link or a proxy
    failing): a plain ``Retriable``, so the pass stops there rather than spend the retry
    budget again on every later message (from a review: a cut body was once Unserved, and a
    pass where every body was cut spent the budget on each message)."""
    (message,) = deliver(graph_sim, 1)
    graph = client(graph_sim, Waits())
    graph_sim.faults.path_contains = "/$value"
    graph_sim.faults.fail_next(fault, times=50)
    with pytest.raises(Retriable) as raised:
        source(graph).raw(message)
    assert not isinstance(raised.value, Unserved), raised.value
    graph.close()

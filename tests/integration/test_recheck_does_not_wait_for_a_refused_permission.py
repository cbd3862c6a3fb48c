"""The upgrade's re-check does not wait for ever for a look-up refused for good.

Hostile review rev25: an app granted User.Read.All and GroupMember.Read.All but not
OrgContact.Read.All (a common least-privilege grant; the tool only warns) has every contact
look-up refused 403, every pass. The re-check waited "for every look-up" each pass, so a
wrong verification stood for ever, though Graph plainly showed another synced object holding
ann@contoso.com. A 403 is a permission the app lacks: it does not postpone the re-check (the
conflict is not shown cleared; the comment names the permission). A look-up that failed for
now still postpones it (``test_a_failed_lookup_still_postpones_the_recheck``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from dirsync_bridge import verify
from dirsync_bridge.config.settings import Config
from dirsync_bridge.enrich.cloud import CloudDirectory
from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import run
from dirsync_bridge.ports import Ledger as LedgerPort

from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import CLIENT_ID, CLIENT_SECRET, TENANT_ID
from .conftest import local_tickets
from .test_verified_before_the_fix_is_rechecked import (
    ENV,
    _as_before_the_upgrade,
    _config,
    _directory,
    _verified_by_the_old_rule,
)


def _downgraded_granting_only(graph_sim: GraphSimulator, cfg: Config, roles: set[str]) -> None:
    """The state put back as the earlier release left it (the next run upgrades it), and the
    app granted only ``roles`` from now on."""
    _as_before_the_upgrade(cfg.state.path)
    graph_sim.register_app(TENANT_ID, CLIENT_ID, secret=CLIENT_SECRET, roles=roles)


def test_a_permanently_refused_lookup_type_does_not_postpone_the_recheck_for_ever(
    tmp_path: Path,
    graph_sim: GraphSimulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _directory(graph_sim)
    cfg = _config(tmp_path, graph_sim)
    _verified_by_the_old_rule(cfg, monkeypatch)
    _downgraded_granting_only(
        graph_sim, cfg, {"Mail.ReadWrite", "User.Read.All", "GroupMember.Read.All"}
    )
    caplog.clear()
    reopened = sum(run(cfg, env=ENV).reopened for _ in range(3))
    said = [r.getMessage() for r in caplog.records]
    assert any("contacts look-ups refused" in m for m in said), said
    assert not any("waits for every look-up" in m for m in said), said
    ledger = Ledger.open(cfg.state.path)
    try:
        still_due = ledger.verified_to_recheck()
    finally:
        ledger.close()
    assert reopened == 1, f"after 3 passes: reopened {reopened}, re-check still due: {still_due}"
    assert still_due is None
    (ann,) = [t for t in local_tickets(cfg) if "ann@contoso.com" in t.content.summary]
    (unverified,) = [c for c in ann.comments.values() if "earlier verification" in c]
    assert "OrgContact.Read.All" in unverified, unverified
    # bob's verification was right, and a contact (all the refused look-ups could show) is
    # never the reported object under either rule: it stands.
    (bob,) = [t for t in local_tickets(cfg) if "bob@contoso.com" in t.content.summary]
    assert bob.status == "resolved"


class _Cloud:
    """A directory whose look-ups of every value failed for now (a 503 past the budget)."""

    def unavailable(self, value: str) -> list[str]:
        return [f"cloud contacts: HTTP 503 ({value})"]

    def refused(self, value: str) -> list[str]:
        return []


class _Ledger:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    def rechecked(self, wrong: Any, at: datetime) -> None:
        self.calls.append(wrong)


def test_a_failed_lookup_still_postpones_the_recheck(caplog: pytest.LogCaptureFixture) -> None:
    ledger = _Ledger()
    again = [verify._Candidate("fp", 0, "ann@contoso.com", ["ann@contoso.com"], ["id"])]
    verify._recheck(
        cast(LedgerPort, ledger), cast(CloudDirectory, _Cloud()), again, datetime.now(UTC)
    )
    assert ledger.calls == []  # not done: the next pass re-checks
    assert any("waits for every look-up" in r.getMessage() for r in caplog.records)


def test_with_user_lookups_refused_no_earlier_verification_is_shown_and_all_reopen(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Users are where the rules differ: refused, the reported object is not found, so no
    verification is upheld; each is withdrawn, at once, naming User.Read.All."""
    _directory(graph_sim)
    cfg = _config(tmp_path, graph_sim)
    _verified_by_the_old_rule(cfg, monkeypatch)
    _downgraded_granting_only(
        graph_sim, cfg, {"Mail.ReadWrite", "GroupMember.Read.All", "OrgContact.Read.All"}
    )
    assert run(cfg, env=ENV).reopened == 2
    for ticket in local_tickets(cfg):
        (unverified,) = [c for c in ticket.comments.values() if "earlier verification" in c]
        assert "User.Read.All" in unverified, unverified

"""A Graph provisioning-error scan against the simulator with 50 ms latency per request.

5,000 objects in error (4,000 users, 600 groups, 400 contacts) among 6,000 objects. The
figures: requests against the minimum (the pages of the three filtered listings, plus
``/organization``); the wall time against its latency floor (the pages of one listing follow
each other's ``@odata.nextLink``, so the floor is the longest listing's pages times the
latency; the listings run side by side) and against the same scan at 0 ms (the time spent
serving and reading 5,000 objects), best of five each (the simulator shares this process
and its two cores); then the same scan when Graph refuses the filter (every object read,
paged); then ``run`` as cron runs it, twice: the first pass opens the tickets, the second
(nothing changed) must cost the same requests and write nothing.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.simulators.graph.fixtures import tool_settings
from tests.simulators.graph.server import GraphSimulator
from tests.simulators.graph.tenant import CLIENT_SECRET

from dirsync_bridge import bootstrap
from dirsync_bridge.config.settings import Config
from dirsync_bridge.models import Report
from dirsync_bridge.pipeline import run
from dirsync_bridge.run_summary import RunSummary
from dirsync_bridge.sources.provisioning import PAGE_SIZE

LATENCY = 0.05
IN_ERROR = {"users": 4_000, "groups": 600, "contacts": 400}
CLEAN_USERS = 1_000
ENV = {"DIRSYNC_GRAPH_SECRET": CLIENT_SECRET}
WHEN = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def conflict(n: int, attribute: str = "ProxyAddresses") -> dict[str, Any]:
    return {
        "category": "PropertyConflict",
        "occurredDateTime": WHEN,
        "propertyCausingError": attribute,
        "value": f"smtp:dup{n}@contoso.com",
    }


def populate(sim: GraphSimulator) -> None:
    for n in range(IN_ERROR["users"]):
        sim.add_user(
            f"user{n}@contoso.com",
            on_premises_immutable_id=f"id{n}==",
            provisioning_errors=[conflict(n)],
        )
    for n in range(CLEAN_USERS):
        sim.add_user(f"clean{n}@contoso.com")
    for n in range(IN_ERROR["groups"]):
        sim.add_group(f"Group {n}", mail=f"g{n}@contoso.com", provisioning_errors=[conflict(n)])
    for n in range(IN_ERROR["contacts"]):
        sim.add_contact(f"Contact {n}", provisioning_errors=[conflict(n)])


def config_for(sim: GraphSimulator, tmp: Path) -> Config:
    return Config.model_validate(
        {
            "state": {"path": str(tmp / "state" / "state.db")},
            "graph": tool_settings(sim),
            "source": {"provisioning_errors": {"enabled": True}},
            # Holder look-ups are enrichment's (bench/enrich_bench.py): off, so that the
            # figures are the scan's own.
            "enrich": {"cloud": {"enabled": False}},
        }
    )


def scan_once(sim: GraphSimulator, config: Config) -> tuple[Report, int, float]:
    """One scan by the source alone: the report, the Graph requests it made, the wall."""
    summary = RunSummary()
    sim.reset_log()
    with bootstrap.build(config, ENV, dry_run=True, graph=True, enrich=False) as parts:
        assert parts.graph is not None
        parts.graph.token()  # the sign-in is not the scan's
        source = bootstrap.run_source(config, parts)
        began = time.perf_counter()
        (report,) = [r for r in source.messages(summary) if isinstance(r, Report)]
        elapsed = time.perf_counter() - began
    return report, len(sim.log.graph()), elapsed


def best_scan(sim: GraphSimulator, config: Config, latency: float) -> tuple[int, float]:
    """Requests and the best wall time of five scans at this latency."""
    sim.faults.latency = latency
    walls, requests = [], 0
    for _ in range(5):
        report, requests, elapsed = scan_once(sim, config)
        assert report.complete and len(report.errors) == sum(IN_ERROR.values())
        walls.append(elapsed)
    return requests, min(walls)


def bench_provisioning() -> None:
    with GraphSimulator(seed=1, mailbox=None) as sim, tempfile.TemporaryDirectory() as tmp:
        populate(sim)
        config = config_for(sim, Path(tmp))
        total = sum(IN_ERROR.values())

        _, served = best_scan(sim, config, 0.0)
        requests, elapsed = best_scan(sim, config, LATENCY)
        pages = {kind: math.ceil(n / PAGE_SIZE) for kind, n in IN_ERROR.items()}
        minimum = 1 + sum(pages.values())
        chain = max(pages.values()) * LATENCY
        print(
            f"graph provisioning scan: {total:,} objects in error (of "
            f"{total + CLEAN_USERS:,}), {LATENCY * 1000:.0f} ms/request: {requests} requests "
            f"vs minimum {minimum} (the pages, plus /organization); wall {elapsed:.2f} s vs "
            f"latency floor {chain:.2f} s (users' {max(pages.values())} pages in a row; all "
            f"{requests} in a row: {requests * LATENCY:.2f} s) + {served:.2f} s serving and "
            f"reading them (the same scan at 0 ms), ratio {elapsed / (chain + served):.2f}"
        )

        sim.refuse_filter("onPremisesProvisioningErrors")
        logging.getLogger("dirsync_bridge").setLevel(logging.ERROR)  # the fallback's warnings
        sim.faults.latency = LATENCY
        report, requests, elapsed = scan_once(sim, config)
        assert report.complete and len(report.errors) == total
        every = {"users": IN_ERROR["users"] + CLEAN_USERS} | {
            k: v for k, v in IN_ERROR.items() if k != "users"
        }
        floor = 1 + sum(1 + math.ceil(n / PAGE_SIZE) for n in every.values())
        print(
            f"graph provisioning scan, filter refused: {requests} requests vs minimum {floor} "
            f"(a refused request and the pages of every object, per type), wall {elapsed:.2f} s"
        )
        sim.directory.refused_filters.clear()
        logging.getLogger("dirsync_bridge").setLevel(logging.NOTSET)

        sim.reset_log()
        began = time.perf_counter()
        first = run(config, env=ENV)
        wall = time.perf_counter() - began
        assert first.created == total, first
        requests = len(sim.log.graph())
        print(
            f"graph provisioning run, first pass: {first.created:,} tickets created, "
            f"{requests} Graph requests, wall {wall:.1f} s"
        )
        sim.reset_log()
        began = time.perf_counter()
        second = run(config, env=ENV)
        wall = time.perf_counter() - began
        writes = second.created + second.commented + second.updated + second.resolved
        print(
            f"graph provisioning run, second pass (nothing changed): {len(sim.log.graph())} "
            f"Graph requests (the same {minimum}), {writes} ticket writes (target 0), "
            f"wall {wall:.1f} s"
        )


if __name__ == "__main__":
    bench_provisioning()

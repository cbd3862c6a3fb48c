"""Cloud look-ups for a report with 500 conflicting values, 50 ms latency per request.

Batched (twenty look-ups to a ``$batch``, four in flight) against the same look-ups made one
request each (also four in flight), in the same run against the same simulator.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

from tests.simulators.graph.server import GraphSimulator
from tests.simulators.graph.tenant import CLIENT_ID, CLIENT_SECRET, TENANT_ID

from dirsync_bridge.config.settings import GraphSettings
from dirsync_bridge.enrich.cloud import CloudDirectory, lookup_url
from dirsync_bridge.graph.client import MAX_IN_FLIGHT, GraphClient

LATENCY = 0.05
VALUES = 500
TYPES = ("user", "group", "contact")


def bench_enrich() -> None:
    with GraphSimulator(seed=1) as sim:
        for n in range(0, VALUES, 10):  # every tenth value has a cloud holder
            sim.add_user(f"holder{n}@contoso.com", proxy_addresses=[f"smtp:v{n}@contoso.com"])
        settings = GraphSettings(
            tenant_id=TENANT_ID,
            client_id=CLIENT_ID,
            authority_url=sim.url,
            graph_url=sim.url,
            ca_bundle=sim.ca_path,
        )
        values = [f"SMTP:v{n}@contoso.com" for n in range(VALUES)]
        lookups = len(values) * len(TYPES)
        client = GraphClient(settings, CLIENT_SECRET)
        client.token()
        sim.faults.latency = LATENCY

        sim.reset_log()
        began = time.perf_counter()
        directory = CloudDirectory(client)
        directory.prefetch(values)
        batched = time.perf_counter() - began
        batched_requests = len(sim.log.graph())
        found = sum(len(directory.holders(v)) for v in values)
        assert found == VALUES // 10, found

        sim.reset_log()
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            answers = list(
                pool.map(
                    lambda args: client.get_json(lookup_url(*args), what="look up"),
                    [(t, v) for v in values for t in TYPES],
                )
            )
        single = time.perf_counter() - began
        single_requests = len(sim.log.graph())
        assert sum(len(a["value"]) for a in answers) == found
        client.close()
    print(
        f"enrich: {VALUES} values ({lookups} look-ups), {LATENCY * 1000:.0f} ms/request: "
        f"{batched_requests} requests (target {math.ceil(lookups / 20)}), wall {batched:.1f} s; "
        f"one request per look-up: {single_requests} requests, wall {single:.1f} s; "
        f"ratio {single / batched:.1f}x"
    )


if __name__ == "__main__":
    bench_enrich()

"""A message's ``/$value`` trickling in (a stalled proxy), in a real process: each piece comes
well within ``[graph] timeout``, so no single read times out (found by hostile review
rev37). A download may take ``timeout`` plus one second for every 64 KiB received
(``http_bodies.MIN_RATE``); slower, it is a transport failure, as a body cut off mid-way."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from ..simulators.graph import https
from ..simulators.graph.server import GraphSimulator
from .test_cli_run import cli, config_file, deliver


def test_a_message_that_trickles_in_ends_the_pass_75_and_the_next_pass_reads_it(
    tmp_path: Path, graph_sim: GraphSimulator, monkeypatch: Any
) -> None:
    """The report (2.7 KB) sent a byte every 0.1 s: 4.5 minutes, each read within 5 s.
    Past ``timeout`` (5 s) + 2.7 KB at 64 KiB/s it is late: retried within ``retry_for``,
    then the pass ends 75, nothing recorded; the next pass, served whole, reads it."""
    deliver(graph_sim)
    graph_sim.faults.chunked = True  # every answer through ``_send_chunked``
    whole = https.Handler._send_chunked
    trickling = True

    def trickle(self: https.Handler, data: bytes, *, cut: bool) -> None:
        if not (trickling and "/$value" in self.path):
            whole(self, data, cut=cut)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for byte in data:
            self.wfile.write(b"1\r\n%s\r\n" % bytes([byte]))
            self.wfile.flush()
            time.sleep(0.1)
        self.wfile.write(b"0\r\n\r\n")

    monkeypatch.setattr(https.Handler, "_send_chunked", trickle)
    config = config_file(tmp_path, graph_sim.url, graph_sim.ca_path)  # timeout 5, retry_for 3s
    try:
        done = cli(config, "run")  # 60 s at most
    except subprocess.TimeoutExpired:
        raise AssertionError("the pass still reads a trickling message after 60 s") from None
    assert done.returncode == 75, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "ReadTimeout" in done.stderr, done.stderr
    assert graph_sim.log.writes() == []  # not marked, not moved

    trickling = False
    again = cli(config, "run")
    assert again.returncode == 0, again.stderr
    assert "1 new message(s) (1 parsed" in again.stdout

"""A report's "Object GUID" column names the object whose ImmutableId encodes that GUID.

Hostile review rev25: ``parse.body`` takes a column headed "Object GUID" as the rows' object
id, verbatim; verification knows the reported object only by its ImmutableId, which for an
objectGUID source anchor is base64 of the GUID's bytes (.NET ``ToByteArray()`` order), so a
conflict reported with the GUID was never verified (``models.holders.anchor_key``).
"""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from pathlib import Path

from dirsync_bridge.ledger.store import Ledger
from dirsync_bridge.pipeline import run

from ..reportgen import id_report_email
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX
from .test_verification_uses_the_tracked_object_ids import synced_bob
from .test_verified_before_the_fix_is_rechecked import ENV, NOW, _config


def test_an_object_guid_column_names_the_same_object_as_its_immutable_id(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    guid = uuid.UUID("7f3a9c1e-2b4d-4e6f-8a0b-1c2d3e4f5a6b")
    immutable = base64.b64encode(guid.bytes_le).decode("ascii")
    row = synced_bob(graph_sim, immutable)
    raw = id_report_email(
        "Contoso", NOW - timedelta(hours=1), [("bob@contoso.com", str(guid), row)], "g@rev25.test"
    ).replace(b"Object ID", b"Object GUID")
    graph_sim.add_message(MAILBOX, "inbox", raw, received=NOW - timedelta(minutes=50))
    cfg = _config(tmp_path, graph_sim)
    first = run(cfg, env=ENV)
    second = run(cfg, env=ENV)
    assert first.created == 1
    ledger = Ledger.open(cfg.state.path)
    try:
        (fp,) = [r[0] for r in ledger.conn.execute("SELECT fingerprint FROM problems")]
        ids = {i for s in ledger.sightings(fp) for i in s.details.object_ids}
    finally:
        ledger.close()
    assert ids == {str(guid)}, ids  # the GUID was read as the object id, verbatim
    assert first.resolved + second.resolved == 1, "bob (cleared) never verified"

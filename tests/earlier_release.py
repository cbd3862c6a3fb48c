"""State as an earlier release left it: the local ticket store in a file of its own
(``tickets.db`` beside the ledger), the ledger without migration ``0017-local-store``.

Made from state this release wrote (its store moved back out), so that tests can upgrade it,
lose it, or put an older copy of it back, as users of earlier releases could.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dirsync_bridge.sinks.local import LocalStore

SEPARATE = "tickets.db"
MOVED = SEPARATE + ".moved-into-ledger"
"""What the store file is renamed once it was moved into the ledger."""
_TICKET_ROW = (
    "id, key, idempotency_key, fingerprint, summary, description, links, status, resolution, "
    "created_at, updated_at"
)
_COMMENT_ROW = "ticket_key, comment_key, body, created_at, updated_at"


def export_store(ledger: Path, to: Path) -> Path:
    """The local store kept in ``ledger``, written as an earlier release's store file ``to``
    (its tickets, comments, numbering, id and count of writes)."""
    assert not to.exists(), to
    LocalStore(to).close()  # an empty store file, schema as earlier releases made it
    conn = sqlite3.connect(ledger, isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS old", (str(to),))
        conn.execute("BEGIN")
        conn.execute(
            "UPDATE old.store SET (store_id, revision) = "
            "(SELECT store_id, revision FROM local_store)"
        )
        conn.execute(
            f"INSERT INTO old.tickets ({_TICKET_ROW}) SELECT {_TICKET_ROW} FROM local_tickets"
        )
        conn.execute(
            f"INSERT INTO old.comments ({_COMMENT_ROW}) "
            f"SELECT {_COMMENT_ROW} FROM local_comments ORDER BY id"
        )
        conn.execute("DELETE FROM old.sqlite_sequence WHERE name = 'tickets'")
        conn.execute(
            "INSERT INTO old.sqlite_sequence (name, seq) SELECT 'tickets', seq "
            "FROM main.sqlite_sequence WHERE name = 'local_tickets'"
        )
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE old")
    finally:
        conn.close()
    return to


def to_earlier_release(state: Path) -> Path:
    """The state directory ``state`` as an earlier release would have left it; the path of
    its separate store file."""
    ledger = state / "state.db"
    separate = export_store(ledger, state / SEPARATE)
    conn = sqlite3.connect(ledger, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for table in ("local_comments", "local_tickets", "local_store"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'local_tickets'")
        conn.execute(
            "DELETE FROM migrations WHERE name IN ('0017-local-store', '0018-imported-revision')"
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return separate


def before_store_identity(ledger: Path, separate: Path) -> None:
    """The store file ``separate`` as a release before store identity left it (no ``store``
    table, migration ``0002-identity`` not run), and ``ledger`` from before the pairing."""
    execute(separate, "DROP TABLE store", "DELETE FROM migrations WHERE name = '0002-identity'")
    execute(ledger, "DELETE FROM store_pairing")


def execute(db: Path, *statements: str) -> None:
    """Run ``statements`` on the SQLite file ``db``, each committed as it runs."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()

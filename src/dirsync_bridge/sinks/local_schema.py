"""The local ticket store's tables (in the ledger's file, or in a file of their own), the
separate file's schema (named migrations), its role in error messages, and the columns a
ticket is read by. Kept apart from ``local`` for its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .. import sqlite


@dataclass(frozen=True, slots=True)
class Tables:
    """The names of the store's tables where it is kept."""

    tickets: str
    comments: str
    store: str


IN_LEDGER: Final = Tables("local_tickets", "local_comments", "local_store")
"""In the ledger's file (its migration ``0017-local-store``): how every run keeps them."""
SEPARATE: Final = Tables("tickets", "comments", "store")
"""In a file of their own (``MIGRATIONS`` below): the store of earlier releases, which the
first run moves into the ledger (``local_import``), and throw-away stores in tests."""

MIGRATIONS: Final[tuple[sqlite.Migration, ...]] = (
    (
        "0001-tickets",
        [
            # key is NULL only inside the transaction that inserts the row: it is made
            # from the id, which SQLite assigns on insert.
            """
            CREATE TABLE tickets (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                key TEXT UNIQUE,
                idempotency_key TEXT UNIQUE NOT NULL,
                fingerprint TEXT NOT NULL,
                summary TEXT NOT NULL,
                description TEXT NOT NULL,
                links TEXT NOT NULL DEFAULT '[]',
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
                resolution TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX tickets_fingerprint ON tickets (fingerprint)",
            """
            CREATE TABLE comments (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                ticket_key TEXT NOT NULL REFERENCES tickets (key),
                comment_key TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (ticket_key, comment_key)
            )
            """,
        ],
    ),
    (
        "0002-identity",
        [
            # Which store this is, and how many writes it has taken: the ledger keeps both,
            # so that a store lost, replaced or restored from an older backup is recognised
            # before anything is written to it (``rebuild.check_store``).
            """
            CREATE TABLE store (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                store_id TEXT NOT NULL,
                revision INTEGER NOT NULL
            )
            """,
            "INSERT INTO store (id, store_id, revision) VALUES (1, lower(hex(randomblob(16))), 0)",
        ],
    ),
)

ROLE: Final = sqlite.Role(
    "the local ticket store", "run `dirsync-bridge tickets rebuild` to rebuild it from the ledger"
)


TICKET_COLUMNS: Final = (
    "key, idempotency_key, fingerprint, summary, description, links, status, resolution"
)

"""The ledger's schema, as named migrations applied in order, each once (``sqlite``).

Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

from .. import sqlite

MIGRATIONS: tuple[sqlite.Migration, ...] = (
    (
        "0001-ledger",
        (
            """CREATE TABLE messages (
                key TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'processed', 'rejected')),
                reason TEXT,
                report_key TEXT,
                recorded_at TEXT NOT NULL)""",
            """CREATE TABLE reports (
                key TEXT PRIMARY KEY,
                tenant_key TEXT NOT NULL,
                tenant TEXT,
                at TEXT NOT NULL,
                source TEXT NOT NULL)""",
            "CREATE INDEX reports_by_tenant ON reports (tenant_key, at, key)",
            """CREATE TABLE problems (
                fingerprint TEXT PRIMARY KEY,
                tenant_key TEXT NOT NULL,
                data TEXT NOT NULL,
                status TEXT CHECK (status IN ('open', 'resolved')),
                dirty INTEGER NOT NULL DEFAULT 1)""",
            "CREATE INDEX problems_dirty ON problems (dirty) WHERE dirty = 1",
            "CREATE INDEX problems_by_tenant ON problems (tenant_key, status)",
            """CREATE TABLE sightings (
                fingerprint TEXT NOT NULL REFERENCES problems (fingerprint),
                report_key TEXT NOT NULL REFERENCES reports (key),
                data TEXT NOT NULL,
                PRIMARY KEY (fingerprint, report_key))""",
            """CREATE TABLE tickets (
                fingerprint TEXT NOT NULL REFERENCES problems (fingerprint),
                episode INTEGER NOT NULL,
                key TEXT NOT NULL,
                idempotency_key TEXT NOT NULL UNIQUE,
                status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
                content_digest TEXT NOT NULL,
                comments TEXT NOT NULL,
                summary TEXT NOT NULL,
                kind TEXT,
                identity TEXT,
                tenant TEXT,
                first_seen TEXT,
                last_seen TEXT,
                occurrences INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (fingerprint, episode))""",
            """CREATE TABLE intents (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                fingerprint TEXT NOT NULL,
                episode INTEGER NOT NULL,
                idempotency_key TEXT NOT NULL,
                operation TEXT NOT NULL,
                created_at TEXT NOT NULL)""",
        ),
    ),
    (
        "0002-resolutions",
        (
            # Resolutions someone gave a ticket in the sink (not this tool): the lifecycle
            # folds them in like reports, at their own time.
            """CREATE TABLE resolutions (
                fingerprint TEXT NOT NULL REFERENCES problems (fingerprint),
                episode INTEGER NOT NULL,
                at TEXT NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (fingerprint, episode, at))""",
        ),
    ),
    (
        "0003-mailbox",
        (
            # Messages met in a mailbox, by their immutable Graph id, with the action still
            # owed to them (done = 0) until every ticket write they caused is done.
            """CREATE TABLE mailbox_messages (
                id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                received_at TEXT NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('processed', 'rejected')),
                done INTEGER NOT NULL DEFAULT 0)""",
            "CREATE INDEX mailbox_pending ON mailbox_messages (source, done) WHERE done = 0",
            "CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ),
    ),
    (
        "0004-store-pairing",
        (
            # The local ticket store this ledger is kept with, and how many of that store's
            # writes the ledger has recorded as done: a store with another id, or with fewer
            # writes, was lost or restored from an older backup (``rebuild.check_store``).
            """CREATE TABLE store_pairing (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                store_id TEXT NOT NULL,
                writes INTEGER NOT NULL)""",
        ),
    ),
    (
        "0005-intent-reach-by",
        (
            # The latest moment an intent's write may reach the sink: a create that waited
            # out 429s reaches Jira long after its intent was begun, and after a crash a
            # lagging search must be given its time from then.
            "ALTER TABLE intents ADD COLUMN reach_by TEXT",
        ),
    ),
    (
        "0006-ticket-sink",
        (
            # The sink ("local" or "jira") this ledger's tickets were written to: its ticket
            # records mean nothing to the other one (``TicketLedger.keep_with_sink``).
            """CREATE TABLE ticket_sink (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                kind TEXT NOT NULL)""",
        ),
    ),
)

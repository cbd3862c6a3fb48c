"""The ledger's first migrations, 0001 to 0007: its tables as first shipped, and the tables
and columns added up to the incremental lifecycle (history rows by reference, a state kept
for each problem).

Part of ``schema.MIGRATIONS``, in order. Shipped: never edit one, add the next
(``schema_later``). Their names and SQL are recorded by every existing ledger.
"""

from __future__ import annotations

from .. import sqlite

ORIGINAL: tuple[sqlite.Migration, ...] = (
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
    (
        "0007-incremental-lifecycle",
        (
            # History rows that reference what they say instead of repeating it: a report's
            # rows point at its report, its problem, and deduplicated details and texts
            # (keyed by the first 64 bits of their sha256), so a daily report of 50,000
            # unchanged problems adds 50,000 rows of four integers. The JSON rows of
            # ``sightings`` written before stay, and are read alongside.
            "ALTER TABLE reports ADD COLUMN subject TEXT",
            "CREATE TABLE history_details (id INTEGER PRIMARY KEY, data TEXT NOT NULL)",
            "CREATE TABLE history_texts (id INTEGER PRIMARY KEY, data TEXT NOT NULL)",
            """CREATE TABLE history (
                problem INTEGER NOT NULL,
                report INTEGER NOT NULL,
                details INTEGER NOT NULL,
                texts INTEGER NOT NULL,
                PRIMARY KEY (problem, report)) WITHOUT ROWID""",
            # Each problem's lifecycle state (``lifecycle.FoldState`` as JSON), and the few
            # facts the set-based steps read and write in SQL: when it was first and last
            # seen, what it is tracked with (details digest without holders, and holders),
            # its current ticket's episode and count of sightings, how far its history has
            # been applied (``horizon``; an open problem's is its tenant's newest report),
            # and ``span_end``: NULL while absences still count (open, not quarantined).
            "ALTER TABLE problems ADD COLUMN state TEXT",
            "ALTER TABLE problems ADD COLUMN first_at TEXT",
            "ALTER TABLE problems ADD COLUMN seen_at TEXT",
            "ALTER TABLE problems ADD COLUMN seen_key TEXT",
            "ALTER TABLE problems ADD COLUMN horizon_at TEXT",
            "ALTER TABLE problems ADD COLUMN horizon_key TEXT",
            "ALTER TABLE problems ADD COLUMN span_end TEXT",
            "ALTER TABLE problems ADD COLUMN core INTEGER",
            "ALTER TABLE problems ADD COLUMN holders TEXT",
            "ALTER TABLE problems ADD COLUMN episode INTEGER",
            "ALTER TABLE problems ADD COLUMN occurrences INTEGER",
            "ALTER TABLE problems ADD COLUMN last_seen TEXT",
            """CREATE INDEX problems_absent ON problems (tenant_key, seen_at, seen_key)
                WHERE span_end IS NULL AND state IS NOT NULL""",
            "CREATE INDEX problems_span ON problems (tenant_key, first_at)",
            """CREATE INDEX problems_horizon ON problems (tenant_key, horizon_at)
                WHERE horizon_at IS NOT NULL""",
            # The rules the states were built with: other rules, other histories.
            "CREATE TABLE lifecycle_rules (id INTEGER PRIMARY KEY CHECK (id = 1), rules TEXT)",
            # What the ticket templates make of their samples: other templates, other texts,
            # so every ticket is rendered again (and written where it now reads otherwise).
            "CREATE TABLE ticket_texts (id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT)",
        ),
    ),
)

"""The ledger's migrations from 0008 on: report coverage, Jira links, identity pairs,
history keyed by report, organization names, ticket audits, row digests and listings, and
the repairs of tenant joins and merge chains, the keys of moved tickets, the local ticket
store's tables, the mark of rejections named, and the unlinks done.

Part of ``schema.MIGRATIONS``, in order, after ``schema_original``. Shipped: never edit
one, add the next at the end. Their names and SQL are recorded by every existing ledger.
"""

from __future__ import annotations

from .. import sqlite

_STRAYS = """WITH RECURSIVE chain (retired, fingerprint) AS (
    SELECT rowid, merged_into FROM problems WHERE merged_into IS NOT NULL AND status IS NOT NULL
    UNION
    SELECT c.retired, p.merged_into FROM chain c
    JOIN problems p ON p.fingerprint = c.fingerprint WHERE p.merged_into IS NOT NULL),
strays (retired, survivor) AS (SELECT c.retired, e.rowid FROM chain c
    JOIN problems e ON e.fingerprint = c.fingerprint AND e.merged_into IS NULL)"""
"""(Migration 0013) Each retired problem an old release gave a state again (a retired one has
no status), with the live problem at the end of its chain of merges."""
_STRAY_ROWS = """(SELECT r.rowid, s.retired FROM strays s JOIN problems p ON p.rowid = s.retired
    JOIN reports r ON r.tenant_key = p.tenant_key)"""
"""(Migration 0013) Their history rows, found through their tenant's reports, a key look-up
each (history is keyed by report, then problem: a whole scan is millions of rows)."""

LATER: tuple[sqlite.Migration, ...] = (
    (
        "0008-report-coverage",
        (
            # Which problems a report can vouch for by leaving them out (``lifecycle.Coverage``;
            # NULL: an incomplete report, which vouches for none). Every report recorded before
            # was an email's.
            "ALTER TABLE reports ADD COLUMN covers TEXT DEFAULT 'unquarantined'",
            "CREATE INDEX reports_coverage ON reports (tenant_key, covers, at, key)",
            # The coverage that counts a problem's absences: quarantines only Graph scans.
            "ALTER TABLE problems ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    (
        "0008-jira-links",
        (
            # The tickets each ticket was linked to (a Jira issue link, written between an
            # intent and its record like a comment), as a JSON list of keys.
            "ALTER TABLE tickets ADD COLUMN linked TEXT NOT NULL DEFAULT '[]'",
        ),
    ),
    (
        "0008-identity-pairs",
        (
            # One object named by several sources: its on-premises object id and its
            # identity (UPN or mail), learned from the sources that carry both (csexport,
            # Graph, emails with an object-id column); per tenant, identities case-folded.
            """CREATE TABLE identity_pairs (
                tenant_key TEXT NOT NULL,
                object_id TEXT NOT NULL,
                identity_key TEXT NOT NULL,
                identity TEXT NOT NULL,
                PRIMARY KEY (tenant_key, object_id, identity_key)) WITHOUT ROWID""",
            # A problem found by an object id alone, merged into its identity's problem once
            # the pair was learned: the survivor's fingerprint (``ledger/identities.py``).
            "ALTER TABLE problems ADD COLUMN merged_into TEXT",
        ),
    ),
    (
        "0008-scale",
        (
            # History rows in the order they are written: by report, then problem. Keyed by
            # problem first, a daily report of 50,000 problems put one row on each of 50,000
            # pages of a year-long table (hundreds of MB of log a day); by report, they
            # fill the table's last pages. A problem's rows (read only to fold it again)
            # are found through its tenant's reports, one key look-up each.
            # (The new table's name is quoted: ``sqlite._check_tables`` looks for every
            # table a migration creates, and this one is renamed ``history`` at once.)
            """CREATE TABLE "history_by_report" (
                report INTEGER NOT NULL,
                problem INTEGER NOT NULL,
                details INTEGER NOT NULL,
                texts INTEGER NOT NULL,
                PRIMARY KEY (report, problem)) WITHOUT ROWID""",
            """INSERT INTO history_by_report (report, problem, details, texts)
                SELECT report, problem, details, texts FROM history ORDER BY report, problem""",
            "DROP TABLE history",
            "ALTER TABLE history_by_report RENAME TO history",
            # Each problem's lifecycle state (JSON, kilobytes: its tickets' comments) apart
            # from the problem's row, which every report that lists the problem rewrites (its
            # last-seen columns): 50,000 rows of 3 KB made 185 MB of log a daily report.
            # ``problems.state`` stays, empty text, as the mark "a state is kept" that the
            # set-based steps and their indexes read.
            "CREATE TABLE problem_states (problem INTEGER PRIMARY KEY, state TEXT NOT NULL)",
            """INSERT INTO problem_states (problem, state)
                SELECT rowid, state FROM problems WHERE state IS NOT NULL""",
            "UPDATE problems SET state = '' WHERE state IS NOT NULL",
        ),
    ),
    (
        "0008-f13",
        (
            # The names Graph's /organization gave a tenant, by its id (the tenant's GUID):
            # a tenant renamed in Azure AD is the same tenant, and its reports are filed
            # under the name it was first known by (``ledger/tenant_names.py``).
            """CREATE TABLE organization_names (
                org_id TEXT NOT NULL,
                name_key TEXT NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (org_id, name_key)) WITHOUT ROWID""",
        ),
    ),
    (
        "0008-ticket-audit",
        (
            # When each open ticket was last seen to exist in the sink: a person may delete
            # (or move) a ticket the tool has no reason to write to, and only a look tells.
            # The look goes to the tickets checked longest ago first (``ticket_sync.audit``).
            "ALTER TABLE tickets ADD COLUMN checked_at TEXT",
            # Tickets a person deleted: a problem already resolved gets no new ticket just to
            # be closed; one still open gets a new one.
            """CREATE TABLE gone_tickets (
                fingerprint TEXT NOT NULL,
                episode INTEGER NOT NULL,
                key TEXT NOT NULL,
                PRIMARY KEY (fingerprint, episode)) WITHOUT ROWID""",
        ),
    ),
    (
        "0008-t13",
        (
            # When each pair was last shown (the report time that taught it, ISO UTC): an
            # object renamed is paired with its new identity by newer reports, and the
            # newest pair wins whatever the order reports are read in. Pairs learned
            # before this know no time (''): they lose to any dated one.
            "ALTER TABLE identity_pairs ADD COLUMN learned_at TEXT NOT NULL DEFAULT ''",
        ),
    ),
    (
        "0009-row-digests",
        (
            # A sighting of each problem as it was made (``problem_rows``): the digest of
            # its rows, its details' core and holders, and its history row's details and
            # texts. A later report showing the problem in the same rows makes the same
            # sighting, so it is recorded from these without being made again
            # (``StateLedger._touch_unchanged``). NULL digest: none kept.
            "ALTER TABLE problems ADD COLUMN rows_digest TEXT",
            "ALTER TABLE problems ADD COLUMN last_core INTEGER",
            "ALTER TABLE problems ADD COLUMN last_holders TEXT",
            "ALTER TABLE problems ADD COLUMN last_details INTEGER",
            "ALTER TABLE problems ADD COLUMN last_texts INTEGER",
        ),
    ),
    (
        "0010-listings",
        (
            # The digest of an email's rows (``problem_rows.listing_digest``): a report with
            # the same as its tenant's newest lists the same problems in the same rows
            # (``TouchLedger._listed_as_before``). NULL: none kept.
            "ALTER TABLE reports ADD COLUMN listing TEXT",
        ),
    ),
    (
        "0011-listed-in",
        (
            # The report whose rows a problem's kept sighting (``rows_digest``, ``last_*``)
            # was last found in: a report listed as its tenant's newest is taken as listed
            # before only where every problem's is that newest report (a tenant join moves
            # a report's sightings onto problems that kept other rows'). NULL: unknown.
            "ALTER TABLE problems ADD COLUMN listed_in INTEGER",
        ),
    ),
    (
        "0012-tenant-joins",
        (
            # The spellings joined into another (``ledger/joining.py``): a join merges their
            # problems for good, so a spelling's later reports are filed under the one it was
            # joined into even once the alias is gone (filed apart, they met the problems and
            # tickets the join had retired and handed over). Joins made before: found by the
            # problems they retired into another tenant's.
            """CREATE TABLE tenant_joins (
                name_key TEXT PRIMARY KEY,
                into_key TEXT NOT NULL,
                into_name TEXT NOT NULL)""",
            # (To the end of a chain of merges: a spelling joined into one joined since into
            # a third is that third's now; named as its first report names it.)
            """WITH RECURSIVE chain (start_key, fingerprint) AS (
                SELECT tenant_key, merged_into FROM problems WHERE merged_into IS NOT NULL
                UNION
                SELECT c.start_key, p.merged_into FROM chain c
                JOIN problems p ON p.fingerprint = c.fingerprint WHERE p.merged_into IS NOT NULL)
            INSERT OR IGNORE INTO tenant_joins (name_key, into_key, into_name)
                SELECT DISTINCT c.start_key, e.tenant_key, COALESCE((SELECT r.tenant FROM
                reports r WHERE r.tenant_key = e.tenant_key ORDER BY r.rowid LIMIT 1),
                e.tenant_key) FROM chain c JOIN problems e ON e.fingerprint = c.fingerprint
                AND e.merged_into IS NULL WHERE c.start_key != e.tenant_key""",
        ),
    ),
    (
        "0013-rejoin-strays",
        (
            # A release before 0012 kept no record of a join: with the alias gone, the joined
            # spelling's reports were filed apart again, and one that showed a problem the
            # join had retired wrote it a history row and an open state (a retired problem
            # has no status), and began a create whose idempotency key the ticket handed over
            # to the survivor already holds: every run after ended in "UNIQUE constraint
            # failed: tickets.idempotency_key". Such a problem is retired again here, as
            # ``IdentityLedger._retire_into`` retires one: its rows move to the survivor at
            # the end of its chain of merges (where the survivor has none for that report).
            # The reports stay filed where they are: the next report of either spelling joins
            # them as any report filed apart (``TenantJoinLedger._join``: it also files that
            # spelling's other problems under the established one, which SQL cannot name),
            # and folds the survivor again over them. (No ``sightings`` to move: the rows of
            # a release with joins are all in ``history``.) The create it began is settled
            # before anything else is written (``made_twice``: Jira made a second issue).
            f"""{_STRAYS} UPDATE OR IGNORE history SET problem = (SELECT s.survivor FROM strays s
                WHERE s.retired = history.problem) WHERE (report, problem) IN {_STRAY_ROWS}""",
            f"{_STRAYS} DELETE FROM history WHERE (report, problem) IN {_STRAY_ROWS}",
            # Its state: none, as a retired problem's (``identities.RETIRED``).
            f"""{_STRAYS} INSERT OR REPLACE INTO problem_states (problem, state)
                SELECT retired, '{{"episodes":[],"tracked":null}}' FROM strays""",
            """UPDATE problems SET state = '', status = NULL, first_at = NULL, seen_at = NULL,
                seen_key = NULL, horizon_at = NULL, horizon_key = NULL, span_end = '',
                core = NULL, holders = NULL, episode = NULL, occurrences = NULL,
                last_seen = NULL, dirty = 1
                WHERE merged_into IS NOT NULL AND status IS NOT NULL""",
        ),
    ),
    (
        "0014-merged-index",
        (
            # The problems merged into one that is itself merged follow it to the survivor
            # (``IdentityLedger._retire_into``): a look-up for each merge, not a scan.
            """CREATE INDEX IF NOT EXISTS problems_merged ON problems (merged_into)
                WHERE merged_into IS NOT NULL""",
        ),
    ),
    (
        "0015-merge-chains",
        (
            # Chains an earlier build left (a problem merged into one merged in turn): each
            # now names the survivor at the end of its chain, as merges from 0014 on do, and
            # is flagged, so that the note on its tickets ("merged into the ticket labelled
            # ...", which may name a ticket closed since) is written again (edited).
            """WITH RECURSIVE chain (problem, into_fp, hops) AS (
                SELECT p.rowid, p.merged_into, 0 FROM problems p JOIN problems q
                    ON q.fingerprint = p.merged_into AND q.merged_into IS NOT NULL
                UNION
                SELECT c.problem, q.merged_into, c.hops + 1 FROM chain c JOIN problems q
                    ON q.fingerprint = c.into_fp WHERE q.merged_into IS NOT NULL AND c.hops < 64)
            UPDATE problems SET dirty = 1, merged_into = (SELECT c.into_fp FROM chain c
                JOIN problems e ON e.fingerprint = c.into_fp AND e.merged_into IS NULL
                WHERE c.problem = problems.rowid)
            WHERE rowid IN (SELECT problem FROM chain) AND EXISTS (SELECT 1 FROM chain c
                JOIN problems e ON e.fingerprint = c.into_fp AND e.merged_into IS NULL
                WHERE c.problem = problems.rowid)""",
        ),
    ),
    (
        "0016-moved-keys",
        (
            # The keys a ticket answered under before a person moved it to another project:
            # Jira still reads the old key as the moved issue, so a create answer naming one
            # (a proxy replaying an old answer) names a ticket the ledger holds, not a new one.
            "CREATE TABLE IF NOT EXISTS moved_keys (key TEXT PRIMARY KEY) WITHOUT ROWID",
        ),
    ),
    (
        "0017-local-store",
        (
            # The local ticket store, kept in the ledger's file from this release on (it had
            # a file of its own, ``tickets.db``, which ``sinks/local_import.py`` moves in):
            # a ticket write and the ledger's record of it can then commit together. The
            # same tables as the separate file's (``sinks/local_schema.py``), renamed.
            """CREATE TABLE IF NOT EXISTS local_tickets (
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
                updated_at TEXT NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS local_tickets_fingerprint ON local_tickets (fingerprint)",
            """CREATE TABLE IF NOT EXISTS local_comments (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                ticket_key TEXT NOT NULL REFERENCES local_tickets (key),
                comment_key TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (ticket_key, comment_key))""",
            # ``imported_from``: the id of the separate store moved in, if one was.
            """CREATE TABLE IF NOT EXISTS local_store (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                store_id TEXT NOT NULL,
                revision INTEGER NOT NULL,
                imported_from TEXT)""",
            """INSERT OR IGNORE INTO local_store (id, store_id, revision)
                VALUES (1, lower(hex(randomblob(16))), 0)""",
        ),
    ),
    (
        "0018-imported-revision",
        (
            # The writes the separate store had taken when it was moved in: a later copy of
            # it put back while nothing was written since is moved in again (``verdict``).
            "ALTER TABLE local_store ADD COLUMN imported_revision INTEGER",
        ),
    ),
    (
        "0019-recheck-verified",
        (
            # Releases up to c1cbabf verified tickets cleared by a UPN alone (rev22, rev23):
            # a ledger holding such a verification is re-checked once under the rule of this
            # release (ledger.reverify, verify.py); the row goes with the re-check's results.
            # IF NOT EXISTS / OR IGNORE, as every migration since 0016: a ledger whose later
            # migrations' records were lost runs them again (test_wedged_join_upgrade).
            "CREATE TABLE IF NOT EXISTS recheck_verified (id INTEGER PRIMARY KEY CHECK (id = 1))",
            """INSERT OR IGNORE INTO recheck_verified (id) SELECT 1 WHERE EXISTS
                (SELECT 1 FROM resolutions WHERE name LIKE 'dirsync-bridge verified: %')""",
        ),
    ),
    (
        "0020-rejections-named",
        (
            # Whether a pass's output has named a rejected message (0: not yet). A pass
            # records a rejection as it meets it and names it only after its output: one
            # stopped in between (a kill, exit 75) left it recorded, counted already seen by
            # every later pass, and named by none (review rev34). The next pass names those
            # still 0 (``ledger/naming.py``). Every row before this is taken as named (its
            # release named it, unless stopped: nothing tells which): the first pass after
            # the upgrade does not name a whole archive's old rejections again.
            "ALTER TABLE messages ADD COLUMN named INTEGER NOT NULL DEFAULT 1",
            # The unnamed ones (almost always none) found without a scan of every message.
            "CREATE INDEX IF NOT EXISTS messages_unnamed ON messages (named) WHERE named = 0",
        ),
    ),
    (
        "0021-unlinks",
        (
            # Each unlink the tool sent: a later ticket's link (``ticket``: its idempotency
            # key, which a trade or a move does not change) to ``target``, an earlier ticket a
            # merge's trade displaced. A pair is unlinked at most once: a link a person makes
            # again afterwards is theirs (review rev38: it was deleted at the next read of
            # the ticket's links). Written with the intent, before the request; ``intent``
            # is that intent's id until the write is recorded or settled (NULL after), and
            # the row goes with an intent abandoned (the request certainly never left).
            """CREATE TABLE IF NOT EXISTS unlinks (
                ticket TEXT NOT NULL,
                target TEXT NOT NULL,
                ticket_key TEXT,
                intent INTEGER,
                at TEXT NOT NULL,
                PRIMARY KEY (ticket, target)) WITHOUT ROWID""",
            "CREATE INDEX IF NOT EXISTS unlinks_intent ON unlinks (intent) "
            "WHERE intent IS NOT NULL",
        ),
    ),
)

"""``doctor``'s checks of what lives on your own machines: the ledger's files, the metrics
textfile's folder, and the Active Directory domain controller that ``[enrich.onprem]``
looks holders up in.

Nothing is written: the ledger is checked read-only, and "writable" is proved by taking
SQLite's write lock and letting it go (``BEGIN IMMEDIATE``, ``ROLLBACK``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from .. import sqlite
from ..config.settings import Config
from ..disk_faults import read_only, read_only_fix
from ..enrich.onprem import OnPremDirectory
from ..errors import DirsyncBridgeError
from ..ledger.schema import MIGRATIONS as LEDGER_MIGRATIONS
from ..sinks import local_schema
from .report import Check, Progress, failed, quiet, step

LOCK_WAIT = 2.0
"""Seconds to wait for SQLite's write lock; a run holding it longer is reported as busy."""


def ledger_checks(config: Config) -> Iterator[Check]:
    """The ledger (and a separate local ticket store of an earlier release, if one is still
    beside it): readable, undamaged, ours, and writable by the account doctor runs as (run
    it as the service's account); then the local ticket store kept in it, as every run
    checks it."""
    ledger = database_check("ledger", config.state.path, LEDGER_MIGRATIONS, sqlite.LEDGER)
    yield ledger
    if config.sink.kind != "local":
        return
    separate = config.state.local_tickets_path
    if separate.exists():
        if _store_in_use(config):
            # The run does not read it (its store is in the ledger since an earlier run).
            yield Check(
                "local ticket store",
                "warn",
                f"{separate} is not used (the store is kept in the ledger): move it away",
            )
        else:
            yield database_check(
                "local ticket store",
                separate,
                local_schema.MIGRATIONS,
                local_schema.ROLE,
                repair=REBUILD,
            )
    if ledger.outcome == "ok" and config.state.path.exists():
        yield store_check(config)


def _store_in_use(config: Config) -> bool:
    """Whether the separate file is of no use to the run: the ledger keeps a store in use,
    which the file is not to replace (``verdict``), or the file cannot be read."""
    from ..ledger.store import Ledger
    from ..sinks.local import LocalStore
    from ..sinks.local_import import read_separate, verdict

    if not config.state.path.is_file():
        return False
    try:
        ledger = Ledger.open_readonly(config.state.path)
    except DirsyncBridgeError:
        return False  # (the ledger's own check says what is wrong with it)
    try:
        store = LocalStore.in_ledger_readonly(ledger.conn, ledger.path)
        if store is None or store.untouched():
            return False
        try:
            old = read_separate(config.state.local_tickets_path)
        except DirsyncBridgeError:
            return True  # unreadable beside a store in use: the run passes it over
        try:
            return verdict(store, old, ledger.store_pairing()) != "take"
        finally:
            old.close()
    except DirsyncBridgeError:
        return False  # (the store's own check says what is wrong with it)
    finally:
        ledger.close()


REBUILD = "run `dirsync-bridge tickets rebuild`; every run refuses it until then"


def store_check(config: Config) -> Check:
    """The local ticket store a run would use is the one the ledger describes, or the same
    words every run would stop with."""
    from ..ledger.store import Ledger
    from ..sinks.local_import import store_to_be_used
    from ..store_rebuild import mismatch

    name = "local ticket store"
    try:
        ledger = Ledger.open_readonly(config.state.path)
        try:
            if ledger.kept_with() == "jira":
                # Runs given --sink jira use it (doctor cannot know); with the configured
                # local sink every run refuses it, and says so.
                return Check(
                    name,
                    "warn",
                    f"{ledger.path} keeps its tickets in Jira: runs with the local sink are "
                    "refused; runs with --sink jira use it",
                )
            with store_to_be_used(
                ledger.conn,
                ledger.path,
                config.state.local_tickets_path,
                ledger.store_pairing(),
            ) as store:
                why = mismatch(ledger, store)
        finally:
            ledger.close()
    except DirsyncBridgeError as exc:
        return failed(name, exc)
    if why is not None:
        return Check(name, "fail", f"it cannot be used: {why}; {REBUILD}", 2)
    return Check(name, "ok", "the store the ledger describes")


def database_check(
    name: str,
    path: Path,
    migrations: Sequence[sqlite.Migration],
    role: sqlite.Role,
    *,
    repair: str = "restore it from a backup; every run refuses it until then",
) -> Check:
    """One SQLite file of the tool's: healthy and writable, or why not and what to do.
    ``migrations`` is this release's list for that file: one written by a newer release,
    recording others, fails (every run refuses it)."""
    if not path.exists():
        return _to_be_created(name, path)
    who = f"this account (uid {os.geteuid()})"
    fix = "give the account the service runs as the directory and its files, and run doctor as it"
    if not path.is_file():
        return Check(name, "fail", f"{path} is not a file: fix [state] path", 2)
    if not os.access(path, os.R_OK):
        return Check(name, "fail", f"{path} is not readable by {who}: {fix}", 2)
    if read_only(path.parent):
        # Checked before the account's rights: on a read-only mount (a path outside the
        # unit's StateDirectory= under ProtectSystem=strict) even root may not write.
        allow = read_only_fix(path.parent)
        return Check(
            name, "fail", f"{path} cannot be written: the file system is read-only; {allow}", 2
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        # Checked first: SQLite keeps its journal beside the file, and cannot even read
        # the ledger when it may not create the journal's shared-memory file there.
        return Check(name, "fail", f"{path.parent} is not writable by {who}: {fix}", 2)
    for file in (path, *(path.with_name(path.name + x) for x in ("-wal", "-shm"))):
        # SQLite quietly opens a write-protected file read-only: ask the system instead.
        if file.exists() and not os.access(file, os.W_OK):
            return Check(name, "fail", f"{file} is not writable by {who}: {fix}", 2)
    empty = sqlite.empty_file(path, role)
    if empty:  # the words every run refuses it in
        return Check(name, "fail", empty, 2)
    try:
        problem = _damage(path)
        unknown = [] if problem else _unknown_migrations(path, migrations)
        locked = _write_lock(path)
    except sqlite3.OperationalError as exc:
        return Check(name, "fail", f"{path} is not writable by {who} ({exc}): {fix}", 2)
    except sqlite3.DatabaseError as exc:
        problem, locked = str(exc), None
    if problem:
        return Check(
            name,
            "fail",
            f"{path} is damaged ({problem}): {repair}",
            2,
        )
    if unknown:
        return Check(name, "fail", sqlite.newer_release(str(path), role, unknown), 2)
    if locked:
        return Check(name, "ok", f"{path}: healthy; a run is writing it right now")
    return Check(name, "ok", f"{path}: healthy and writable")


def textfile_checks(config: Config) -> Iterator[Check]:
    """``[metrics] textfile``: a folder every pass can write its file in, or the words every
    pass would end with (exit 2 after its work); the file system is only looked at."""
    from ..metrics import textfile_fault

    path = config.metrics.textfile
    if path is None:
        return
    fault = textfile_fault(path)
    if fault is not None:
        yield failed("metrics textfile", fault)
    else:
        yield Check("metrics textfile", "ok", f"{path}: its folder is writable")


def _to_be_created(name: str, path: Path) -> Check:
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return Check(name, "fail", f"{existing} is not a directory: fix [state] path", 2)
    if read_only(existing):
        return Check(
            name,
            "fail",
            f"{path} does not exist and cannot be created: {existing} is on a read-only "
            f"file system; {read_only_fix(existing)}",
            2,
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        return Check(
            name,
            "fail",
            f"{path} does not exist and cannot be created: {existing} is not writable by "
            f"this account (uid {os.geteuid()}): create {path.parent} for the account the "
            "service runs as",
            2,
        )
    return Check(name, "ok", f"{path} does not exist yet: the first run creates it")


def _damage(path: Path) -> str | None:
    """What is wrong inside the file (read-only), or None."""
    connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    try:
        rows = [row[0] for row in connection.execute("PRAGMA quick_check(5)")]
        if rows != ["ok"]:
            return "; ".join(str(r) for r in rows)
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        # Another application's table of that name is not ours (Laravel's, db-migrate's):
        # as every run refuses it (``sqlite.refuse_foreign``; review rev39).
        if "migrations" not in tables or not sqlite.migrations_of_ours(connection):
            return "it is not a dirsync-bridge database: no migrations table of dirsync-bridge's"
        return None
    finally:
        connection.close()


def _unknown_migrations(path: Path, migrations: Sequence[sqlite.Migration]) -> list[str]:
    """The migrations the file records that this release does not know (read-only)."""
    connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    try:
        recorded = [row[0] for row in connection.execute("SELECT name FROM migrations")]
    finally:
        connection.close()
    return sqlite.unknown_migrations(recorded, migrations)


def _write_lock(path: Path) -> bool:
    """Take SQLite's write lock and let it go; True when a run holds it right now."""
    connection = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=LOCK_WAIT)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise
    finally:
        connection.close()
    return False


def ldap_checks(
    config: Config, env: Mapping[str, str], *, progress: Progress = quiet
) -> Iterator[Check]:
    """The bind (TLS, credentials) and a search of the base, as enrichment makes them."""
    s = config.enrich.onprem
    try:
        directory = OnPremDirectory(
            s.url,
            bind_dn=s.bind_dn,
            password=env.get(s.password_env),
            base_dn=s.base_dn,
            ca_bundle=s.ca_bundle,
            password_env=s.password_env,
            config_path=config.file,
            timeout=s.timeout,
        )
    except DirsyncBridgeError as exc:
        yield failed("ldap bind", exc)
        return
    with directory:
        progress(f"checking ldap bind to {s.url} (waits up to {s.timeout:g}s for an answer)")
        base = step(directory.bind)
        if isinstance(base, Check):
            yield base.renamed("ldap bind")
            return
        yield Check("ldap bind", "ok", f"{s.url} as {s.bind_dn}")
        progress("checking an ldap search for users, groups and contacts")
        found = step(directory.probe)
        where = base or "the whole forest (global catalog)"
        if isinstance(found, Check):
            yield found.renamed("ldap search")
        elif not found:
            yield Check(
                "ldap search",
                "warn",
                f"{where}: no user, group or contact visible to {s.bind_dn}: check "
                "[enrich.onprem] base_dn and that the account may read the directory",
            )
        else:
            yield Check("ldap search", "ok", f"{where}: users, groups and contacts readable")

"""Prometheus metrics for cron: node_exporter's textfile, written after every pass.

``[metrics] textfile`` names a ``*.prom`` file in node_exporter's textfile directory. After
every ``run`` and ``replay`` that loaded a configuration (not a dry run, which changes
nothing), whatever its exit code (0, 1, 2, 75, 130, 70), the file is replaced whole: written
to a temporary file in the same directory, flushed to disk, then renamed over the old one,
so node_exporter reads the old file or the new one, never half of one, even after a crash
or a full disk. The text is ``prometheus_client``'s exposition format.

The metrics (gauges: each file describes the last pass):

=================================================  ===========================================
``dirsync_bridge_last_success_timestamp_seconds``  end of the last pass that did its work
                                                   (exit 0 or 1); kept from the previous file
                                                   when this pass failed; 0 if none ever did
``dirsync_bridge_last_run_timestamp_seconds``      end of the last pass, whatever its end
``dirsync_bridge_last_run_duration_seconds``       how long the last pass took
``dirsync_bridge_last_exit_code``                  its exit code
``dirsync_bridge_last_run_messages{outcome}``      parsed, rejected, already_seen, unreadable,
                                                   ignored (a pass that stopped early: none)
``dirsync_bridge_last_run_ticket_writes{kind}``    created, commented, resolved, reopened,
                                                   updated
``dirsync_bridge_open_problems{kind,tenant}``      open tickets in the ledger, by kind and
                                                   tenant (none when the ledger cannot be read)
=================================================  ===========================================

Exit 1 counts as a success: the pass did its work and named the inputs it rejected (a
rejected message is not read again, so it does not keep a cron job failing).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import crashpoints
from .atomic_files import temporary_beside
from .disk_faults import read_only
from .errors import DirsyncBridgeError, Fatal, Retriable
from .run_summary import RunSummary
from .secret_files import NotRegularFile, read_regular_file, replaceable

log = logging.getLogger(__name__)

PREFIX = "dirsync_bridge_"
LAST_SUCCESS = PREFIX + "last_success_timestamp_seconds"
SUCCESS_CODES = frozenset({0, 1})
_MAX_PREVIOUS = 4 * 1024 * 1024  # a few KB normally; a larger file is not ours to parse

OpenProblems = Mapping[tuple[str, str], int]
"""Open tickets by (kind, tenant)."""


@dataclass(frozen=True, slots=True)
class PassRecord:
    """How one pass ended: what the textfile tells."""

    started: float
    """Seconds since the epoch."""
    finished: float
    exit_code: int
    summary: RunSummary | None
    """None: the pass stopped before it could count (a failure, a signal)."""


def render(
    record: PassRecord, last_success: float | None, open_problems: OpenProblems | None
) -> bytes:
    """The textfile's bytes for ``record``, in Prometheus' text exposition format."""
    # Loaded only when metrics are configured: prometheus_client brings http.server along.
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    registry = CollectorRegistry(auto_describe=True)

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(PREFIX + name, doc, labels, registry=registry)

    succeeded = record.exit_code in SUCCESS_CODES
    success = record.finished if succeeded else (last_success or 0.0)
    gauge(
        "last_success_timestamp_seconds",
        "End of the last pass that did its work (exit 0 or 1), seconds since the epoch; "
        "0: none yet.",
    ).set(success)
    gauge("last_run_timestamp_seconds", "End of the last pass, seconds since the epoch.").set(
        record.finished
    )
    gauge("last_run_duration_seconds", "How long the last pass took, in seconds.").set(
        max(record.finished - record.started, 0.0)
    )
    gauge("last_exit_code", "Exit code of the last pass (0, 1, 2 config, 75 temporary, 130).").set(
        record.exit_code
    )
    summary = record.summary
    if summary is not None:
        messages = gauge(
            "last_run_messages", "Messages the last pass met, by outcome.", ("outcome",)
        )
        for outcome, count in (
            ("parsed", summary.parsed),
            ("rejected", summary.rejected),
            ("already_seen", summary.already_seen),
            ("unreadable", summary.unreadable),
            ("ignored", summary.ignored),
        ):
            messages.labels(outcome).set(count)
        writes = gauge(
            "last_run_ticket_writes", "Ticket writes the last pass made, by kind.", ("kind",)
        )
        for kind, count in (
            ("created", summary.created),
            ("commented", summary.commented),
            ("resolved", summary.resolved),
            ("reopened", summary.reopened),
            ("updated", summary.updated),
        ):
            writes.labels(kind).set(count)
    if open_problems is not None:
        problems = gauge(
            "open_problems", "Open tickets in the ledger, by kind and tenant.", ("kind", "tenant")
        )
        for (kind, tenant), count in sorted(open_problems.items()):
            problems.labels(kind, tenant).set(count)
    return generate_latest(registry)


def previous_success(path: Path) -> float | None:
    """The last success timestamp the file at ``path`` holds (None: no file, or none in it).

    A file that cannot be read or parsed counts as none: the metrics are written all the
    same (an alert on the 0 then says that no success is known).
    """
    from prometheus_client.parser import text_string_to_metric_families

    try:
        # Never a plain open: a FIFO there would hold the pass for ever.
        text = read_regular_file(path, _MAX_PREVIOUS).decode("utf-8", "replace")
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == LAST_SUCCESS and sample.value > 0:
                    return float(sample.value)
    except (OSError, ValueError, TypeError, IndexError) as exc:
        log.debug("metrics: cannot read the last success from %s: %s", path, exc)
    return None


def open_problems(state_path: Path) -> OpenProblems | None:
    """Open tickets by (kind, tenant), read from the ledger (None: it cannot be read)."""
    if not state_path.exists():
        return {}
    from .ledger.store import Ledger

    try:
        ledger = Ledger.open_readonly(state_path)
    except DirsyncBridgeError as exc:
        log.debug("metrics: no open problems: %s", exc)
        return None
    try:
        rows = ledger.conn.execute(
            "SELECT kind, tenant, COUNT(*) FROM tickets WHERE status = 'open' GROUP BY kind, tenant"
        ).fetchall()
    except DirsyncBridgeError as exc:
        log.debug("metrics: no open problems: %s", exc)
        return None
    finally:
        ledger.close()
    return {(str(kind or "Unknown"), str(tenant or "")): int(n) for kind, tenant, n in rows}


def write_textfile(path: Path, data: bytes) -> None:
    """Replace the file at ``path`` with ``data``, atomically (module docstring).

    The temporary file's name does not end in ``.prom``: node_exporter never reads it.
    Raises ``Retriable`` (a full disk, an I/O error) or ``Fatal`` (any other reason the file
    cannot be written), naming ``metrics.textfile``; the old file is then left whole.
    """
    try:
        path = replaceable(path)  # through a link: the file it names; never a device or FIFO
    except OSError as exc:  # not a regular file, or a name no file can have (ELOOP...)
        raise _write_failure(path, exc) from None
    folder = path.parent
    try:
        fd, temporary = temporary_beside(path)  # a kill's leftover of this file swept
    except OSError as exc:
        raise _write_failure(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), 0o644)  # node_exporter usually runs as another user
            os.fsync(handle.fileno())
        crashpoints.crash_point("metrics-written")
        Path(temporary).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise _write_failure(path, exc) from None
    _sync_folder(folder)


def textfile_fault(path: Path) -> DirsyncBridgeError | None:
    """Why a pass could not write the textfile at ``path``, in the words it would stop with
    (``write_textfile``), found without writing anything (``doctor``); None: none seen.

    Only what the file system says without a write: a folder on a read-only mount (as any
    path outside the unit's ``StateDirectory=`` under ``ProtectSystem=strict``), missing,
    or not writable by this account; a name that is not a regular file."""
    try:
        path = replaceable(path)
    except OSError as exc:
        return _write_failure(path, exc)
    folder = path.parent
    if read_only(folder):
        code = errno.EROFS
    elif not folder.exists():
        code = errno.ENOENT
    elif not folder.is_dir():
        code = errno.ENOTDIR
    elif not os.access(folder, os.W_OK | os.X_OK):
        code = errno.EACCES
    else:
        return None
    return _write_failure(path, OSError(code, os.strerror(code), str(path)))


def _sync_folder(folder: Path) -> None:
    # The rename is durable once the directory is on disk (a power cut may otherwise bring
    # the old file back; never half a file).
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_BAD_NAMES = {
    errno.ELOOP: "symbolic links that lead back to themselves: name the file itself",
    errno.ENAMETOOLONG: "name a *.prom file with a shorter name",
    errno.ENOTDIR: "a file stands where a folder is needed: name a *.prom file in a folder",
}
"""Errors of the name itself, which no access right fixes: the fix for each."""


def _write_failure(path: Path, exc: OSError) -> DirsyncBridgeError:
    reason = exc.strerror or str(exc)
    where = f"metrics.textfile: {path} cannot be written"
    if isinstance(exc, NotRegularFile):
        return Fatal(f"{where}: it is {exc.kind}, not a file to replace; name a *.prom file")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Retriable(f"{where}: the disk is full ({reason}); free space and run again")
    if exc.errno == errno.EIO:
        return Retriable(f"{where}: I/O error ({reason}); check the disk, run again")
    if exc.errno in _BAD_NAMES:
        return Fatal(f"{where}: {reason}; {_BAD_NAMES[exc.errno]}")
    if exc.errno == errno.EROFS:
        # The shipped systemd unit has ProtectSystem=strict: only its state is writable.
        return Fatal(
            f"{where}: the file system is read-only ({reason}); under systemd, add "
            f"ReadWritePaths={path.parent} to the service"
        )
    return Fatal(
        f"{where} ({reason}); give the user that runs dirsync-bridge write access to {path.parent}"
    )


@dataclass(slots=True)
class PassWatch:
    """What a command tells ``watched`` about its pass."""

    summary: RunSummary | None = None


@contextlib.contextmanager
def watched(textfile: Path | None, state_path: Path) -> Iterator[PassWatch]:
    """Around one pass: on the way out, however it ends, the textfile is written.

    The exit code is read from how the block ends: ``sys.exit(code)``, a signal (130), an
    error of ours (its code) or a bug (70). A textfile that cannot be written is one log
    line; a pass that had done its work (0 or 1) then ends with that failure's code (2 or
    75): monitoring that goes blind must not go unnoticed.
    """
    watch = PassWatch()
    started = time.time()
    if textfile is None:
        yield watch
        return
    code = 0
    try:
        yield watch
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        failure = _record(textfile, state_path, started, code, watch)
        if failure is not None and code in SUCCESS_CODES:
            raise SystemExit(failure) from None
        raise
    except KeyboardInterrupt:
        _record(textfile, state_path, started, 130, watch)
        raise
    except DirsyncBridgeError as exc:
        _record(textfile, state_path, started, exc.exit_code, watch)
        raise
    except Exception:
        _record(textfile, state_path, started, 70, watch)
        raise
    failure = _record(textfile, state_path, started, code, watch)
    if failure is not None:
        raise SystemExit(failure)


def _record(
    textfile: Path, state_path: Path, started: float, code: int, watch: PassWatch
) -> int | None:
    """Write the textfile for a pass that ended with ``code``; the failure's code, if any."""
    record = PassRecord(started, time.time(), code, watch.summary)
    try:
        data = render(record, previous_success(textfile), open_problems(state_path))
        write_textfile(textfile, data)
    except DirsyncBridgeError as exc:
        log.error("%s", exc, extra={"event": "metrics-failed", "path": str(textfile)})
        return exc.exit_code
    log.info(
        "metrics written to %s (exit %d)",
        textfile,
        code,
        extra={"event": "metrics-written", "path": str(textfile), "exit_code": code},
    )
    return None

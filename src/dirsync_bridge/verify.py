"""Verified resolution: duplicate-family problems resolved once Graph shows them cleared.

Quarantine rows appear once and never again, so no run of absent reports will resolve them;
and an admin who fixed a duplicate wants the ticket closed before three more reports come.
With ``[tickets] verify_with_graph``, every ``run`` checks each open duplicate-family problem:
when the object the report named exists in Entra ID as a synced object without provisioning
errors and no other object holds any of its values, its ticket is resolved, with a comment
saying what was checked. The check is an event at the time it was made, folded in like a
resolution a person gives (``lifecycle.VERIFIED``): a later report showing the problem
reopens it.

The rule that closes a ticket: the reported object is recognised **only** by its
onPremisesImmutableId being one of the problem's object ids (``advice.is_self`` with
``by_name=False``). A UPN proves nothing here: a cloud-only account with the UPN is the
conflict itself, and another synced object (AD does not enforce UPN uniqueness; two forests)
may hold the UPN the reported one wants while that one sits quarantined under a placeholder
UPN that no look-up by the identity finds. So a problem no report ever gave an object id for
(plain report emails only) is never verified: it is resolved by absence, by a complete
provisioning-error scan no longer listing it (those scans always carry the object id), or by
hand. The ids are those the ticket tracks: once given, a plain email does not take them away.

Earlier releases verified by the UPN; on the first pass of this one, every ticket still
resolved by such a verification is checked again under this rule, once, and reopened with
an "unverified" comment where the conflict is not shown cleared (``ledger.reverify``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .enrich.advice import is_self
from .enrich.cloud import CloudDirectory
from .enrich.enricher import values_of
from .errors import DirsyncBridgeError
from .lifecycle import VERIFIED
from .ports import Ledger

log = logging.getLogger(__name__)


def verify_cleared(ledger: Ledger, cloud: CloudDirectory, now: datetime) -> int:
    """Record a verified resolution for every open duplicate problem Graph shows cleared;
    first, once, withdraw the verifications an earlier release made that this release's
    rule does not uphold (``ledger.reverify``)."""
    recheck = ledger.verified_to_recheck()
    candidates = [c for fp in ledger.open_problems() if (c := _candidate(ledger, fp, None))]
    again = [c for fp, ep in recheck or () if (c := _candidate(ledger, fp, ep))]
    if not candidates and recheck is None:
        return 0
    try:
        cloud.prefetch(v for c in [*candidates, *again] for v in [c.identity, *c.values] if v)
    except DirsyncBridgeError as exc:
        log.warning("verification skipped this pass: %s", exc)
        return 0
    if recheck is not None:
        _recheck(ledger, cloud, again, now)
    resolved = 0
    for c in candidates:
        note = _cleared(cloud, c.identity, c.values, c.object_ids)
        if note is None:
            continue
        for _key, (ticket_fp, episode) in ledger.open_tickets([c.fingerprint]).items():
            ledger.record_resolution(ticket_fp, episode, VERIFIED + note, now, in_sink=False)
            resolved += 1
            log.info("verified cleared: %s", note)
    return resolved


@dataclass(frozen=True, slots=True)
class _Candidate:
    fingerprint: str
    episode: int | None
    identity: str
    values: list[str]
    object_ids: Sequence[str]


def _candidate(ledger: Ledger, fp: str, episode: int | None) -> _Candidate | None:
    """What to check of a duplicate problem (the tracked ticket's, or ticket ``episode``'s),
    from the details its ticket tracks; None for another problem."""
    problem = ledger.problem(fp)
    if problem.family != "duplicate" or not problem.identity:
        return None
    tickets = ledger.episodes(fp)
    chosen = [e for e in tickets if e.number == episode] if episode is not None else tickets[-1:]
    if not chosen:
        return None
    # The ticket's details, not the latest raw sighting's: a plain report email after one
    # with the Object ID column carries no id, and the fold keeps the one last seen
    # (``lifecycle.fold._carried``); the raw sighting's none would leave the object unknown,
    # never verified, and a right verification withdrawn for want of an id (review rev25).
    details = chosen[0].details
    values = values_of(problem.family, problem.identity, details.conflicts)
    return _Candidate(fp, episode, problem.identity, values, details.object_ids)


def _recheck(ledger: Ledger, cloud: CloudDirectory, again: list[_Candidate], now: datetime) -> None:
    """The once-only re-check: each verified ticket this rule does not show cleared is
    reopened.

    A look-up that failed for now (throttled, a 5xx, an odd answer) leaves the whole
    re-check for the next pass. One refused for good (a 403: a permission the app lacks,
    e.g. OrgContact.Read.All in a least-privilege grant) would leave it there for ever, so
    it does not wait (review rev25): the ticket is judged by the look-ups that answered. The
    rules differ only in which *synced user* is the reported object (``is_self``); a holder
    only a refused look-up could show is never that object under either rule, so what the
    earlier release found of it stands. A ticket not shown cleared by what answered (users
    refused: the object itself is not found) is reopened, its comment naming the refusal."""
    if any(_failed_for_now(cloud, v) for c in again for v in [c.identity, *c.values]):
        log.warning("the re-check of earlier verifications waits for every look-up")
        return
    wrong: list[tuple[str, int, str]] = []
    for c in again:
        if c.episode is None or _cleared(cloud, c.identity, c.values, c.object_ids, again=True):
            continue
        why = (
            "the report gave no object id, and a UPN alone does not tell the reported object "
            "from another object holding it"
            if not c.object_ids
            else f"Entra ID does not show the object with object id {', '.join(c.object_ids)}"
            " alone holding its values without a provisioning error"
        )
        refused = dict.fromkeys(r for v in [c.identity, *c.values] for r in cloud.refused(v))
        if refused:
            why += f"; Graph refused look-ups that could show more: {'; '.join(refused)}"
        wrong.append((c.fingerprint, c.episode, why))
        log.warning("an earlier verification was wrong, reopening: %s (%s)", c.identity, why)
    ledger.rechecked(wrong, now)


def _failed_for_now(cloud: CloudDirectory, value: str) -> bool:
    """Whether a look-up of ``value`` failed in a way a later pass may not (not a 403)."""
    return len(cloud.refused(value)) < len(cloud.unavailable(value))


def _cleared(
    cloud: CloudDirectory,
    identity: str,
    values: list[str],
    object_ids: Sequence[str],
    *,
    again: bool = False,
) -> str | None:
    """What was verified, or None when the conflict is not (visibly) gone. ``again``: the
    re-check of an earlier verification, which a look-up refused for good does not stop
    (``_recheck``)."""
    values_and_identity = [identity, *values]
    if any(
        _failed_for_now(cloud, v) if again else cloud.unavailable(v) for v in values_and_identity
    ):
        return None  # a look-up Graph refused may hide a holder: nothing is verified
    # Only an ImmutableId match is the reported object (module docstring): a holder of the
    # identity known by its UPN alone may be the very conflict, with the reported object
    # quarantined under a placeholder UPN that this look-up never finds.
    itself = [h for h in cloud.holders(identity) if is_self(h, identity, object_ids, by_name=False)]
    own = {h.id for h in itself}
    others = [h for v in values for h in cloud.holders(v) if h.id not in own]
    if others or not itself:
        return None
    if any(h.provisioning_errors for h in itself):
        return None
    shown = ", ".join(values)
    return f"only {identity} holds {shown}, and it has no provisioning error"

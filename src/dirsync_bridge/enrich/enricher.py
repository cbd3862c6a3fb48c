"""The enricher: the facts behind each problem, gathered from whatever is configured.

Look-ups degrade, never fail: a directory that is down, slow or refusing is named in
``unavailable`` and the run goes on (design.md section 1). The first failure of a directory
in a run is remembered, so a dead server costs one timeout per run, not one per value; a
single refused look-up (Graph's 403 on contacts, say) is only that look-up's
(``CloudDirectory``). The IdFix rules need no directory and always run. An enrichment says
only what was checked: ``looked_up`` names the directories that answered, and is empty
when the report named no value or none is configured; then finding no holder means nothing,
and the holders are not part of the details the lifecycle compares (``holder_labels``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DirsyncBridgeError, Fatal
from ..models import Conflict, Family, Kind, ParseResult, Report
from ..models.enrichment import Enrichment, Holder, RuleHit, Where, holder_key
from ..ports import Directory
from .advice import NO_VALUE, NOT_CONFIGURED, advise
from .rules import canonical_attribute, check, check_all

log = logging.getLogger(__name__)

WHERE: tuple[Where, ...] = ("cloud", "onprem")


class Enricher:
    """The look-ups of the configured ``Directory``s (none, one or both) and the IdFix rules."""

    def __init__(
        self, directories: Sequence[Directory] = (), *, config_file: Path | None = None
    ) -> None:
        """``config_file``: the file loaded, named by configuration errors met on the way."""
        self.directories = tuple(directories)
        self._down: dict[str, str] = {}
        self.config_file = config_file
        self.fatal: list[str] = []
        """Failures a person must fix (a certificate that does not verify...): the run
        carries on without the look-ups, then exits 2 naming them, so that someone is told."""

    @property
    def active(self) -> bool:
        """Whether any directory is configured to be looked up."""
        return bool(self.directories)

    def close(self) -> None:
        """Release every directory's connection."""
        for directory in self.directories:
            directory.close()

    def prefetch(self, values: Iterable[str]) -> None:
        """Look up many values at once (Graph batches them); failures wait for ``enrich``."""
        wanted = list(values)
        for directory in self.directories:
            if directory.name in self._down:
                continue
            try:
                directory.prefetch(wanted)
            except DirsyncBridgeError as exc:
                self._failed(directory.name, exc)

    def enrich(
        self,
        family: Family,
        identity: str | None,
        conflicts: Sequence[Conflict],
        invalid_attributes: Sequence[str] = (),
        object_ids: Sequence[str] = (),
        kinds: Sequence[Kind] = (),
    ) -> Enrichment:
        """The holders of every value, the rules it breaks, and the advice.

        ``object_ids``: the on-premises object ids the report gave, which tell the reported
        object from another holder of its values (``advice.is_self``); ``kinds``: the
        problem's error kinds (``advice.advise``)."""
        values = values_of(family, identity, conflicts)
        holders: list[Holder] = []
        missing: list[str] = []
        answered: set[Where] = set()
        for value in values:
            for directory in self.directories:
                found, why, asked = self._look(directory, value)
                holders += found
                missing += why
                if asked:
                    answered.add(directory.name)
        hits = rule_hits(family, identity, conflicts, invalid_attributes)
        unavailable = tuple(dict.fromkeys(missing))
        looked_up = tuple(w for w in WHERE if w in answered)
        advice = advise(
            family,
            identity,
            holders,
            hits,
            unavailable,
            searched=bool(looked_up),
            not_searched=NO_VALUE if not values else NOT_CONFIGURED,
            object_ids=object_ids,
            kinds=kinds,
        )
        return Enrichment(
            holders=tuple(holders),
            rule_hits=tuple(hits),
            advice=advice,
            unavailable=unavailable,
            looked_up=looked_up,
        )

    def _look(self, directory: Directory, value: str) -> tuple[list[Holder], list[str], bool]:
        """(holders found, why some look-ups are missing, whether the directory answered)."""
        name = directory.name
        if name in self._down and not directory.known(value):
            return [], [f"{name}: {self._down[name]}"], False
        try:
            found = list(directory.holders(value))
        except DirsyncBridgeError as exc:
            self._failed(name, exc)
            return [], [f"{name}: {self._down[name]}"], False
        return found, directory.unavailable(value), True

    def _failed(self, name: str, exc: DirsyncBridgeError) -> None:
        if isinstance(exc, ConfigError):
            exc.located(self.config_file)
        reason = " ".join(str(exc).split())[:300]
        log.warning("%s look-ups unavailable for this run: %s", name, reason)
        self._down[name] = reason
        if isinstance(exc, Fatal):
            self.fatal.append(" ".join(str(exc).split()))


def values_of(family: Family, identity: str | None, conflicts: Sequence[Conflict]) -> list[str]:
    """The values to look up: the conflicting ones, else (a bare duplicate row) the identity."""
    values = [v for c in conflicts for v in c.values]
    if not values and family == "duplicate" and identity:
        values = [identity]
    return list(dict.fromkeys(values))


def rule_hits(
    family: Family,
    identity: str | None,
    conflicts: Sequence[Conflict],
    invalid_attributes: Sequence[str],
) -> list[RuleHit]:
    """IdFix's verdict on every value involved."""
    hits = check_all((c.attribute, v) for c in conflicts for v in c.values)
    if family == "validation" and identity and _names_the_upn(invalid_attributes):
        hit = check("userPrincipalName", identity)
        if hit is not None and hit not in hits:
            hits.append(hit)
    return hits


def _names_the_upn(invalid_attributes: Sequence[str]) -> bool:
    """Whether the refused value may be the identity, the object's UPN: the message names
    the UPN ("FederatedUser.UserPrincipalName" too), or no attribute at all ("[None]" is
    the service's way of naming none, format.md 3.1). A message naming another attribute
    (proxyAddresses, sAMAccountName...) does not give that attribute's bad value; judging
    the UPN by that attribute's rules would invent one."""
    named = [a for a in invalid_attributes if a.strip() and a.strip().casefold() != "none"]
    return not named or any(
        canonical_attribute(a.rsplit(".", 1)[-1]) == "userPrincipalName" for a in named
    )


def holder_labels(enrichment: Enrichment | None) -> tuple[str, ...] | None:
    """The holders as the lifecycle compares them; None (no news) when a look-up was
    unavailable or none was made."""
    if enrichment is None or enrichment.unavailable or not enrichment.looked_up:
        return None
    return tuple(sorted({holder_key(h) for h in enrichment.holders}))


def enriched_json(result: ParseResult, enricher: Enricher) -> dict[str, Any]:
    """``parse --enrich``: the record JSON, each error with its ``enrichment`` object."""
    data = result.to_json_dict()
    if not isinstance(result, Report):
        return data
    enricher.prefetch(
        v for e in result.errors for v in values_of(e.family, e.identity, e.conflicts)
    )
    for error, out in zip(result.errors, data["errors"], strict=True):
        invalid = (error.invalid_attribute,) if error.invalid_attribute else ()
        ids = (error.object_id,) if error.object_id else ()
        facts = enricher.enrich(
            error.family, error.identity, error.conflicts, invalid, ids, kinds=(error.kind,)
        )
        out["enrichment"] = facts.model_dump(mode="json")
    return data

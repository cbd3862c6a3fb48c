"""Settling creates whose outcome is unknown: the tickets made with given idempotency keys.

Jira has no idempotency keys, so a create whose answer was lost is settled by reading: one
search of the problems' labels (``dirsync-<16 hex>``, up to 50 creates to a search), each
issue matched to its create by its issue property's idempotency key. Cloud search lags
behind writes (apis.md 3.2): the search waits until ``search_lag`` has passed since the
latest moment a create may have reached Jira, and a create of this very run that got no
clear answer and is not found stays unsure (exit 75; a later run's search decides). On Data
Center an issue that carries the label but lost its property (a bulk create that dropped
it, then a crash) is adopted when it can only be that create's.

Split from ``jira`` so that module holds the writes; ``JiraSink.find_many`` delegates here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from ..config.settings import JiraSettings
from ..fingerprint import label
from ..ports import TicketContent, TicketSnapshot
from ..sink_values import Found
from .jira_bulk import Properties
from .jira_http import JiraHttp
from .jira_links import linked_keys
from .jira_wire import PROPERTY_VERSION, jql_string, property_of

log = logging.getLogger(__name__)

FIELDS: Final = ["summary", "description", "status", "resolution", "resolutiondate", "issuelinks"]
"""What a ticket's snapshot is read from (``snapshot_of``)."""


class Settle:
    """The creates of this run that got no clear answer, and the searches that settle them."""

    def __init__(
        self,
        http: JiraHttp,
        settings: JiraSettings,
        properties: Properties,
        *,
        sleep: Callable[[float], None],
        now: Callable[[], datetime],
    ) -> None:
        """Nothing is asked until ``find_many``."""
        self._http, self._settings, self._properties = http, settings, properties
        self._sleep, self._now = sleep, now
        self.unsure: dict[str, datetime] = {}
        """Idempotency keys whose create had an unknown outcome in this run, and when
        (``JiraSink.create_many`` adds and removes them)."""

    def find_many(
        self, keys: list[str], written_at: datetime | None, known: Callable[[str], bool]
    ) -> Found:
        """``JiraSink.find_many``: one search of the labels of ``keys`` (not empty), then
        each issue matched to its key by its property."""
        self._wait_for_search(keys, written_at)
        by_label: dict[str, list[str]] = {}
        for key in keys:
            by_label.setdefault(label(key.split(":", 1)[0]), []).append(key)
        names = ", ".join(jql_string(name) for name in by_label)
        # No project named (as ``jira_people``): a person may have moved a ticket made by a
        # create whose answer was lost to another project before the search; its property
        # still names its idempotency key.
        jql = f"labels in ({names}) ORDER BY created ASC"
        found: dict[str, TicketSnapshot] = {}
        bare: dict[str, list[dict[str, Any]]] = {}  # label -> issues without our property
        cloud = self._http.is_cloud
        for raw in self._http.search(jql, [*FIELDS, "labels"]):
            key = str(property_of(raw).get("idempotency_key") or "")
            if key in keys and key not in found and not known(str(raw["key"])):
                # Several: the oldest (ORDER BY created) the ledger does not hold already.
                # (It holds one only where a release before 0012 created twice with one
                # key: ``made_twice``; the one it holds is the first create's.)
                found[key] = snapshot_of(raw, self._settings, {})
            elif not key and not cloud and not known(str(raw["key"])):
                # An issue the ledger knows is another ticket (a problem's old one whose
                # property was never set): never taken for this create's.
                for name in (raw.get("fields") or {}).get("labels") or []:
                    if name in by_label:
                        bare.setdefault(str(name), []).append(raw)
        unsure = {k for k in keys if k not in found and k in self.unsure and cloud}
        for name, issues in bare.items():
            adopted = self._adopt(by_label[name], issues, found)
            found |= adopted
            if not adopted:
                # Bare issues that cannot be told apart: one of them may be a create's,
                # so none of those creates is surely absent (a person must look).
                unsure |= {k for k in by_label[name] if k not in found}
        return Found(found, frozenset(unsure))

    def _wait_for_search(self, keys: Sequence[str], written_at: datetime | None) -> None:
        if not self._http.is_cloud:
            return  # Data Center search is consistent
        times = [written_at, *(self.unsure.get(key) for key in keys)]
        known = [t for t in times if t is not None]
        if not known:
            return
        wait = (max(known) + self._settings.search_lag - self._now()).total_seconds()
        # Every create was sent before now, so its reach-by is at most now plus the timeout:
        # one further ahead was stamped by a clock since set back (a VM resumed with a stale
        # clock), and waiting it out would hold the run lock for as long (review rev31).
        wait = min(wait, self._settings.search_lag.total_seconds() + self._settings.timeout)
        if wait > 0:
            log.info("waiting %.1fs for Jira Cloud search to catch up", wait)
            self._sleep(wait)

    def _adopt(
        self, wanted: list[str], bare: list[dict[str, Any]], found: dict[str, TicketSnapshot]
    ) -> dict[str, TicketSnapshot]:
        """Data Center: an unsettled create's issue that lost its property (``adopt``),
        given the property now, so that it is never taken for another create's."""
        pair = adopt([key for key in wanted if key not in found], bare)
        if pair is None:
            return {}
        key, raw = pair
        log.info("%s carries the label of %s but no property: it is that create's", raw["key"], key)
        self._properties.put((str(raw["key"]), bare_property(key)))
        snapshot = snapshot_of(raw, self._settings, {})
        fingerprint = key.rpartition(":")[0]
        return {
            key: snapshot.model_copy(update={"idempotency_key": key, "fingerprint": fingerprint})
        }


def snapshot_of(
    raw: dict[str, Any], settings: JiraSettings, comments: dict[str, str]
) -> TicketSnapshot:
    """A ticket as an issue's JSON (``FIELDS``, its property) shows it, with ``comments``
    (comment key -> body); none for a ticket found for an unsettled create: the tool writes
    its comments only once the create is recorded, so it holds none of them yet."""
    fields = raw.get("fields") or {}
    prop = property_of(raw)
    category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
    return TicketSnapshot(
        key=str(raw["key"]),
        idempotency_key=str(prop.get("idempotency_key", "")),
        fingerprint=str(prop.get("fingerprint", "")),
        content=TicketContent(
            summary=fields.get("summary") or "",
            description=fields.get("description") or "",
            links=tuple(prop.get("links", ())),
        ),
        status="resolved" if category == "done" else "open",
        resolution=(fields.get("resolution") or {}).get("name"),
        comments=comments,
        linked=linked_keys(fields, settings),
    )


def adopt(
    wanted: Sequence[str], bare: Sequence[dict[str, Any]]
) -> tuple[str, dict[str, Any]] | None:
    """Of the unsettled creates of one fingerprint (``wanted``, idempotency keys) and the
    issues carrying its label but no property (``bare``, Data Center: a crash between a
    bulk create that dropped the property and setting it), the one pair that can only
    belong together: (key, issue); None when it is not that simple."""
    if len(wanted) == 1 and len(bare) == 1:
        return wanted[0], bare[0]
    if wanted and bare:
        names = ", ".join(str(raw.get("key")) for raw in bare)
        log.warning("issues %s carry a fingerprint label but no property: left alone", names)
    return None


def bare_property(idempotency_key: str) -> dict[str, Any]:
    """The property given to an adopted issue: what its idempotency key says."""
    fingerprint, _, episode = idempotency_key.rpartition(":")
    return {
        "version": PROPERTY_VERSION,
        "fingerprint": fingerprint,
        "idempotency_key": idempotency_key,
        "episode": int(episode),
        "links": [],
    }

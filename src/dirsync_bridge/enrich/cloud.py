"""Cloud look-ups: which Entra ID users, groups and contacts hold a value, through Graph.

One look-up per value and object type, each a ``$filter`` Graph supports by default
(apis.md 1.7): ``userPrincipalName eq``, ``mail eq``, ``proxyAddresses/any(x:x eq ...)`` with
both the ``SMTP:`` and ``smtp:`` forms (whether Graph compares the prefix case-insensitively
is not documented, format.md 5.4). Look-ups go twenty to a ``$batch`` (Graph's limit,
apis.md 1.8), at most four batches in flight (``GraphClient``), and are cached for the run.

Each look-up stands alone. A sub-request answered 429, 503 or 504 is retried in a later
batch, after its ``Retry-After`` or the retry policy's jittered backoff; one refused or
failed marks only that look-up unavailable, with why (a 403 names the permission the app
lacks, and that object type is not asked again this run), and every holder the others found
is kept. An answer of odd shape (no ``value`` list, a holder without ``id`` or with a name
that is not a string, a status that is not a number) is checked here, at the boundary: that
look-up is unavailable too, never a crash and never proof that nobody holds the value. Only
when Graph itself stays unreachable or throttled past the retry budget does
``prefetch`` raise, after keeping what it found, so that the enricher stops asking for the
rest of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote

from .. import interrupt
from ..errors import DirsyncBridgeError, Retriable
from ..graph.client import MAX_IN_FLIGHT, GraphClient
from ..models.enrichment import CloudHolder, Where
from ..models.holders import ObjectType
from ..retry import RETRY_STATUSES, Budget, TryAgain, retry_after_seconds, retrying

log = logging.getLogger(__name__)

BATCH: Final = 20
TYPES: Final[tuple[ObjectType, ...]] = ("user", "group", "contact")
_COMMON: Final = (
    "id,displayName,mail,proxyAddresses,onPremisesSyncEnabled,onPremisesLastSyncDateTime,"
    "onPremisesProvisioningErrors"
)
SELECT: Final[dict[ObjectType, str]] = {
    # The last two tell the reported object itself from another holder (advice.is_self).
    "user": _COMMON + ",userPrincipalName,onPremisesImmutableId,onPremisesUserPrincipalName",
    "group": _COMMON,
    "contact": _COMMON,
}
RESOURCE: Final[dict[ObjectType, str]] = {"user": "users", "group": "groups", "contact": "contacts"}
PERMISSION: Final[dict[ObjectType, str]] = {
    # The least application permission that reads each kind, per Graph's permission tables
    # (apis.md 1.6 for users); Directory.Read.All covers all three.
    "user": "User.Read.All",
    "group": "GroupMember.Read.All (or Group.Read.All)",
    "contact": "OrgContact.Read.All",
}

Lookup = tuple[str, ObjectType]
Answer = tuple[int, Any, float | None]


def odata_string(value: str) -> str:
    """An OData string literal: single quotes, an inner quote doubled."""
    return "'" + value.replace("'", "''") + "'"


def lookup_filter(object_type: ObjectType, value: str) -> str:
    """The ``$filter`` finding the objects of one type that hold ``value``."""
    prefix, sep, rest = value.partition(":")
    if sep and prefix.casefold() != "smtp" and "@" not in prefix:
        # Another address type (SIP:, X500:...): only proxyAddresses can hold it.
        return f"proxyAddresses/any(x:x eq {odata_string(value)})"
    address = rest if sep and prefix.casefold() == "smtp" else value
    clauses = [
        f"proxyAddresses/any(x:x eq {odata_string('SMTP:' + address)})",
        f"proxyAddresses/any(x:x eq {odata_string('smtp:' + address)})",
        f"mail eq {odata_string(address)}",
    ]
    if object_type == "user":
        clauses.insert(0, f"userPrincipalName eq {odata_string(address)}")
    return " or ".join(clauses)


def lookup_url(object_type: ObjectType, value: str) -> str:
    """The relative URL of one look-up, as a ``$batch`` sub-request carries it."""
    query = quote(lookup_filter(object_type, value), safe="'():/@,")
    return f"/{RESOURCE[object_type]}?$filter={query}&$select={SELECT[object_type]}"


class CloudDirectory:
    """A ``Directory``: holders in Entra ID, looked up in batches and remembered for the run."""

    name: Where = "cloud"

    def __init__(self, client: GraphClient) -> None:
        """Nothing is sent until ``prefetch`` or ``holders``."""
        self.client = client
        self._cache: dict[str, list[CloudHolder]] = {}
        self._missing: dict[str, dict[ObjectType, str]] = {}
        self._refused: dict[ObjectType, str] = {}
        self.batches = 0

    def prefetch(self, values: Iterable[str]) -> None:
        """Look up every value not yet known, in as few batches as the limit allows.

        Raises (``Retriable``, or ``Fatal`` for a refused ``$batch``) only when Graph as a
        whole cannot answer; what was found until then is kept.
        """
        wanted = [v for v in dict.fromkeys(values) if v not in self._cache]
        if not wanted:
            return
        found: dict[str, list[CloudHolder]] = {v: [] for v in wanted}
        missing: dict[str, dict[ObjectType, str]] = {v: {} for v in wanted}
        lookups: list[Lookup] = []
        for value in wanted:
            for object_type in TYPES:
                if object_type in self._refused:
                    missing[value][object_type] = self._refused[object_type]
                else:
                    lookups.append((value, object_type))
        answered = {v for v in wanted if all(t in self._refused for t in TYPES)}
        try:
            self._run(lookups, found, missing, answered)
        finally:
            # Whatever happened, what was answered is known for the run; a value no batch
            # answered for is left unknown, for the enricher to say that Graph failed.
            self._cache.update({v: found[v] for v in answered})
            self._missing.update({v: missing[v] for v in answered if missing[v]})

    def holders(self, value: str) -> list[CloudHolder]:
        """The cloud objects holding ``value`` (those the look-ups that answered found)."""
        if value not in self._cache:
            try:
                self.prefetch([value])
            except DirsyncBridgeError:
                if value not in self._cache:
                    raise  # answered before Graph failed, if it did: keep what it found
        return self._cache[value]

    def close(self) -> None:
        """Nothing to release: the Graph client belongs to whoever made it."""

    def known(self, value: str) -> bool:
        """Whether ``value`` was looked up this run (some of its look-ups may have failed)."""
        return value in self._cache

    def unavailable(self, value: str) -> list[str]:
        """Why some look-ups of ``value`` could not be made, one line each (``[]``: none)."""
        return [
            f"cloud {RESOURCE[t]}: {why}" for t, why in sorted(self._missing.get(value, {}).items())
        ]

    def refused(self, value: str) -> list[str]:
        """Those of ``unavailable(value)`` that are refusals for good: a 403, a permission
        the app lacks, which no later pass gets without an admin's grant (the others - a
        throttle, a 5xx, an odd answer - may well answer next time)."""
        return [
            f"cloud {RESOURCE[t]}: {why}"
            for t, why in sorted(self._missing.get(value, {}).items())
            if self._refused.get(t) == why
        ]

    def _run(
        self,
        lookups: list[Lookup],
        found: dict[str, list[CloudHolder]],
        missing: dict[str, dict[ObjectType, str]],
        answered: set[str],
    ) -> None:
        left = lookups

        def round_of_batches() -> None:
            """One round: every look-up left, twenty to a batch; the throttled ones again."""
            nonlocal left
            chunks = [left[i : i + BATCH] for i in range(0, len(left), BATCH)]
            with interrupt.workers(MAX_IN_FLIGHT) as pool:
                futures = [pool.submit(self._batch, chunk) for chunk in chunks]
            failure: DirsyncBridgeError | None = None
            retry: list[Lookup] = []
            wait: float | None = None
            for chunk, future in zip(chunks, futures, strict=True):
                try:
                    answers = future.result()
                except DirsyncBridgeError as exc:  # the whole batch: Graph itself failed
                    failure = failure or exc
                    for value, object_type in chunk:
                        missing[value][object_type] = _one_line(str(exc))
                    continue
                for (value, object_type), (status, body, after) in zip(chunk, answers, strict=True):
                    answered.add(value)
                    if status == 200:
                        holders = self._holders(value, object_type, body, missing)
                        found[value] += holders
                    elif status in RETRY_STATUSES:
                        retry.append((value, object_type))
                        if after is not None:  # the longest wait asked for; None: backoff
                            wait = max(wait or 0.0, after)
                    else:
                        missing[value][object_type] = self._refusal(object_type, status, body)
            if failure is not None:
                raise failure
            left = retry
            if retry:
                raise TryAgain(f"{len(retry)} look-up(s) throttled", wait)

        def give_up(again: TryAgain, budget: Budget) -> Retriable:
            for value, object_type in left:
                missing[value][object_type] = f"throttled after {budget.attempts} attempts"
            return Retriable(
                f"cloud look-ups: Graph kept throttling ({len(left)} left after "
                f"{budget.attempts} attempts); the next run retries"
            )

        if left:
            retrying(round_of_batches, self.client.budget(), give_up)

    def _holders(
        self,
        value: str,
        object_type: ObjectType,
        body: Any,
        missing: dict[str, dict[ObjectType, str]],
    ) -> list[CloudHolder]:
        """The holders one 200 answer lists. An answer without a ``value`` list proves
        nothing (not "nobody holds it"), and a holder Graph described oddly is not seen:
        either way the look-up is named unavailable, with the holders it did read kept."""
        items = body.get("value") if isinstance(body, dict) else None
        if not isinstance(items, list):
            missing[value][object_type] = (
                f"Graph answered 200 without a list of holders {_code(body)}".rstrip()
            )
            return []
        link = body.get("@odata.nextLink")
        if link is not None and not isinstance(link, str):
            missing[value][object_type] = "more holders not read: an odd @odata.nextLink"
        elif link:  # more holders than a page: rare, followed outside the batch
            try:
                items = items + list(self.client.pages(link, what="look up holders"))
            except DirsyncBridgeError as exc:
                missing[value][object_type] = f"more holders not read: {_one_line(str(exc))}"
        holders: list[CloudHolder] = []
        odd: list[str] = []
        for raw in items:
            try:
                holders.append(CloudHolder.from_graph(value, object_type, raw))
            except ValueError as exc:
                odd.append(_one_line(str(exc)))
        if odd:
            log.warning(
                "cloud %s look-up of %s: %d holder(s) not read", object_type, value, len(odd)
            )
            missing[value][object_type] = (
                f"{len(odd)} holder(s) Graph described oddly not read ({odd[0][:120]})"
            )
        return holders

    def _refusal(self, object_type: ObjectType, status: int, body: Any) -> str:
        if status == 0:
            return "Graph's $batch answer had no readable response for this look-up"
        why = f"HTTP {status} {_code(body)}".rstrip()
        if status == 403:
            why += (
                f": grant the app the application permission {PERMISSION[object_type]} "
                "(or Directory.Read.All) with admin consent"
            )
            if object_type not in self._refused:
                log.warning("cloud %s look-ups refused: %s", RESOURCE[object_type], why)
            # A permission does not appear mid-run: do not ask again.
            self._refused[object_type] = why
        return why

    def _batch(self, chunk: list[Lookup]) -> list[Answer]:
        self.batches += 1
        requests = [
            {"id": str(n), "method": "GET", "url": lookup_url(object_type, value)}
            for n, (value, object_type) in enumerate(chunk)
        ]
        answer = self.client.request_json(
            "POST", "/$batch", what="look up holders", json={"requests": requests}
        )
        # Graph's answer is checked here, at the boundary: a sub-response that is missing
        # or odd (a status that is not a number, headers that are not an object) is status
        # 0, which ``_refusal`` names as an answer not understood, never a crash or a holder.
        responses = answer.get("responses")
        listed = responses if isinstance(responses, list) else []
        by_id = {str(r.get("id")): r for r in listed if isinstance(r, dict)}
        out: list[Answer] = []
        for n in range(len(chunk)):
            response = by_id.get(str(n), {})
            status = response.get("status")
            if not isinstance(status, int) or isinstance(status, bool):
                status = 0
            raw_headers = response.get("headers")
            headers = (
                {str(k).lower(): v for k, v in raw_headers.items()}
                if isinstance(raw_headers, dict)
                else {}
            )
            out.append((status, response.get("body"), _retry_after(headers.get("retry-after"))))
        return out


def _retry_after(value: Any) -> float | None:
    """``Retry-After`` as Graph sends it (a string), or as a bare JSON number; else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return retry_after_seconds(value) if isinstance(value, str) else None


def _code(body: Any) -> str:
    error = (body or {}).get("error") if isinstance(body, dict) else None
    return str(error.get("code", "")) if isinstance(error, dict) else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]

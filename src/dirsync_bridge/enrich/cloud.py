"""Cloud look-ups: which Entra ID users, groups and contacts hold a value, through Graph.

One look-up per value and object type, each a ``$filter`` Graph supports by default
(apis.md 1.7): ``userPrincipalName eq``, ``mail eq``, ``proxyAddresses/any(x:x eq ...)`` with
both the ``SMTP:`` and ``smtp:`` forms (whether Graph compares the prefix case-insensitively
is not documented, format.md 5.4). Look-ups go twenty to a ``$batch`` (Graph's limit,
apis.md 1.8), at most four batches in flight (``GraphClient``), and are cached for the run.
A sub-request answered 429 is retried in a later batch after its ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final
from urllib.parse import quote

from ..errors import Retriable
from ..graph import MAX_IN_FLIGHT, GraphClient
from ..retry import Budget, retry_after_seconds
from .facts import CloudHolder
from .holders import ObjectType

log = logging.getLogger(__name__)

BATCH: Final = 20
_COMMON: Final = (
    "id,displayName,mail,proxyAddresses,onPremisesSyncEnabled,onPremisesLastSyncDateTime,"
    "onPremisesProvisioningErrors"
)
SELECT: Final[dict[ObjectType, str]] = {
    "user": _COMMON + ",userPrincipalName,onPremisesImmutableId",
    "group": _COMMON,
    "contact": _COMMON,
}
RESOURCE: Final[dict[ObjectType, str]] = {"user": "users", "group": "groups", "contact": "contacts"}


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
    """Holders in Entra ID, looked up in batches and remembered for the run."""

    def __init__(self, client: GraphClient) -> None:
        """Nothing is sent until ``prefetch`` or ``holders``."""
        self.client = client
        self._cache: dict[str, list[CloudHolder]] = {}
        self.batches = 0

    def prefetch(self, values: Iterable[str]) -> None:
        """Look up every value not yet known, in as few batches as the limit allows."""
        wanted = [v for v in dict.fromkeys(values) if v not in self._cache]
        if not wanted:
            return
        types: tuple[ObjectType, ...] = ("user", "group", "contact")
        lookups: list[tuple[str, ObjectType]] = [(v, t) for v in wanted for t in types]
        found: dict[str, list[CloudHolder]] = {v: [] for v in wanted}
        budget = Budget(self.client.settings.retry_for.total_seconds())
        while lookups:
            chunks = [lookups[i : i + BATCH] for i in range(0, len(lookups), BATCH)]
            with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
                answers = list(pool.map(self._batch, chunks))
            retry: list[tuple[str, ObjectType]] = []
            wait: float | None = None
            for chunk, answer in zip(chunks, answers, strict=True):
                for (value, object_type), (status, body, after) in zip(chunk, answer, strict=True):
                    if status == 200:
                        found[value] += [
                            CloudHolder.from_graph(value, object_type, raw)
                            for raw in self._all(body)
                        ]
                    elif status in (429, 503, 504):
                        retry.append((value, object_type))
                        wait = max(wait or 0.0, after or 0.0)
                    else:
                        raise Retriable(f"cloud look-up of {value!r}: HTTP {status} {_code(body)}")
            if retry and not budget.wait(wait):
                raise Retriable(f"cloud look-ups throttled ({len(retry)} left after retries)")
            lookups = retry
        self._cache.update(found)

    def holders(self, value: str) -> list[CloudHolder]:
        """The cloud objects holding ``value``."""
        self.prefetch([value])
        return self._cache[value]

    def _batch(self, chunk: list[tuple[str, ObjectType]]) -> list[tuple[int, Any, float | None]]:
        self.batches += 1
        requests = [
            {"id": str(n), "method": "GET", "url": lookup_url(object_type, value)}
            for n, (value, object_type) in enumerate(chunk)
        ]
        answer = self.client.request(
            "POST", "/$batch", what="look up holders", json={"requests": requests}
        ).json()
        by_id = {str(r.get("id")): r for r in answer.get("responses", [])}
        out: list[tuple[int, Any, float | None]] = []
        for n in range(len(chunk)):
            response = by_id.get(str(n), {})
            headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
            out.append(
                (
                    int(response.get("status", 0)),
                    response.get("body"),
                    retry_after_seconds(headers.get("retry-after")),
                )
            )
        return out

    def _all(self, body: Any) -> list[dict[str, Any]]:
        items = list((body or {}).get("value", []))
        link = (body or {}).get("@odata.nextLink")
        if link:  # more holders than a page: rare, followed outside the batch
            items += list(self.client.pages(link, what="look up holders"))
        return items


def _code(body: Any) -> str:
    error = (body or {}).get("error") if isinstance(body, dict) else None
    return str(error.get("code", "")) if isinstance(error, dict) else ""

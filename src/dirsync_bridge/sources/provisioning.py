"""Graph's provisioning errors as a ``Source``: one report a pass, built from the directory.

Microsoft stopped mailing the reports; what Entra ID still shows of them is the
``onPremisesProvisioningErrors`` property of users, groups and contacts: the values Duplicate
Attribute Resiliency quarantined (live-sources.md 1). A pass reads each object type with

    GET /{users|groups|contacts}?$filter=onPremisesProvisioningErrors/any(o:o/category eq
        'PropertyConflict')&$select=<what the records need>&$top=999

following ``@odata.nextLink``: one listing per type, plus its pages, and no request per
object. The three listings and ``/organization`` (the tenant's name) go out together, four
in flight. If Graph refuses the filter (a community module says it does,
live-sources.md 0.2), that type is listed whole and filtered here: the refused request,
then a scan of every object of the type (logged once a pass).

The pass is one ``Report`` (design.md section 9): ``source_kind`` ``graph-provisioning``,
time = the pass's start, one ``QuarantinedAttributeValueMustBeUnique`` record per error.
It is ``complete`` (it lists every error Graph can show, so an absence from it means the
quarantine was cleared) only when every page of all three types was read. A page that
fails after the retry policy (or answers 200 without its ``value`` list, or links on to
another host, back to a page already read, or past ``MAX_PAGES``: ``graph.paging``) leaves
the report incomplete: what was read is still recorded
and ticketed, then ``finish`` raises the failure (exit 75, the next pass reads again). A
type Graph refuses to show (403: a permission missing) is named with the permission to
grant (exit 2 after the pass), and the rest still counts, as incomplete. An
``/organization`` answer without the organization (``{}``, an empty ``value`` list) names no
tenant: nothing of the scan is recorded, as after a 403 on it, and the pass ends 75.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from .. import interrupt
from ..config.settings import ALL_OBJECTS, ObjectKind, ProvisioningSettings
from ..errors import ConfigError, DirsyncBridgeError, GraphError, Retriable
from ..graph.client import MAX_IN_FLIGHT, GraphClient
from ..models import Conflict, DuplicateError, Report
from ..ports import Outcome, Progress, RawMessage
from ..run_summary import RunSummary

log = logging.getLogger(__name__)

SOURCE: Final = "graph:provisioning-errors"
CATEGORY: Final = "PropertyConflict"
"""The one category Graph documents ("Currently, there is only one possible value")."""
FILTER: Final = f"onPremisesProvisioningErrors/any(o:o/category eq '{CATEGORY}')"
_COMMON: Final = "id,displayName,mail,onPremisesProvisioningErrors"
SELECT: Final[dict[ObjectKind, str]] = {
    # onPremisesUserPrincipalName: a quarantined UPN leaves a placeholder in
    # userPrincipalName (prefix####@tenant.onmicrosoft.com); the original is here.
    "users": _COMMON + ",userPrincipalName,onPremisesUserPrincipalName,onPremisesImmutableId",
    "groups": _COMMON,
    "contacts": _COMMON,
}
PAGE_SIZE: Final = 999
"""Graph's largest page of directory objects (live-sources.md 1.1)."""
PERMISSION: Final[dict[str, str]] = {
    # The least application permission that reads each, or Directory.Read.All for all.
    "users": "User.Read.All",
    "groups": "GroupMember.Read.All",
    "contacts": "OrgContact.Read.All",
    "organization": "Organization.Read.All",
}
_ATTRIBUTES: Final = {
    # Graph's docs say ProxyAddress, Microsoft's PowerShell docs ProxyAddresses
    # (live-sources.md 0.2): both are the emails' ProxyAddresses.
    "userprincipalname": "UserPrincipalName",
    "proxyaddress": "ProxyAddresses",
    "proxyaddresses": "ProxyAddresses",
}
_NOUN: Final[dict[ObjectKind, str]] = {"users": "user", "groups": "group", "contacts": "contact"}


# ---------------------------------------------------------------------------------------------
# Records: Graph's objects as the record contract (design.md section 9), no I/O


def conflicts_of(obj: object) -> list[Mapping[str, Any]]:
    """The ``PropertyConflict`` errors of one listed object (a scan lists clean ones too)."""
    errors = obj.get("onPremisesProvisioningErrors") if isinstance(obj, Mapping) else None
    if not isinstance(errors, list):
        return []
    return [
        e
        for e in errors
        if isinstance(e, Mapping)
        and (_text(e.get("category")) or "").casefold() == CATEGORY.casefold()
    ]


def records(kind: ObjectKind, obj: Mapping[str, Any]) -> list[DuplicateError]:
    """One record per ``PropertyConflict`` error of one object (none for a clean object)."""
    if kind == "users":
        identity = _text(obj.get("onPremisesUserPrincipalName")) or _text(
            obj.get("userPrincipalName")
        )
        object_id = _text(obj.get("onPremisesImmutableId"))
    else:
        identity = _text(obj.get("mail")) or _text(obj.get("displayName"))
        object_id = None
    if identity is None and object_id is None:
        # Without a name the record was the whole tenant's "(tenant-level)" problem. Graph
        # names every object by its id: shown, it finds the object (``Get-MgGroup -GroupId``).
        entra_id = _text(obj.get("id"))
        if entra_id is None:
            if conflicts_of(obj):
                log.warning(
                    "a %s with provisioning errors and no id, UPN, mail or display "
                    "name is left out: it names no object",
                    _NOUN[kind],
                )
            return []
        identity = f"Entra object id {entra_id}"
    out = []
    for error in conflicts_of(obj):
        named = _text(error.get("propertyCausingError")) or "(no property named)"
        attribute = _ATTRIBUTES.get(named.casefold(), named)
        value = _text(error.get("value"))
        since = _text(error.get("occurredDateTime"))
        message = (
            f"Microsoft Graph lists this {_NOUN[kind]} with a provisioning error: "
            f"{CATEGORY} on {attribute}"
            + (f", value {value}" if value else "")
            + (f", since {since}" if since else "")
            + ". The value is quarantined: the object synchronized without it."
        )
        out.append(
            DuplicateError(
                kind="QuarantinedAttributeValueMustBeUnique",
                kind_stated=True,
                identity=identity,
                object_id=object_id,
                conflicts=(Conflict(attribute=attribute, values=(value,) if value else ()),),
                message=message,
            )
        )
    return out


def _text(value: object) -> str | None:
    """A string property, whitespace collapsed (Graph sends strings; anything else, or an
    empty one, is no value)."""
    if not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split())


# ---------------------------------------------------------------------------------------------
# The scan


@dataclass
class Listing:
    """What one object type's listing gave: its objects in error, and how it went."""

    kind: ObjectKind
    objects: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    scanned: bool = False
    """Graph refused the filter: every object of the type was read and filtered here."""
    failure: DirsyncBridgeError | None = None
    """Why the listing stopped before its last page, if it did."""


class ProvisioningErrors:
    """A ``Source``: one Graph scan of provisioning errors a pass, yielded as one ``Report``."""

    name = SOURCE

    def __init__(
        self,
        client: GraphClient,
        settings: ProvisioningSettings,
        *,
        now: datetime,
        progress: Progress | None = None,
        organization: Callable[[str, str], None] | None = None,
    ) -> None:
        """``now``: the pass's start, the report's time. Nothing is sent until ``messages``.
        ``progress``: told how many errors the scan found (the pass then counts them).
        ``organization``: told the tenant's id and name (``Ledger.learn_organization``)."""
        self._organization = organization
        self._org_id: str | None = None
        self.client = client
        self.settings = settings
        self._now = now
        self._progress = progress
        self._stopped: Retriable | None = None

    # -- Source --------------------------------------------------------------------------

    def messages(self, summary: RunSummary) -> Iterator[RawMessage | Report]:
        """The pass's report: built from every listing (nothing, if the tenant's name
        could not be read: a report without its tenant would open tickets under none)."""
        tenant, listings = self._scan()
        failures = [x.failure for x in listings if x.failure is not None]
        if isinstance(tenant, DirsyncBridgeError):
            failures.insert(0, tenant)
        for failure in failures:
            if isinstance(failure, ConfigError):
                raise failure  # the configuration is wrong for every request: as the mailbox
        for failure in failures:
            if isinstance(failure, Retriable):
                self._stopped = self._stopped or failure
            else:  # a person must grant a permission: said after the pass, exit 2
                summary.fatal.append(" ".join(str(failure).split()))
        if isinstance(tenant, DirsyncBridgeError) or not any(x.pages for x in listings):
            return  # nothing was read
        if tenant and self._org_id and self._organization is not None:
            # Learned before the report is read (here, not in the pool's thread: the ledger's
            # connection is this thread's), so that a renamed tenant is the same tenant.
            self._organization(self._org_id, tenant)
        complete = not failures and set(self.settings.objects) == set(ALL_OBJECTS)
        errors = tuple(e for x in listings for obj in x.objects for e in records(x.kind, obj))
        objects = sum(len(x.objects) for x in listings)
        summary.scans.append(
            f"graph provisioning errors: {len(errors)} on {objects} object(s), "
            + ("complete" if complete else "incomplete")
        )
        pages = sum(x.pages for x in listings)
        log.info(
            "graph scan of %s: %d error(s) on %d object(s) in %d page(s), %s%s",
            ", ".join(self.settings.objects),
            len(errors),
            objects,
            pages,
            "complete" if complete else "incomplete",
            "".join(
                f"; every one of the {x.kind} read (filter refused)" for x in listings if x.scanned
            ),
            extra={
                "event": "graph-scan",
                "source": SOURCE,
                "tenant": tenant,
                "complete": complete,
                "counts": {"errors": len(errors), "objects": objects, "pages": pages},
            },
        )
        if self._progress is not None:
            self._progress.expect(len(errors))
        yield Report(
            source=SOURCE,
            sent_at=self._now,
            tenant=tenant,
            source_kind="graph-provisioning",
            complete=complete,
            errors=errors,
        )

    def read(self, message: RawMessage | Report, outcome: Outcome) -> None:
        """Nothing to remember: the next pass reads Graph again."""

    def finish(self, summary: RunSummary) -> None:
        """Raises the failure that left the scan incomplete, if it may pass (exit 75)."""
        if self._stopped is not None:
            raise self._stopped

    # -- Graph ---------------------------------------------------------------------------

    def _scan(self) -> tuple[str | DirsyncBridgeError | None, list[Listing]]:
        """The tenant's name (or why it could not be read) and every listing, read
        together (at most four requests in flight, as every Graph caller here). The sign-in
        comes first: a refused one stops the pass, as it stops the mailbox's."""
        self.client.token()
        with interrupt.workers(MAX_IN_FLIGHT) as pool:
            tenant: Future[str | DirsyncBridgeError | None] = pool.submit(self._tenant)
            listings = [pool.submit(self._listing, kind) for kind in self.settings.objects]
        return tenant.result(), [future.result() for future in listings]

    def _tenant(self) -> str | DirsyncBridgeError | None:
        what = "read the tenant's name (/organization)"
        try:
            answer = self.client.get_json(
                "/organization", what=what, params={"$select": "id,displayName"}
            )
            # An answer without the organization (a gateway's {}, an empty list: a tenant
            # always has its one) says nothing about the name: read as "no name", it would
            # reject the scan no-tenant, or file it under [tenants] default as a second set
            # of tickets. Incomplete, as a users page without its value list is.
            found = self.client.paging(what).items(answer)
            if not found or not isinstance(found[0], dict):
                shown = "an empty list" if not found else type(found[0]).__name__
                raise Retriable(
                    f"Graph: {what}: {shown} came instead of the organization; the scan is "
                    "incomplete, the next run retries"
                )
            # Likewise the organization without its displayName as a string ({}, its id
            # alone, null, a number: fields a gateway stripped, Graph always sends the
            # string). A string that is blank is Graph's answer, and the rule for a blank
            # name applies (``ingest``: [tenants] default, or refused no-tenant).
            name = found[0].get("displayName")
            if not isinstance(name, str):
                shown = "no" if name is None else f"a {type(name).__name__} for its"
                raise Retriable(
                    f"Graph: {what}: the organization came with {shown} displayName; the "
                    "scan is incomplete, the next run retries"
                )
        except GraphError as exc:
            return permission_refusal(exc, "organization", what)
        except DirsyncBridgeError as exc:
            return exc
        first = found[0]
        self._org_id = _text(first.get("id"))
        return _text(first.get("displayName"))

    def _listing(self, kind: ObjectKind) -> Listing:
        listing = Listing(kind)
        what = f"list {kind} with provisioning errors"
        query = {"$filter": FILTER, "$select": SELECT[kind], "$top": str(PAGE_SIZE)}
        try:
            try:
                page = self.client.get_json(f"/{kind}", what=what, params=query)
            except GraphError as exc:
                if exc.status != 400:
                    raise
                # The filter refused: every object of the type, filtered here.
                log.warning(
                    "Graph refused the provisioning-error filter on %s (HTTP 400 %s): "
                    "reading every one of them instead",
                    kind,
                    exc.code,
                )
                listing.scanned = True
                del query["$filter"]
                page = self.client.get_json(f"/{kind}", what=f"scan {kind}", params=query)
            paging = self.client.paging(what)
            at: dict[str, int] = {}  # an object's id: its place in listing.objects
            while True:
                # A page without its value list, or a next link off Graph, looping or
                # endless, is a failure: the listing is incomplete and proves no absence.
                for obj in paging.items(page):
                    if conflicts_of(obj):
                        _keep(listing.objects, at, obj)
                listing.pages += 1
                link = paging.next(page)
                if link is None:
                    return listing
                page = self.client.get_json(link, what=what)
        except GraphError as exc:
            listing.failure = permission_refusal(exc, kind, what)
            if listing.pages and exc.status not in (401, 403):
                # A refusal of Graph's own next link, its query accepted on the first page
                # (400 Directory_ExpiredPageToken while a large tenant pages): no setting
                # to change, the listing is incomplete and the next pass reads it again.
                listing.failure = Retriable(
                    f"{exc}; the listing is incomplete, the next run retries"
                )
        except DirsyncBridgeError as exc:
            listing.failure = exc
        return listing


def _keep(objects: list[dict[str, Any]], at: dict[str, int], obj: dict[str, Any]) -> None:
    """Add ``obj`` to a listing's ``objects``, or put it in the place of the same object
    listed on an earlier page (paging while the directory changes, a proxy's cache): one
    object's errors are counted once, as they are now."""
    key = obj.get("id")
    if isinstance(key, str) and key in at:
        objects[at[key]] = obj
        return
    if isinstance(key, str):
        at[key] = len(objects)
    objects.append(obj)


def permission_refusal(exc: GraphError, what: str, doing: str) -> GraphError:
    """A 403 as what to grant (``what``: an object type, or ``organization``); other
    refusals as Graph said them."""
    if exc.status != 403:
        return exc
    why = (
        "(the scan names its tickets' tenant by it)"
        if what == "organization"
        else f"(or leave {what} out of [source.provisioning_errors] objects)"
    )
    return GraphError(
        f"Graph: {doing}: HTTP 403 {exc.code}: grant the app the application permission "
        f"{PERMISSION[what]} (or Directory.Read.All) with admin consent {why}",
        exc.status,
        exc.code,
    )

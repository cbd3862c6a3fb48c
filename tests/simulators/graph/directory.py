"""Directory objects (users, groups, organisational contacts) and the lookups enrichment makes.

Serves `GET /users`, `/groups`, `/contacts` (with `$filter`, `$select`, `$top`, `$orderby`,
`$count`), `GET /users/{id|userPrincipalName}`, `/groups/{id}`, `/contacts/{id}`,
`/users/$count` and `GET /organization`, following apis.md 1.7 and live-sources.md 1:
- `eq`/`in`/`startswith` on userPrincipalName, mail, displayName, `proxyAddresses/any(x:x eq
  'smtp:...')` and onPremisesSyncEnabled work by default; `ne`, `not`, `endsWith`,
  onPremisesImmutableId, onPremisesLastSyncDateTime and `$filter` with `$orderby` are advanced
  queries: they need `ConsistencyLevel: eventual` AND `$count=true`, else 400
  Request_UnsupportedQuery. `$count=true` without the header is silently ignored; the `$count`
  segment without it is 400 Request_BadRequest.
- string comparisons are case-insensitive (so `smtp:` matches `SMTP:`);
- the on-premises sync properties come back only when `$select`ed on users;
- `onPremisesProvisioningErrors/any(o:o/category eq '...')` (or `o/propertyCausingError`)
  works by default on every kind (live-sources.md 1.2); a tenant can be made to refuse it
  (`refused_filters`), as one community module reports Graph does, and the server can answer
  fewer objects per page than `$top` asks (`page_size`), as Graph may;
- `/organization` needs Organization.Read.All or Directory.Read.All (application);
- at most 15 `or`/`in` alternatives in one filter (Entra's limit; its message below).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import odata
from .model import iso
from .odata import AnyOf, BoolOp, Call, Cmp, In, Node, Not, ODataError
from .wire import GraphError, Json, Reply, Request

KINDS = {"users": "user", "groups": "group", "contacts": "contact"}
RESOURCE = {"user": "User", "group": "Group", "contact": "OrgContact"}
# Application permissions that allow reading each kind (apis.md 1.6: User.Read.All for /users;
# Graph's permission tables: GroupMember.Read.All is the least one that lists groups).
READ_ROLES = {
    "user": {"User.Read.All", "User.ReadBasic.All", "Directory.Read.All"},
    "group": {"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"},
    "contact": {"OrgContact.Read.All", "Directory.Read.All"},
    # Graph's "List organization" page: the application permissions that read it.
    "organization": {
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    },
}
ORGANIZATION_FIELDS = (  # noqa: SIM905  (a word list reads better)
    "id displayName verifiedDomains tenantType onPremisesSyncEnabled onPremisesLastSyncDateTime"
).split()
COMMON = (  # noqa: SIM905  (a word list reads better)
    "id displayName mail mailNickname proxyAddresses onPremisesSyncEnabled "
    "onPremisesLastSyncDateTime onPremisesProvisioningErrors onPremisesSecurityIdentifier"
).split()
FIELDS = {
    "user": [
        *COMMON,
        *"userPrincipalName givenName surname jobTitle businessPhones mobilePhone officeLocation "  # noqa: SIM905
        "preferredLanguage accountEnabled userType otherMails onPremisesImmutableId "
        "onPremisesUserPrincipalName onPremisesSamAccountName onPremisesDistinguishedName "
        "onPremisesDomainName".split(),
    ],
    "group": [*COMMON, "mailEnabled", "securityEnabled", "groupTypes", "description"],
    "contact": [*COMMON, "givenName", "surname", "companyName"],
}
# Without $select, users come back with this set only (apis.md 1.7, [G-userlist]).
USER_DEFAULT = (  # noqa: SIM905  (a word list reads better)
    "businessPhones displayName givenName id jobTitle mail mobilePhone officeLocation "
    "preferredLanguage surname userPrincipalName"
).split()
# property -> operators that work by default, and those that need an advanced query.
_TEXT = ({"eq", "in", "startswith"}, {"ne", "endswith", "not"})
FILTERS: dict[str, tuple[set[str], set[str]]] = {
    "id": ({"eq", "in"}, {"ne", "not"}),
    "displayname": _TEXT,
    "mail": _TEXT,
    "mailnickname": _TEXT,
    "userprincipalname": _TEXT,
    "proxyaddresses": _TEXT,
    "onpremisessamaccountname": _TEXT,
    "onpremisessyncenabled": ({"eq"}, {"ne", "not"}),
    "accountenabled": ({"eq"}, {"ne", "not"}),
    "mailenabled": ({"eq"}, {"ne", "not"}),
    "securityenabled": ({"eq"}, {"ne", "not"}),
    "usertype": ({"eq", "in"}, {"ne", "not"}),
    "onpremisesimmutableid": (set(), {"eq", "in", "ne", "not", "startswith"}),
    # The lambda over the errors: `any(o:o/category eq ...)` is a default query; `ne` is what
    # Microsoft's own module sends (`ne null`), undocumented but working.
    "onpremisesprovisioningerrors": ({"eq", "ne"}, {"not"}),
    "onpremiseslastsyncdatetime": (set(), {"eq", "ne", "not", "ge", "le", "gt", "lt"}),
}
ELEMENT_FILTERS = {"category", "propertycausingerror"}
"""The properties of a complex collection element a lambda may test (`o/category`)."""
MAX_OR = 15
UNSUPPORTED = "Unsupported Query."


@dataclass
class DirObject:
    """One user, group or contact: Graph property name -> value (datetimes as datetime)."""

    kind: str
    props: dict[str, Any]
    has_mailbox: bool = False
    aliases: set[str] = field(default_factory=set)  # lower-case keys it answers to in URLs

    @property
    def id(self) -> str:
        """The object id (a GUID)."""
        return str(self.props["id"])

    def get(self, path: str) -> Any:
        """A property by name, case-insensitively (None when unset)."""
        wanted = path.lower()
        return next((v for k, v in self.props.items() if k.lower() == wanted), None)

    def json(self, fields: Sequence[str] | None) -> Json:
        """The resource with the requested properties (the kind's defaults without $select)."""
        if fields is None:
            fields = USER_DEFAULT if self.kind == "user" else FIELDS[self.kind]
        out: Json = {}
        for name in ["id", *[f for f in fields if f != "id"]]:
            value = self.props.get(name)
            out[name] = iso(value) if isinstance(value, datetime) else value
        return out


class Directory:
    """All directory objects of the tenant."""

    def __init__(self, tenant_id: str = "", organization_name: str = "Contoso") -> None:
        self.objects: list[DirObject] = []
        self.organization: dict[str, Any] = {
            "id": tenant_id,
            "displayName": organization_name,
            "verifiedDomains": [{"name": "contoso.com", "isDefault": True, "type": "Managed"}],
            "tenantType": "AAD",
            "onPremisesSyncEnabled": True,
            "onPremisesLastSyncDateTime": None,
        }
        self.refused_filters: set[str] = set()
        """Properties (lower case) whose filters this tenant refuses as unsupported."""
        self.page_size: int | None = None
        """At most this many objects per page, whatever `$top` asks (None: `$top`)."""

    def add(self, kind: str, props: dict[str, Any], has_mailbox: bool = False) -> DirObject:
        """Store one object; list-valued and unset properties get Graph's empty values."""
        props = {"id": str(uuid.uuid4())} | props
        for name in FIELDS[kind]:
            props.setdefault(name, [] if name in _LISTS else None)
        obj = DirObject(kind, props, has_mailbox, {props["id"].lower()})
        if kind == "user" and props.get("userPrincipalName"):
            obj.aliases.add(str(props["userPrincipalName"]).lower())
        self.objects.append(obj)
        return obj

    def of_kind(self, kind: str) -> list[DirObject]:
        """Objects of one kind, in creation order."""
        return [o for o in self.objects if o.kind == kind]

    def find(self, kind: str, key: str) -> DirObject | None:
        """An object by id, or a user by userPrincipalName (case-insensitive)."""
        key = key.lower()
        return next((o for o in self.of_kind(kind) if key in o.aliases), None)


_LISTS = {
    "proxyAddresses",
    "onPremisesProvisioningErrors",
    "businessPhones",
    "otherMails",
    "groupTypes",
}


def _operator(n: Node) -> str | None:
    """The operator of one test node (`eq`, `in`, `startswith`, ...), None for the rest."""
    if isinstance(n, Cmp):
        return n.op
    if isinstance(n, In):
        return "in"
    if isinstance(n, Call):
        return n.name
    return None


def _operator_uses(node: Node) -> Iterable[tuple[str, str]]:
    """(property, operator) for every test in the filter; a test under `not` also yields
    "not", and a test inside `p/any(x: ...)` is a test on `p`."""
    for n in odata.walk(node):
        op = _operator(n)
        if op is not None and isinstance(n, Cmp | In | Call):
            yield n.path, op
        elif isinstance(n, Not):
            for inner in odata.walk(n.part):
                if isinstance(inner, Cmp | In | Call | AnyOf):
                    yield inner.path, "not"
        elif isinstance(n, AnyOf):
            for inner in odata.walk(n.body):
                if (inner_op := _operator(inner)) is not None:
                    yield n.path, inner_op


def _alternatives(node: Node) -> int:
    total = 0
    for n in odata.walk(node):
        if isinstance(n, BoolOp) and n.op == "or":
            total += len(n.parts)
        elif isinstance(n, In):
            total += len(n.values)
    return total


def _unsupported(path: str, resource: str) -> GraphError:
    return GraphError(
        400,
        "Request_UnsupportedQuery",
        f"Unsupported or invalid query filter clause specified for property '{path}' "
        f"of resource '{resource}'.",
    )


def _needs_advanced(
    kind: str, node: Node | None, ordered: bool, refused: set[str] | None = None
) -> bool:
    """Whether the query is an advanced one; raises for what no query can do (and for what
    this tenant refuses: `refused`)."""
    advanced = ordered and node is not None
    if node is None:
        return advanced
    resource = RESOURCE[kind]
    inner_vars = {n.var.lower() for n in odata.walk(node) if isinstance(n, AnyOf)}
    for path, op in _operator_uses(node):
        name = path.lower()
        head, _, sub = name.partition("/")
        if head in inner_vars:
            if sub and sub not in ELEMENT_FILTERS:
                raise _unsupported(path.partition("/")[2], "OnPremisesProvisioningError")
            continue
        if name not in {f.lower() for f in FIELDS[kind]} or name not in FILTERS:
            raise _unsupported(path, resource)
        if name in (refused or set()):
            raise _unsupported(path, resource)
        default, extra = FILTERS[name]
        if op in extra:
            advanced = True
        elif op not in default:
            raise _unsupported(path, resource)
    count = _alternatives(node)
    if count > MAX_OR:
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            "Too many child clauses specified in search filter expression containing 'OR' "
            f"operators: {count}. Max allowed: {MAX_OR}.",
        )
    return advanced


def _sort_key(name: str, obj: DirObject) -> tuple[int, Any]:
    return odata.sort_key(obj.get(name))


def _roles_check(kind: str, roles: set[str]) -> None:
    if not roles & READ_ROLES[kind]:
        raise GraphError(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )


def route(req: Request, directory: Directory, base_url: str, roles: set[str]) -> Reply | None:
    """Answer a directory request, or None when the path is not a directory one."""
    segs = req.segments
    if segs == ["organization"] and req.method == "GET":
        return _organization(req, directory, base_url, roles)
    if not segs or segs[0] not in KINDS or req.method != "GET":
        return None
    kind = KINDS[segs[0]]
    _roles_check(kind, roles)
    eventual = req.headers.get("consistencylevel", "").lower() == "eventual"
    if len(segs) == 2 and segs[1] == "$count":
        if not eventual:
            raise GraphError(400, "Request_BadRequest", "$count is not currently supported.")
        return Reply(200, str(len(directory.of_kind(kind))).encode(), content_type="text/plain")
    try:
        fields = odata.select_fields(
            odata.parse_select(req.param("$select")),
            FIELDS[kind],
            resource=f"microsoft.graph.{kind if kind != 'contact' else 'orgContact'}",
        )
    except ODataError as e:
        raise GraphError(400, "Request_BadRequest", str(e)) from e
    if len(segs) == 2:
        obj = directory.find(kind, segs[1])
        if obj is None:
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                f"Resource '{segs[1]}' does not exist or one of its queried reference-property "
                "objects are not present.",
            )
        return Reply(200, _context(base_url, segs[0], fields, entity=True) | obj.json(fields))
    if len(segs) != 1:
        return None
    return _list(req, directory, kind, base_url, fields, eventual)


def _organization(req: Request, directory: Directory, base_url: str, roles: set[str]) -> Reply:
    """`GET /organization`: the one tenant, as a collection."""
    _roles_check("organization", roles)
    try:
        fields = odata.select_fields(
            odata.parse_select(req.param("$select")),
            ORGANIZATION_FIELDS,
            resource="microsoft.graph.organization",
        )
    except ODataError as e:
        raise GraphError(400, "Request_BadRequest", str(e)) from e
    org = directory.organization
    shown = {name: org.get(name) for name in ["id", *[f for f in fields or ORGANIZATION_FIELDS]]}
    return Reply(200, _context(base_url, "organization", fields) | {"value": [shown]})


def _context(base_url: str, name: str, fields: Sequence[str] | None, entity: bool = False) -> Json:
    shape = f"{name}({','.join(fields)})" if fields else name
    return {"@odata.context": f"{base_url}/v1.0/$metadata#{shape}{'/$entity' if entity else ''}"}


def _list(
    req: Request,
    directory: Directory,
    kind: str,
    base_url: str,
    fields: Sequence[str] | None,
    eventual: bool,
) -> Reply:
    try:
        node = odata.parse_filter(f) if (f := req.param("$filter")) else None
        order = odata.parse_orderby(req.param("$orderby"))
        top = odata.parse_top(req.param("$top"), 100, 999)
        top = min(top, directory.page_size or top)
        offset = odata.read_skiptoken(t) if (t := req.param("$skiptoken")) else 0
    except ODataError as e:
        raise GraphError(400, "Request_BadRequest", f"Invalid filter clause: {e}") from e
    counted = eventual and (req.param("$count") or "").lower() == "true"
    if req.param("$search") is not None:  # apis.md 1.7: needs the header; not simulated
        message = "Request with $search query parameter only works through MSGraph with a "
        message += "special request header: 'ConsistencyLevel: eventual'"
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            message if not eventual else "$search is not simulated: use $filter.",
        )
    if _needs_advanced(kind, node, bool(order), directory.refused_filters) and not counted:
        raise GraphError(400, "Request_UnsupportedQuery", UNSUPPORTED)
    found = [o for o in directory.of_kind(kind) if node is None or odata.evaluate(node, o.get)]
    for name, desc in reversed(order):
        found.sort(key=functools.partial(_sort_key, name), reverse=desc)
    page = found[offset : offset + top]
    body = _context(base_url, req.segments[0], fields)
    if counted:
        body["@odata.count"] = len(found)
    if offset + top < len(found):
        body["@odata.nextLink"] = odata.next_link(base_url, req.path, req.params, offset + top)
    body["value"] = [o.json(fields) for o in page]
    return Reply(200, body)

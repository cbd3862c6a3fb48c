"""The issues of the simulated Jira and what happens to them: create, edit, comments, links,
entity properties, the workflow (statuses, transitions, resolution), moves to another project
(the old key keeps answering). JQL search over them is in `search`.

Issue JSON follows the REST v2 resources the `jira` library reads (apis.md section 3.2); field
checks and reference data live in `catalog`. No I/O here: the server module holds the lock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .catalog import (
    DESCRIPTION_MAX,
    LINK_TYPES,
    SYSTEM_FIELDS,
    TOO_LONG,
    ApiError,
    Catalog,
    Json,
    by_ref,
    cannot_set,
    java_length,
    stamp,
)

Workflow = Mapping[str, Sequence[tuple[str, str]]]  # from status -> [(transition, to status)]
DEFAULT_WORKFLOW: Workflow = {
    "To Do": [("Start Progress", "In Progress"), ("Done", "Done")],
    "In Progress": [("Stop Progress", "To Do"), ("Done", "Done")],
    "Done": [("Reopen", "To Do")],
}
NOT_FOUND = "Issue does not exist or you do not have permission to see it."


@dataclass
class Comment:
    """One comment as stored."""

    id: str
    body: str
    created: float
    updated: float


@dataclass
class Issue:
    """One issue as stored; `fields` holds the settable fields by name (priority "Medium")."""

    id: str
    key: str
    fields: dict[str, Any]
    status: str
    created: float
    updated: float
    resolution: str | None = None
    resolutiondate: float | None = None
    category_changed: float | None = None  # statuscategorychangedate (None: since created)
    status_changes: list[float] = field(default_factory=list)  # for JQL's `status CHANGED`
    comments: list[Comment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def project(self) -> str:
        """The project key."""
        return self.key.rsplit("-", 1)[0]


@dataclass(frozen=True)
class Link:
    """An issue link as POSTed: `inward` (e.g. "duplicates") `outward`."""

    id: str
    type: str
    inward: str  # issue key
    outward: str


class JiraModel(Catalog):
    """Issues, comments, properties, links and the workflow; answers as Jira would."""

    def __init__(self, *, workflow: Workflow, clock: Callable[[], float], **catalog: Any) -> None:
        super().__init__(**catalog)
        self.clock = clock
        self.issues: dict[str, Issue] = {}  # key -> issue
        self.moved: dict[str, str] = {}  # a key an issue had before a move -> its next key
        self.links: list[Link] = []
        self.issue_comment_page = 5000  # comments GET issue embeds: Jira sends a page of them
        self._ids = iter(range(10001, 10**9))
        self._numbers = dict.fromkeys(self.projects, 0)
        self.set_workflow(workflow)

    def set_workflow(self, workflow: Workflow) -> None:
        """Replace the workflow; transition ids are 11, 21, 31... in the order given."""
        self.workflow: dict[str, list[tuple[str, str, str]]] = {}  # from -> [(id, name, to)]
        moves = [(src, name, to) for src, pairs in workflow.items() for name, to in pairs]
        for n, (source, name, target) in enumerate(moves, start=1):
            if target not in self.statuses or source not in self.statuses:
                raise ValueError(f"transition {name!r} joins an unknown status")
            self.workflow.setdefault(source, []).append((f"{n}1", name, target))

    def issue(self, ref: str) -> Issue:
        """An issue by key (any case, or a key it had before a move) or id, else 404."""
        found = self.issues.get(self.current_key(ref))
        found = found or next((i for i in self.issues.values() if i.id == ref), None)
        if found is None:
            raise ApiError(404, NOT_FOUND)
        return found

    def current_key(self, key: str) -> str:
        """The key an issue has now, given any key it ever had (Jira redirects old keys)."""
        key = key.upper()
        while key not in self.issues and key in self.moved:
            key = self.moved[key]
        return key

    def move(self, issue: Issue, project: str) -> str:
        """Move an issue to another project: a new key there; the old one keeps working."""
        if project not in self.projects:
            raise ValueError(f"unknown project {project!r}")
        del self.issues[issue.key]
        self._numbers[project] += 1
        new = f"{project}-{self._numbers[project]}"
        self.moved[issue.key] = new
        ends = {issue.key: new}  # links follow the issue
        self.links = [
            Link(x.id, x.type, ends.get(x.inward, x.inward), ends.get(x.outward, x.outward))
            for x in self.links
        ]
        issue.key, issue.updated = new, self.clock()
        self.issues[new] = issue
        return new

    def old_keys(self, key: str) -> list[str]:
        """The keys this issue had before it was moved."""
        return [old for old in self.moved if old != key and self.current_key(old) == key]

    # -- issues ----------------------------------------------------------------------------

    def create_issue(self, body: Any) -> tuple[Issue, Json]:
        """POST issue: validate everything, then create in the workflow's first status."""
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            raise ApiError(400, "Issue fields are required.")
        errors: dict[str, str] = {}
        project = fields.get("project")
        ref = (
            {"id": project.get("id"), "name": project.get("key")}
            if isinstance(project, dict)
            else None
        )
        key = by_ref(ref, self.projects, 10000)
        if key is None:
            errors["project"] = "valid project is required" if project else "project is required"
        if "issuetype" not in fields:
            errors["issuetype"] = "Specify an issue type"
        if "summary" not in fields:
            errors["summary"] = "You must specify a summary of the issue."
        stored = {fid: self.normalise(fid, v, errors) for fid, v in fields.items()}
        items = body.get("properties") or []
        if not isinstance(items, list) or not all(isinstance(p, dict) for p in items):
            raise ApiError(400, "The properties must be a list of key and value objects.")
        props = {str(p.get("key")): self.property_value(str(p.get("key") or ""), p.get("value"))
                 for p in items}  # fmt: skip
        if errors:
            raise ApiError(400, errors=errors)
        assert key is not None
        del stored["project"]
        stored.setdefault("priority", "Medium")
        self._numbers[key] += 1
        now, status = self.clock(), next(iter(self.statuses))
        issue = Issue(str(next(self._ids)), f"{key}-{self._numbers[key]}", stored, status, now, now)
        issue.properties = props
        self.issues[issue.key] = issue
        return issue, {"id": issue.id, "key": issue.key, "self": self.url(f"issue/{issue.id}")}

    def edit_issue(self, issue: Issue, body: Any, skip: Collection[str] = ()) -> None:
        """PUT issue: `fields` (set) and `update` (add/remove/set ops), all or nothing."""
        body = body if isinstance(body, dict) else {}
        new, errors, comments = dict(issue.fields), dict[str, str](), list[Any]()
        for fid, value in (body.get("fields") or {}).items():
            if fid not in skip:
                new[fid] = self.normalise(fid, value, errors)
        for fid, ops in (body.get("update") or {}).items():
            for op in ops if isinstance(ops, list) else [None]:
                verb, arg = next(iter(op.items())) if isinstance(op, dict) and op else ("", None)
                if fid == "comment" and verb == "add":
                    comments.append(arg)
                elif fid in {"labels", "components"} and verb in {"add", "remove"}:
                    have = new.get(fid) or []
                    if fid == "components":
                        have = [{"name": c} for c in have]
                        name = by_ref(arg, self.components, 10000)
                        arg = {"name": name or (arg.get("name") if isinstance(arg, dict) else arg)}
                    have = [*have, arg] if verb == "add" else [x for x in have if x != arg]
                    new[fid] = self.normalise(fid, have, errors)
                elif verb == "set":
                    new[fid] = self.normalise(fid, arg, errors)
                else:
                    errors[fid] = cannot_set(fid)
        if "project" in new:
            errors["project"] = cannot_set("project")
        if errors:
            raise ApiError(400, errors=errors)
        if any(not isinstance(c, dict) or not str(c.get("body", "")).strip() for c in comments):
            raise ApiError(400, errors={"comment": "Comment body can not be empty!"})
        issue.fields = new
        for comment in comments:
            self.add_comment(issue, comment)
        issue.updated = self.clock()

    def select_fields(self, spec: Sequence[str]) -> set[str]:
        """The field ids a `fields` parameter asks for: ids, `*all`, `*navigable`, `-id`."""
        every = set(SYSTEM_FIELDS) | set(self.custom_fields)
        chosen: set[str] = set()
        for token in spec:
            if token in {"*all", "*navigable"}:
                chosen |= every - ({"comment"} if token == "*navigable" else set())
            elif token.startswith("-"):
                chosen = (chosen or every) - {token[1:]}
            else:
                chosen.add(token)
        return chosen

    def issue_json(
        self,
        issue: Issue,
        wanted: Collection[str],
        properties: Collection[str] = (),
    ) -> Json:
        """An issue as GET issue and the searches return it, with the `wanted` fields."""
        f = issue.fields
        values: dict[str, Callable[[], Any]] = {
            "summary": lambda: f.get("summary"),
            "description": lambda: f.get("description"),
            "labels": lambda: list(f.get("labels") or []),
            "priority": lambda: self.priority_json(f["priority"]),
            "status": lambda: self.status_json(issue.status),
            "resolution": lambda: issue.resolution and self.resolution_json(issue.resolution),
            "issuetype": lambda: self.issuetype_json(f["issuetype"]),
            "project": lambda: self.project_json(issue.project, issue_types=False),
            "components": lambda: [self.component_json(c) for c in f.get("components") or []],
            "issuelinks": lambda: self._links_json(issue),
            "created": lambda: stamp(issue.created),
            "updated": lambda: stamp(issue.updated),
            "resolutiondate": lambda: stamp(issue.resolutiondate),
            "statuscategorychangedate": lambda: stamp(issue.category_changed or issue.created),
            "comment": lambda: self.comments_json(issue, 0, self.issue_comment_page),
            "reporter": lambda: f.get("reporter", self.user),
            "creator": lambda: self.user,
        }
        shown = {fid: values[fid]() if fid in values else f.get(fid) for fid in sorted(wanted)
                 if fid in values or fid in SYSTEM_FIELDS or fid in self.custom_fields}  # fmt: skip
        out: Json = {"expand": "renderedFields,names,schema,operations,editmeta,changelog"}
        out |= {"id": issue.id, "self": self.url(f"issue/{issue.id}"), "key": issue.key}
        out["fields"] = shown
        if properties:
            keys = issue.properties if "*all" in properties else properties
            out["properties"] = {k: issue.properties[k] for k in keys if k in issue.properties}
        return out

    def _links_json(self, issue: Issue) -> list[Json]:
        out = []
        for link in self.links:
            if issue.key not in (link.inward, link.outward):
                continue
            # Each end shows the other: the inward issue sees an outwardIssue, and vice versa.
            side, other = ("outwardIssue", link.outward)
            if link.inward != issue.key:
                side, other = ("inwardIssue", link.inward)
            o = self.issues[other]
            brief = {"summary": o.fields["summary"], "status": self.status_json(o.status)}
            brief["issuetype"] = self.issuetype_json(o.fields["issuetype"])
            end = {"id": o.id, "key": o.key, "self": self.url(f"issue/{o.id}"), "fields": brief}
            item = {"id": link.id, "self": self.url(f"issueLink/{link.id}")}
            out.append(item | {"type": self.link_type_json(link.type), side: end})
        return out

    def link(self, body: Any) -> None:
        """POST issueLink `{"type": {"name"}, "inwardIssue": {"key"}, "outwardIssue": {"key"}}`."""
        body = body if isinstance(body, dict) else {}
        kind = by_ref(body.get("type"), list(LINK_TYPES), 10000)
        if kind is None:
            wanted = (body.get("type") or {}).get("name")
            raise ApiError(404, f"No issue link type with name '{wanted}' found.")
        refs = [body.get(side) or {} for side in ("inwardIssue", "outwardIssue")]
        ends = [self.issue(str(ref.get("key") or ref.get("id"))) for ref in refs]
        self.links.append(Link(str(next(self._ids)), kind, ends[0].key, ends[1].key))
        for end in ends:
            end.updated = self.clock()

    def unlink(self, lid: str) -> None:
        """DELETE issueLink/{id}: 404 when there is no such link."""
        found = next((link for link in self.links if link.id == lid), None)
        if found is None:
            raise ApiError(404, f"No issue link with id '{lid}' exists.")
        self.links.remove(found)
        for end in (found.inward, found.outward):
            if end in self.issues:
                self.issues[end].updated = self.clock()

    # -- comments --------------------------------------------------------------------------

    def comment_json(self, issue: Issue, c: Comment) -> Json:
        """One comment."""
        out: Json = {
            "self": self.url(f"issue/{issue.id}/comment/{c.id}"),
            "id": c.id,
            "body": c.body,
        }
        out |= {"author": self.user, "updateAuthor": self.user, "jsdPublic": True}
        return out | {"created": stamp(c.created), "updated": stamp(c.updated)}

    def comments_json(self, issue: Issue, start: int = 0, limit: int = 5000) -> Json:
        """The paged comment list (also the issue's `comment` field)."""
        page = [self.comment_json(issue, c) for c in issue.comments[start : start + limit]]
        return {
            "comments": page,
            "maxResults": limit,
            "total": len(issue.comments),
            "startAt": start,
        }

    def add_comment(self, issue: Issue, body: Any) -> Comment:
        """POST issue/{key}/comment."""
        now = self.clock()
        comment = Comment(str(next(self._ids)), "", now, now)
        self.edit_comment(issue, comment, body)
        issue.comments.append(comment)
        issue.updated = now
        return comment

    def edit_comment(self, issue: Issue, comment: Comment, body: Any) -> None:
        """PUT issue/{key}/comment/{id}: a new body, checked as on create."""
        text = body.get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, errors={"comment": "Comment body can not be empty!"})
        if java_length(text) > DESCRIPTION_MAX:
            raise ApiError(400, errors={"comment": TOO_LONG})
        comment.body, comment.updated = text, self.clock()

    def comment(self, issue: Issue, cid: str) -> Comment:
        """One comment by id, else 404."""
        found = next((c for c in issue.comments if c.id == cid), None)
        if found is None:
            raise ApiError(404, f"Can not find a comment for the id: {cid}.")
        return found

    # -- workflow --------------------------------------------------------------------------

    def transitions_json(self, issue: Issue) -> list[Json]:
        """The transitions available from the issue's status."""
        flags: Json = {
            "hasScreen": False,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
        }
        return [{"id": tid, "name": name, "to": self.status_json(to), **flags}
                for tid, name, to in self.workflow.get(issue.status, [])]  # fmt: skip

    def transition(self, issue: Issue, body: Any) -> None:
        """POST transitions: move, set or clear the resolution, apply `fields` and `update`."""
        body = body if isinstance(body, dict) else {}
        tid = str((body.get("transition") or {}).get("id"))
        move = next((m for m in self.workflow.get(issue.status, []) if m[0] == tid), None)
        if move is None:
            raise ApiError(400, f"Transition id '{tid}' is not valid for this issue.")
        given = (body.get("fields") or {}).get("resolution")
        resolution = None
        if given is not None:
            if self.statuses[move[2]] != "done":
                raise ApiError(400, errors={"resolution": cannot_set("resolution")})
            resolution = by_ref(given, self.resolutions, 10000)
            if resolution is None:
                raise ApiError(400, errors={"resolution": "The resolution selected is invalid."})
        self.edit_issue(issue, body, skip={"resolution"})
        self.set_status(issue, move[2], resolution)

    def set_status(
        self, issue: Issue, status: str, resolution: str | None = None, *, resolve: bool = True
    ) -> None:
        """Move an issue; entering a done status resolves it (unless `resolve` is False),
        leaving one clears the resolution."""
        now = self.clock()
        if self.statuses[status] != "done":
            issue.resolution = issue.resolutiondate = None
        elif not resolve:
            pass  # a workflow without a resolution screen: done, resolution empty
        elif issue.resolution is None or resolution is not None:
            issue.resolution, issue.resolutiondate = resolution or self.resolutions[0], now
        if self.statuses[status] != self.statuses[issue.status]:
            issue.category_changed = now
        if status != issue.status:
            issue.status_changes.append(now)
        issue.status, issue.updated = status, now

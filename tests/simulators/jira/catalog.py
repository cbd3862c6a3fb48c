"""What the simulated Jira instance is configured with, and whether a value is valid in it.

Projects, issue types, components, priorities, resolutions, statuses with their categories,
link types and fields, each with its REST v2 JSON shape (absolute `self` URLs), and the field
checks Jira makes on create and edit, with its messages. The limits are those of apis.md
sections 3.2 and 3.5: summary at most 255 characters and no newline; labels without spaces and
at most 255 characters; description and comments at most 32,767 characters, strings (v2 takes wiki
markup, not ADF); entity property values JSON objects of at most 32 KB. Characters are counted as
Jira (Java's ``String.length()``) counts them: in UTF-16 code units, so one beyond U+FFFF counts
two (``java_length``). Error bodies are
`{"errorMessages": [...], "errors": {field: message}}` (section 3.3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]
SUMMARY_MAX, LABEL_MAX, DESCRIPTION_MAX = 255, 255, 32767
PROPERTY_MAX, PROPERTY_KEY_MAX = 32768, 255
TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
DEFAULT_STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}
DEFAULT_RESOLUTIONS = ("Done", "Won't Do", "Duplicate")
CATEGORIES = {"new": ("2", "To Do"), "indeterminate": ("4", "In Progress"), "done": ("3", "Done")}
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")  # ids "1".."5"; default Medium
LINK_TYPES = {  # name -> (inward, outward)
    "Blocks": ("is blocked by", "blocks"),
    "Cloners": ("is cloned by", "clones"),
    "Duplicate": ("is duplicated by", "duplicates"),
    "Relates": ("relates to", "relates to"),
}
# fmt: off
SYSTEM_FIELDS = {  # id -> (name, schema type)
    "summary": ("Summary", "string"), "description": ("Description", "string"),
    "labels": ("Labels", "array"), "priority": ("Priority", "priority"),
    "status": ("Status", "status"), "resolution": ("Resolution", "resolution"),
    "issuetype": ("Issue Type", "issuetype"), "project": ("Project", "project"),
    "components": ("Components", "array"), "issuelinks": ("Linked Issues", "array"),
    "created": ("Created", "datetime"), "updated": ("Updated", "datetime"),
    "resolutiondate": ("Resolved", "datetime"), "comment": ("Comment", "comments-page"),
    "statuscategorychangedate": ("Status Category Changed", "datetime"),
    "assignee": ("Assignee", "user"), "reporter": ("Reporter", "user"),
    "creator": ("Creator", "user"), "duedate": ("Due date", "date"),
    "environment": ("Environment", "string"),
}
# fmt: on
# On the create and edit screens; the last four are stored as sent, not modelled.
SETTABLE = {"summary", "description", "labels", "priority", "issuetype", "project", "components"}
SETTABLE |= {"assignee", "reporter", "duedate", "environment"}


def java_length(text: str) -> int:
    """The length of a text as Jira checks it: Java's String.length(), UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def cannot_set(fid: str) -> str:
    """Jira's message for a field that is not on the screen (or does not exist)."""
    return f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."


class ApiError(Exception):
    """A Jira error answer: status plus `{"errorMessages": [...], "errors": {...}}`."""

    def __init__(self, status: int, *messages: str, errors: Mapping[str, str] | None = None):
        super().__init__(status, messages, errors)
        self.status, self.messages, self.errors = status, list(messages), dict(errors or {})

    def body(self) -> Json:
        """The JSON body Jira sends."""
        return {"errorMessages": self.messages, "errors": self.errors}


def stamp(ts: float | None) -> str | None:
    """A Jira timestamp: 2025-01-31T10:00:00.000+0000."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def by_ref(ref: Any, names: Sequence[str], first_id: int) -> str | None:
    """The name a `{"name": ..}` or `{"id": ..}` reference points at, among ids first_id, +1..."""
    if not isinstance(ref, dict):
        return None
    if ref.get("name") in names:
        return str(ref["name"])
    index = int(ref["id"]) - first_id if str(ref.get("id", "")).isdigit() else -1
    return names[index] if 0 <= index < len(names) else None


class Catalog:
    """The instance's configuration, rendered as Jira renders it, and Jira's field checks."""

    def __init__(
        self,
        *,
        projects: Sequence[str],
        issue_types: Sequence[str],
        components: Sequence[str],
        custom_fields: Mapping[str, str],
        statuses: Mapping[str, str],
        resolutions: Sequence[str],
        user: Json,
    ) -> None:
        self.base_url = ""
        self.projects, self.issue_types = list(projects), list(issue_types)
        self.components, self.custom_fields = list(components), dict(custom_fields)
        self.statuses, self.resolutions = dict(statuses), list(resolutions)
        self.user = user

    def url(self, path: str) -> str:
        """An absolute REST v2 URL."""
        return f"{self.base_url}/rest/api/2/{path}"

    def project_json(self, key: str, issue_types: bool = True) -> Json:
        """GET project/{key}."""
        pid = str(10000 + self.projects.index(key))
        out: Json = {"self": self.url(f"project/{pid}"), "id": pid, "key": key, "name": key}
        out |= {"projectTypeKey": "software", "simplified": False, "style": "classic"}
        if issue_types:
            out["components"] = [self.component_json(c) for c in self.components]
            out["issueTypes"] = [self.issuetype_json(t) for t in self.issue_types]
        return out

    def issuetype_json(self, name: str) -> Json:
        """An issue type."""
        tid = str(10001 + self.issue_types.index(name))
        out = {"self": self.url(f"issuetype/{tid}"), "id": tid, "name": name, "description": ""}
        return out | {"subtask": False, "hierarchyLevel": 0}

    def priority_json(self, name: str) -> Json:
        """A priority."""
        pid = str(PRIORITIES.index(name) + 1)
        return {"self": self.url(f"priority/{pid}"), "id": pid, "name": name}

    def resolution_json(self, name: str) -> Json:
        """A resolution."""
        rid = str(10000 + self.resolutions.index(name))
        return {"self": self.url(f"resolution/{rid}"), "id": rid, "name": name, "description": ""}

    def component_json(self, name: str) -> Json:
        """A project component."""
        cid = str(10000 + self.components.index(name))
        return {"self": self.url(f"component/{cid}"), "id": cid, "name": name}

    def status_json(self, name: str) -> Json:
        """A status with its category (new, indeterminate or done)."""
        sid, key = str(10000 + list(self.statuses).index(name)), self.statuses[name]
        cid, cname = CATEGORIES[key]
        color = {"new": "blue-gray", "indeterminate": "yellow", "done": "green"}[key]
        category: Json = {"self": self.url(f"statuscategory/{cid}"), "id": int(cid), "key": key}
        category |= {"name": cname, "colorName": color}
        out = {"self": self.url(f"status/{sid}"), "id": sid, "name": name, "description": ""}
        return out | {"statusCategory": category}

    def link_type_json(self, name: str) -> Json:
        """An issue link type."""
        lid = str(10000 + list(LINK_TYPES).index(name))
        inward, outward = LINK_TYPES[name]
        out = {"id": lid, "name": name, "inward": inward, "outward": outward}
        return out | {"self": self.url(f"issueLinkType/{lid}")}

    def fields_json(self) -> list[Json]:
        """GET field: the system fields, then the configured custom fields."""
        out = []
        flags = {"orderable": True, "navigable": True, "searchable": True}
        for fid, (name, kind) in SYSTEM_FIELDS.items():
            schema: Json = {"type": kind, "system": fid}
            out.append({"id": fid, "key": fid, "name": name, "custom": False, **flags}
                       | {"clauseNames": [fid], "schema": schema})  # fmt: skip
        for fid, name in self.custom_fields.items():
            num = int(fid.rsplit("_", 1)[-1])
            kind = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
            schema = {"type": "string", "custom": kind, "customId": num}
            out.append({"id": fid, "key": fid, "name": name, "custom": True, **flags}
                       | {"clauseNames": [f"cf[{num}]", name], "schema": schema})  # fmt: skip
        return out

    # -- validation ------------------------------------------------------------------------

    def normalise(self, fid: str, value: Any, errors: dict[str, str]) -> Any:
        """Check one field value as Jira would; return its stored form, or record an error."""
        if fid not in SETTABLE and fid not in self.custom_fields:
            errors[fid] = cannot_set(fid)
        elif fid == "summary":
            if not isinstance(value, str) or not value.strip():
                errors[fid] = "You must specify a summary of the issue."
            elif "\n" in value or "\r" in value:
                errors[fid] = "The summary is invalid because it contains newline characters."
            elif java_length(value) > SUMMARY_MAX:
                errors[fid] = "Summary must be less than 255 characters."
        elif fid == "description" and value is not None:
            if not isinstance(value, str):
                errors[fid] = "Operation value must be a string"
            elif java_length(value) > DESCRIPTION_MAX:
                errors[fid] = TOO_LONG
        elif fid == "labels":
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                errors[fid] = "data was not an array"
                return value
            for label in value:
                if " " in label:
                    errors[fid] = f"The label '{label}' contains spaces which is invalid."
                elif java_length(label) > LABEL_MAX:
                    errors[fid] = (
                        f"The label '{label}' exceeds the maximum length for a single label "
                        "of 255 characters."
                    )
            return list(dict.fromkeys(value))
        elif fid == "priority":
            value = by_ref(value, PRIORITIES, 1)
            if value is None:
                errors[fid] = "The priority selected is invalid."
        elif fid == "issuetype":
            value = by_ref(value, self.issue_types, 10001)
            if value is None:
                errors[fid] = "The issue type selected is invalid."
        elif fid == "components":
            if not isinstance(value, list):
                errors[fid] = "data was not an array"
                return value
            names = [by_ref(ref, self.components, 10000) for ref in value]
            for ref, name in zip(value, names, strict=True):
                if name is None:
                    shown = ref.get("name", ref.get("id")) if isinstance(ref, dict) else ref
                    errors[fid] = f"Component name '{shown}' is not valid"
            return list(dict.fromkeys(names))
        return value

    def property_value(self, key: str, value: Any) -> Any:
        """Check an entity property as Jira would (key length, JSON object, 32 KB)."""
        if not key or len(key) > PROPERTY_KEY_MAX:
            raise ApiError(400, "The property key must be between 1 and 255 characters long.")
        if not isinstance(value, dict):
            raise ApiError(400, f"The value of property '{key}' must be a JSON object.")
        if len(json.dumps(value).encode()) > PROPERTY_MAX:
            raise ApiError(400, f"The property '{key}' exceeds the maximum size of 32768 bytes.")
        return value

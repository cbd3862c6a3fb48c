"""Jira's wire details for the sink: the issue property, comment markers, errors, the token.

Split from ``jira`` so that module holds the sink's behaviour; everything here is pure.
"""

from __future__ import annotations

import base64
import contextlib
import re
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from jira import JIRAError

from ..config.settings import JiraSettings
from ..errors import BadRequest, ConfigError, Fatal, Skippable, TicketGone
from ..fingerprint import label
from ..json_answers import answer_json
from ..ports import TicketContent
from ..secret_files import (
    header_safe,
    read_secret_file,
    redact,
    secret_line,
    sent,
    unset_or_empty,
)

PROPERTY: Final = "dirsync-bridge"
PROPERTY_VERSION: Final = 1
MARKER_TEMPLATE: Final = "{{color:#97a0af}}dirsync-bridge comment {key}{{color}}"
_MARKER: Final = re.compile(r"\n*\{color:#97a0af\}dirsync-bridge comment (\S+)\{color\}\s*\Z")


class OutcomeUnknown(Exception):
    """A write's outcome is unknown (5xx or a dropped connection after sending)."""


CONTENT_FIELDS: Final = frozenset({"summary", "description", "comment", "environment"})
"""Fields whose refusal concerns one ticket's text, not the configuration. Not ``labels``:
a new ticket's labels are the configured ones and its fingerprint's, never its text, so a
create refused for them (a create screen without the Labels field) is refused for all."""
_LABELS_NEEDED: Final = (
    "; the project's create screen must have the Labels field: the tool finds its tickets "
    "by their fingerprint label"
)
SETTING_OF_FIELD: Final = {
    "project": "project",
    "issuetype": "issue_type",
    "components": "components",
    "priority": "priority",
    "labels": "labels",
}
"""The ``[jira]`` setting behind each field a create sets from it; others are ``fields``."""
_FIELD_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,99}")


def marker(comment_key: str) -> str:
    """The line that names a comment this tool wrote."""
    return MARKER_TEMPLATE.format(key=comment_key)


def split_marker(body: str) -> tuple[str | None, str]:
    """A comment body as (its key, the text without the marker); key None if not ours."""
    found = _MARKER.search(body)
    if found is None:
        return None, body
    return found.group(1), body[: found.start()]


def jql_string(value: str) -> str:
    """A JQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


EVERY_PERMISSION: Final = (
    "Browse Projects, Create Issues, Edit Issues, Add Comments, Edit Own Comments, Delete Own "
    "Comments, Transition Issues, Resolve Issues and Link Issues"
)
"""The project permissions the sink's requests need, all of them (README, Jira)."""
_KEY = r"[^/]+"
_PERMISSION_OF: Final = (
    ("POST", re.compile(r"issue(/bulk)?"), "Create Issues"),
    ("PUT", re.compile(rf"issue/{_KEY}"), "Edit Issues"),
    ("PUT", re.compile(rf"issue/{_KEY}/properties/{_KEY}"), "Edit Issues"),
    ("POST", re.compile(rf"issue/{_KEY}/comment"), "Add Comments"),
    ("PUT", re.compile(rf"issue/{_KEY}/comment/{_KEY}"), "Edit Own Comments"),
    ("DELETE", re.compile(rf"issue/{_KEY}/comment/{_KEY}"), "Delete Own Comments"),
    # A resolving transition sets the resolution too (Resolve Issues), on most workflows.
    ("POST", re.compile(rf"issue/{_KEY}/transitions"), "Transition Issues and Resolve Issues"),
    ("POST", re.compile(r"issueLink"), "Link Issues"),
    ("DELETE", re.compile(rf"issueLink/{_KEY}"), "Link Issues"),
)
"""The permission each write needs: a 403 names it, not a list of others an admin would
check in vain (a permission granted for years is not the one missing since an upgrade made
a new kind of request, such as withdrawing comments)."""


def permission_needed(method: str, path: str, body: object | None = None) -> str:
    """The project permission a request to ``/rest/api/2/<path>`` needs, by Jira's name."""
    if method == "GET":
        return "Browse Projects"
    for wanted, pattern, permission in _PERMISSION_OF:
        if method == wanted and pattern.fullmatch(path):
            update = body.get("update") if isinstance(body, dict) else None
            if permission == "Edit Issues" and isinstance(update, dict) and "comment" in update:
                return "Edit Issues and Add Comments"  # an edit that adds a comment too
            return permission
    return EVERY_PERMISSION


def refused(
    settings: JiraSettings,
    what: str,
    exc: JIRAError,
    ticket: str = "",
    *,
    creating: bool = False,
    needs: str = EVERY_PERMISSION,
) -> Exception:
    """What a refusal means for the run.

    ``ticket``: the issue key the request concerns; for a create (``creating``), the label
    of the problem whose ticket it would be. ``needs``: the permission the request needs
    (``permission_needed``), named by a 403.
    """
    detail = _jira_message(exc)
    status = exc.status_code or 0
    body = error_json(exc)
    return refusal(settings, what, status, body, detail, ticket, creating=creating, needs=needs)


def refusal(
    settings: JiraSettings,
    what: str,
    status: int,
    body: dict[str, Any] | None,
    detail: str,
    ticket: str = "",
    *,
    creating: bool = False,
    needs: str = EVERY_PERMISSION,
) -> Exception:
    """``refused``, from the parts of an answer: its status, Jira's error JSON (None if the
    answer was not Jira's), and that JSON as one line (``message_of``). A bulk create's
    refusal of one item comes this way (``errors[].elementErrors``)."""
    if status == 401:
        return Fatal(
            f"Jira at {settings.url} refused the credentials (HTTP 401): check [jira] email "
            f"and the token in ${settings.token_env}"
        )
    if status == 403:
        return Fatal(
            f"Jira: {what}: permission denied (HTTP 403: {detail}); the account needs {needs} "
            "in the project"
        )
    if body is None and status in (404, 405):
        # Jira's REST API answers a missing issue with its error JSON; a web page, or a
        # "null for uri" note, means the address is not (the root of) a Jira site.
        return ConfigError(
            None,
            "[jira] url",
            f"{settings.url} does not answer as Jira (HTTP {status}, no Jira error, to "
            f"{what}): set it to the site's base address, e.g. https://contoso.atlassian.net",
        )
    if status == 404 and ticket and not creating:
        return TicketGone(ticket, gone_message(ticket))
    if status == 404:
        return Skippable(f"Jira: {what}: not found (HTTP 404: {detail})")
    if status == 400 and ticket:
        fields = set((body or {}).get("errors") or {})
        if creating and fields - CONTENT_FIELDS:
            # A project, issue type, priority or custom field every create names: the
            # configuration, not this one ticket.
            named = settings_named(fields - CONTENT_FIELDS)
            needed = _LABELS_NEEDED if "labels" in fields else ""
            return Fatal(f"Jira: {what}: HTTP 400: {detail}; check {named}{needed}")
        return Skippable(
            f"{ticket}: Jira refused to {what} (HTTP 400: {detail}); skipped until fixed, "
            "the other tickets go on"
        )
    if status == 400:
        return BadRequest(f"Jira: {what}: HTTP 400: {detail}", _messages(body))
    return Fatal(f"Jira: {what}: HTTP {status}: {detail}")


def settings_named(fields: set[str]) -> str:
    """The ``[jira]`` settings that set the create fields Jira refused, for an admin to check:
    ``[jira] priority`` for ``priority``, ``[jira] fields.customfield_10011`` for a field the
    ``fields`` table sets (or should: Jira refuses a required field that is missing)."""
    names = [
        f"[jira] {SETTING_OF_FIELD[field]}"
        if field in SETTING_OF_FIELD
        else f"[jira] fields.{field}"
        if _FIELD_ID.fullmatch(field)
        else "[jira] fields"  # a name from the answer that is no field id: not repeated
        for field in sorted(fields)
    ]
    names = list(dict.fromkeys(names))
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def is_server_info(answer: object) -> bool:
    """Whether an answer is Jira's serverInfo (the ``jira`` library needs ``versionNumbers``)."""
    return isinstance(answer, dict) and isinstance(answer.get("versionNumbers"), list)


def not_jira(settings: JiraSettings, why: str) -> ConfigError:
    """The error for a ``[jira] url`` that is not a Jira site (``why``: what it answered)."""
    return ConfigError(
        None,
        "[jira] url",
        f"{settings.url} does not answer as Jira ({why}, to GET /rest/api/2/serverInfo, which "
        "every Jira site answers): set it to the site's base address, e.g. "
        "https://contoso.atlassian.net (or let the tool past a proxy answering in its place)",
    )


def gone_message(key: str) -> str:
    """The one line that says a ticket is gone."""
    return (
        f"{key} is gone from Jira (deleted, or hidden from the account): its problem gets "
        "a new ticket"
    )


def error_json(exc: JIRAError) -> dict[str, Any] | None:
    """Jira's error body ``{"errorMessages": [...], "errors": {...}}``, or None if it is not."""
    try:
        data = answer_json(exc.response) if exc.response is not None else None
    except ValueError:
        return None
    if isinstance(data, dict) and ("errorMessages" in data or "errors" in data):
        return data
    return None


def _messages(body: dict[str, Any] | None) -> list[str]:
    body = body or {}
    return [str(m) for m in body.get("errorMessages") or []] + [
        str(v) for v in (body.get("errors") or {}).values()
    ]


def _jira_message(exc: JIRAError) -> str:
    """Jira's error JSON as one line: field errors first, then the messages."""
    text = message_of(error_json(exc) or {})
    if text or exc.response is not None:
        return text or "no details"
    return " ".join(redact(str(exc.text)).split())[:500]


def message_of(body: dict[str, Any]) -> str:
    """Jira's error JSON (``{"errorMessages": [...], "errors": {...}}``) as one line: field
    errors first, then the messages; "" if it says nothing."""
    parts = [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    parts += [str(m) for m in body.get("errorMessages") or []]
    # Hidden before the cut: a secret cut in two would no longer be recognised.
    return " ".join(redact("; ".join(parts)).split())[:500]


def property_of(raw: dict[str, Any]) -> dict[str, Any]:
    value = (raw.get("properties") or {}).get(PROPERTY)
    if isinstance(value, dict) and "value" in value and "fingerprint" not in value:
        value = value["value"]
    return value if isinstance(value, dict) else {}


def issue_fields(
    settings: JiraSettings, fingerprint: str, content: TicketContent, family: str
) -> dict[str, Any]:
    """The fields of a new issue: the configured ones, its text, labels and priority."""
    s = settings
    labels = list(dict.fromkeys([*s.labels, "dirsync", label(fingerprint)]))
    fields: dict[str, Any] = {
        **s.fields,
        "project": {"key": s.project},
        "issuetype": {"name": s.issue_type},
        "summary": content.summary,
        "description": content.description,
        "labels": labels,
    }
    priority = s.priority_for(family)
    if priority:
        fields["priority"] = {"name": priority}
    if s.components:
        fields["components"] = [{"name": c} for c in s.components]
    return fields


def property_value(
    idempotency_key: str, fingerprint: str, family: str, content: TicketContent
) -> dict[str, Any]:
    # Jira caps a property at 32 KB: only short facts go here, never ticket text.
    return {
        "version": PROPERTY_VERSION,
        "fingerprint": fingerprint,
        "idempotency_key": idempotency_key,
        "episode": int(idempotency_key.rsplit(":", 1)[-1]),
        "family": family,
        "links": list(content.links),
    }


def jira_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, fmt).astimezone(UTC)
        except ValueError:
            continue
        except OverflowError:  # 9999-12-31T23:59:59.000-0100 is past the last day in UTC
            return None
    return None


def jira_token(settings: JiraSettings, env: Mapping[str, str]) -> str:
    """The API token or PAT: from ``token_env``, else ``token_file``; never from the config.

    Checked before any request (``secret_files``): one line, printable ASCII, never shown.
    """
    token = env.get(settings.token_env, "").strip()
    if token:
        where = f"the environment variable {settings.token_env}"
        return _sent(settings, header_safe(token, "[jira] token_env", where))
    if settings.token_file is not None:
        key = "[jira] token_file"
        text = read_secret_file(settings.token_file, key)
        token = secret_line(text, key, str(settings.token_file))  # never empty
        return _sent(settings, header_safe(token, key, str(settings.token_file)))
    raise ConfigError(
        None,
        "[jira] token_env",
        f"the environment variable {settings.token_env} "
        f"{unset_or_empty(env, settings.token_env)} (and no token_file): put the Jira API "
        "token (Cloud) or personal access token (Data Center) there",
    )


def _sent(settings: JiraSettings, token: str) -> str:
    """``token``, and the Basic credential made of it, hidden from every line shown from
    now on (``secret_files.redact``): a proxy may echo the request's headers."""
    with contextlib.suppress(UnicodeEncodeError):  # then requests cannot send it as Basic
        sent(base64.b64encode(f"{settings.email}:{token}".encode("latin-1")).decode("ascii"))
    return sent(token)


def certificate_refused(exc: BaseException) -> bool:
    """Whether a TLS error (``requests``' ``SSLError``) is the certificate failing to
    verify (in the handshake, before anything was sent): only that is the configuration's
    (``ca_bundle``)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        error = todo.pop()
        if not isinstance(error, BaseException) or id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, ssl.SSLCertVerificationError):
            return True
        todo += [error.__cause__, error.__context__, getattr(error, "reason", None), *error.args]
    return "certificate verify failed" in str(exc)


def tls_detail(exc: BaseException) -> str:
    """OpenSSL's reason, short (e.g. ``DECRYPTION_FAILED_OR_BAD_RECORD_MAC``), never the
    whole chain of wrapped errors."""
    found = re.search(r"\[SSL: ([A-Z_]+)\]", str(exc))
    return found.group(1) if found else type(exc).__name__


def tls_reason(exc: BaseException) -> str:
    """Why a certificate did not verify, as OpenSSL says it, for a ``ca_bundle`` message."""
    found = re.search(r"certificate verify failed: ([^(')\]]+)", str(exc))
    return f"certificate verify failed: {found.group(1).strip()}" if found else "handshake failed"

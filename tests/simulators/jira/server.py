"""An in-memory Jira REST v2 server over real HTTP on 127.0.0.1, Cloud or Server/Data Center.

What differs by mode is what apis.md sections 3.1, 3.2 and 3.4 say differs:
- `serverInfo.deploymentType` ("Cloud" or "Server"), which the `jira` library reads to set
  `_is_cloud` and so pick its search endpoint;
- auth: Cloud takes HTTP Basic email + API token only; Server takes `Authorization: Bearer
  <PAT>` or Basic user + password. Anything else: 401 (serverInfo answers anyone);
- search: Cloud serves `GET|POST /search/jql` (nextPageToken, no total, eventually consistent
  when `faults.search_lag` is set, `reconcileIssues`) and answers the removed `/search` with 410
  (CHANGE-2046); Server serves `/search` (startAt, total) and 404s `/search/jql`.
Creates come one at a time (`POST /issue`) or up to 50 at once (`POST /issue/bulk`, answered
item by item: `bulk`). Faults (429/503 with Retry-After, latency, create-then-503) come first,
before auth, as from a gateway in front of Jira (section 3.3); `faults.break_next` spoils one
answer of a kind (lost after the write, dropped, cut mid-chunk, a captive portal's page).
`tls=True` serves HTTPS with a test CA made at start (`sim.ca_path`), for certificate checks.
One lock guards all state.
"""

from __future__ import annotations

import base64
import json
import random
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs

from .bulk import create_bulk, refuse
from .catalog import DEFAULT_RESOLUTIONS, DEFAULT_STATUSES, LINK_TYPES, PRIORITIES, ApiError, Json
from .faults import API, Broken, Faults, Outcome, Record, RequestLog, kind_of
from .jql import JqlError
from .model import DEFAULT_WORKFLOW, Issue, JiraModel, Workflow
from .search import REMOVED, Params, search, search_jql
from .transport import TlsServer, listen

Answer = tuple[int, Any, dict[str, str]]  # status, JSON body (None: empty), extra headers
UNAUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."


class JiraSimulator:
    """A Jira the `jira` library can drive; `with JiraSimulator(...) as sim:` runs it."""

    def __init__(
        self,
        mode: Literal["cloud", "server"] = "cloud",
        *,
        project: str | Sequence[str] = "OPS",
        email: str = "bot@contoso.com",
        api_token: str = "t0k",
        pat: str = "pat-123",
        username: str = "dirsync-bot",
        password: str = "secret",
        issue_types: Sequence[str] = ("Task", "Bug"),
        components: Sequence[str] = ("Identity", "Mail"),
        custom_fields: Mapping[str, str] | None = None,
        statuses: Mapping[str, str] = DEFAULT_STATUSES,
        workflow: Workflow = DEFAULT_WORKFLOW,
        resolutions: Sequence[str] = DEFAULT_RESOLUTIONS,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        tls: bool = False,
    ) -> None:
        if mode not in ("cloud", "server"):
            raise ValueError(f"mode must be 'cloud' or 'server', not {mode!r}")
        self.mode, self.email, self.api_token, self.pat = mode, email, api_token, pat
        self.username, self.password = username, password
        if mode == "cloud":
            user: Json = {"accountId": "5b10ac8d82e05b22cc7d4ef5", "accountType": "atlassian"}
        else:
            user = {"name": username, "key": "JIRAUSER10000"}
        user |= {"emailAddress": email, "displayName": "Dirsync Bridge", "active": True}
        self.model = JiraModel(
            projects=[project] if isinstance(project, str) else list(project),
            issue_types=issue_types,
            components=components,
            custom_fields=custom_fields or {},
            statuses=statuses,
            workflow=workflow,
            resolutions=resolutions,
            user=user | {"timeZone": "UTC"},
            clock=clock,
        )
        self.faults, self.log = Faults(), RequestLog()
        self.clock, self._random, self._lock = clock, random.Random(seed), threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.tls = tls
        self.ca_path = ""  # with tls=True, while running: the test CA's PEM file
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on 127.0.0.1 on a free port, serving from a daemon thread."""
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="jira-sim-")
            self.ca_path = str(Path(self._tmp.name) / "ca.pem")
        server = listen(self, self.ca_path if self.tls else None)
        self._server = server
        self.model.base_url = self.url
        self.model.user["self"] = self.model.url(
            f"user?accountId={self.model.user['accountId']}"
            if self.mode == "cloud"
            else f"user?username={self.username}"
        )
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="jira-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            if isinstance(self._server, TlsServer):
                self._server.close_connections()  # idle keep-alive TLS connections
            self._server.server_close()
            self._server = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT (the `server` to give `jira.JIRA`); https with `tls=True`."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    # -- inspection and what humans do -----------------------------------------------------

    @property
    def issues(self) -> dict[str, Issue]:
        """Issue key -> stored state (fields, status, resolution, comments, properties).

        A copy of the mapping; the `Issue` objects are the live ones (read, don't write).
        """
        with self._lock:
            return dict(self.model.issues)

    def reset_log(self) -> None:
        """Forget the requests recorded so far."""
        self.log.reset()

    def resolve_by_hand(
        self, key: str, resolution: str = "Done", status: str | None = None
    ) -> None:
        """What a person does in the UI: move the issue to a done status with a resolution."""
        with self._lock:
            if resolution not in self.model.resolutions:
                raise ValueError(f"unknown resolution {resolution!r}")
            done = status or next(s for s, c in self.model.statuses.items() if c == "done")
            self.model.set_status(self.model.issue(key), done, resolution)

    def move_by_hand(self, key: str, status: str, *, resolution: bool = True) -> None:
        """Put an issue in any status, ignoring the workflow (an admin's bulk edit).

        `resolution=False`: a done status leaves the resolution empty, as a workflow whose
        closing transition has no resolution screen or post-function does.
        """
        if status not in self.model.statuses:
            raise ValueError(f"unknown status {status!r}")
        with self._lock:
            self.model.set_status(self.model.issue(key), status, resolve=resolution)

    def move_to_project_by_hand(self, key: str, project: str) -> str:
        """What a person does with Move: the issue gets a key in ``project`` (returned); the
        old key keeps working for every request, and ``key in (...)`` answers with the new."""
        with self._lock:
            return self.model.move(self.model.issue(key), project)

    def delete_by_hand(self, key: str) -> None:
        """What a person does with Delete in the UI: the issue is gone, its keys unknown."""
        with self._lock:
            issue = self.model.issue(key)
            del self.model.issues[issue.key]
            for old in self.model.old_keys(issue.key):
                del self.model.moved[old]
            self.model.links = [
                link for link in self.model.links if issue.key not in (link.inward, link.outward)
            ]

    def set_workflow(self, workflow: Workflow) -> None:
        """Replace the workflow while running (e.g. without "Reopen")."""
        with self._lock:
            self.model.set_workflow(workflow)

    # -- one request -----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, raw: bytes, headers: Mapping[str, str]
    ) -> Answer:
        """Answer one request (called from the handler thread) and record it."""
        arrived = self.clock()
        if self.faults.latency:
            time.sleep(self.faults.latency)
        params = parse_qs(query, keep_blank_values=True)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode(errors="replace")
        kind = kind_of(method, path[len(API) :].rstrip("/")) if path.startswith(API) else "read"
        adds = isinstance(body, dict) and bool((body.get("update") or {}).get("comment"))
        with self._lock:
            # (Tests wrap ``take`` with one argument: the second only when it says something.)
            also = ("comment",) if kind == "edit" and adds else ()
            mishap = self.faults.take(kind, *also)
        if mishap is None or mishap.reaches_jira:
            answer = self._answer(method, path, params, body, headers)
        if mishap is not None and mishap.outcome == "trickle":
            # Jira's own answer (or, when it never got there, an empty object), sent slowly.
            status, payload = answer[:2] if mishap.reaches_jira else (200, {})
            data = b"" if payload is None else json.dumps(payload).encode()
            answer = status, Broken("trickle", status, data), {}
        elif mishap is not None:
            answer = self._spoiled(mishap.outcome)
        dropped = isinstance(answer[1], Broken) and answer[1].how == "drop"
        status = 0 if dropped else answer[0]  # 0: no answer at all
        self.log.add(Record(method, path, params, body, status, arrived))
        return answer

    def _spoiled(self, outcome: Outcome) -> Answer:
        if isinstance(outcome, int):
            return self.faults.answer(outcome)
        return 200, Broken(outcome), {}

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        headers: Mapping[str, str],
    ) -> Answer:
        if not path.startswith(API):
            return 404, {"message": f"null for uri: {self.url}{path}", "status-code": 404}, {}
        route = path[len(API) :].rstrip("/")
        if route != "serverInfo" or self.faults.include_server_info:
            with self._lock:
                status = self.faults.draw(self._random)
            if status is not None:
                return self.faults.answer(status)
        authorization = headers.get("authorization", "")
        anyone = route == "serverInfo" and not (
            self.faults.server_info_checks_credentials and authorization
        )
        if not anyone and not self._authenticated(authorization):
            return (
                401,
                ApiError(401, UNAUTHENTICATED).body(),
                {"WWW-Authenticate": 'Basic realm="protected-area"'},
            )
        if isinstance(body, str):
            return 400, ApiError(400, "Unexpected character: the body is not JSON.").body(), {}
        with self._lock:
            try:
                return self._route(method, route, query, body)
            except ApiError as e:
                return e.status, e.body(), {}
            except JqlError as e:
                return 400, ApiError(400, str(e)).body(), {}

    def _authenticated(self, header: str) -> bool:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "bearer":
            return self.mode == "server" and credential == self.pat
        if scheme.lower() != "basic":
            return False
        try:
            user, _, secret = base64.b64decode(credential).decode().partition(":")
        except ValueError:
            return False
        if self.mode == "cloud":
            return (user, secret) == (self.email, self.api_token)
        return (user, secret) == (self.username, self.password)

    def _route(self, method: str, route: str, query: dict[str, list[str]], body: Any) -> Answer:
        m, parts, q = self.model, route.split("/"), Params(query)
        ok: Callable[[Any], Answer] = lambda payload: (200, payload, {})  # noqa: E731
        match method, parts:
            case "GET", ["serverInfo"]:
                return ok(self._server_info())
            case "GET", ["myself"]:
                return ok(m.user)
            case "GET", ["project"]:
                return ok([m.project_json(p, "issueTypes" in q.many("expand")) for p in m.projects])
            case "GET", ["project", ref]:
                key = next((p for p in m.projects if ref in (p, m.project_json(p)["id"])), None)
                if key is None:
                    raise ApiError(404, f"No project could be found with key '{ref}'.")
                return ok(m.project_json(key))
            case "GET", ["issuetype"]:
                return ok([m.issuetype_json(t) for t in m.issue_types])
            case "GET", ["priority"]:
                return ok([m.priority_json(p) for p in PRIORITIES])
            case "GET", ["resolution"]:
                return ok([m.resolution_json(r) for r in m.resolutions])
            case "GET", ["field"]:
                return ok(m.fields_json())
            case "GET", ["issueLinkType"]:
                return ok({"issueLinkTypes": [m.link_type_json(t) for t in LINK_TYPES]})
            case "POST", ["issueLink"]:
                m.link(body)
                return 201, None, {}
            case "DELETE", ["issueLink", lid]:
                m.unlink(lid)
                return 204, None, {}
            case "POST", ["issue"]:
                refuse(self.faults, body)
                issue, created = m.create_issue(body)
                p = self.faults.create_then_503
                if p and self._random.random() < p:
                    return self.faults.answer(503)
                return 201, created, {}
            case "POST", ["issue", "bulk"]:
                status, answer = create_bulk(m, self.faults, body)
                p = self.faults.create_then_503
                if status == 201 and p and self._random.random() < p:
                    return self.faults.answer(503)
                return status, answer, {}
            case "GET", ["issue", ref]:
                fields = m.select_fields(q.many("fields") or ["*all"])
                return ok(m.issue_json(m.issue(ref), fields, q.many("properties")))
            case "PUT", ["issue", ref]:
                m.edit_issue(m.issue(ref), body)
                return 204, None, {}
            case "GET", ["issue", ref, "comment"]:
                start, limit = q.number("startAt", 0), q.number("maxResults", 5000, 5000)
                return ok(m.comments_json(m.issue(ref), start, limit))
            case "POST", ["issue", ref, "comment"]:
                issue = m.issue(ref)
                return 201, m.comment_json(issue, m.add_comment(issue, body)), {}
            case ("GET" | "PUT" | "DELETE") as verb, ["issue", ref, "comment", cid]:
                issue = m.issue(ref)
                comment = m.comment(issue, cid)
                if verb == "DELETE":
                    issue.comments.remove(comment)
                    return 204, None, {}
                if verb == "PUT":
                    m.edit_comment(issue, comment, body)
                return ok(m.comment_json(issue, comment))
            case "GET", ["issue", ref, "transitions"]:
                return ok(
                    {"expand": "transitions", "transitions": m.transitions_json(m.issue(ref))}
                )
            case "POST", ["issue", ref, "transitions"]:
                m.transition(m.issue(ref), body)
                return 204, None, {}
            case "GET", ["issue", ref, "properties"]:
                issue = m.issue(ref)
                keys = [
                    {"key": k, "self": m.url(f"issue/{issue.id}/properties/{k}")}
                    for k in issue.properties
                ]
                return ok({"keys": keys})
            case ("GET" | "PUT" | "DELETE") as verb, ["issue", ref, "properties", key]:
                issue = m.issue(ref)
                if verb == "PUT":
                    existed = key in issue.properties
                    issue.properties[key] = m.property_value(key, body)
                    return (200 if existed else 201), None, {}
                if key not in issue.properties:
                    raise ApiError(404, f"The property with key '{key}' does not exist.")
                if verb == "DELETE":
                    del issue.properties[key]
                    return 204, None, {}
                return ok({"key": key, "value": issue.properties[key]})
            case (("GET" | "POST"), ["search", *rest]) if rest in ([], ["jql"]):
                params = q if method == "GET" else Params(body if isinstance(body, dict) else {})
                if self.mode == "cloud" and not rest:
                    return 410, ApiError(410, REMOVED).body(), {}
                if self.mode == "cloud" or not rest:
                    lag = self.faults.search_lag
                    return ok(search_jql(m, params, lag) if rest else search(m, params))
        return 404, {"message": f"null for uri: {self.url}{API}{route}", "status-code": 404}, {}

    def _server_info(self) -> Json:
        cloud = self.mode == "cloud"
        version = [1001, 0, 0] if cloud else [9, 12, 15]
        return {
            "baseUrl": self.url,
            "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.15",
            "versionNumbers": version,
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": 100218 if cloud else 9120015,
            "buildDate": "2025-01-01T00:00:00.000+0000",
            "serverTime": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(self.clock())),
            "scmInfo": "0123456789abcdef",
            "serverTitle": "Jira",
        }

"""``dirsync-bridge doctor``: is everything the configuration names really there?

Each check is one line: what was checked, and either what was found or what to fix. The
checks read (no ticket is created to test permissions; the one write is setting a message's
categories to what they already are, to prove Mail.ReadWrite), and they go on after a
failure where the later ones can still say something useful.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from .config import Config
from .errors import DirsyncBridgeError, Fatal, Retriable
from .graph import GraphClient, graph_credential
from .sinks.jira import JiraSink, jira_token
from .sinks.jira_wire import jql_string
from .sources.graph import MailboxSource, MailItem

Outcome = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    outcome: Outcome
    detail: str
    exit_code: int = 0
    """What a failure means for the exit code: 2 (fix the configuration) or 75 (try later)."""

    def renamed(self, name: str, hint: str = "") -> Check:
        """The same outcome under another name, with a hint appended to a failure."""
        detail = self.detail + (hint if self.outcome == "fail" else "")
        return Check(name, self.outcome, detail, self.exit_code)


def checks(config: Config, env: Mapping[str, str]) -> Iterator[Check]:
    """Every check that applies to this configuration."""
    yield Check("config", "ok", f"sink {config.sink.kind}; ledger {config.state.path}")
    if config.sink.kind == "jira" or config.jira.url:
        yield from jira_checks(config, env)
    if config.source.mailbox is not None or config.graph.configured:
        yield from graph_checks(config, env)


def graph_checks(config: Config, env: Mapping[str, str]) -> Iterator[Check]:
    """Sign-in, mailbox read access, the folder, and write access if ``after`` needs it."""
    try:
        client = GraphClient(config.graph, graph_credential(config.graph, env))
    except DirsyncBridgeError as exc:
        yield _failed("graph credentials", exc)
        return
    try:
        token = _step(client.token)
        if isinstance(token, Check):
            yield token.renamed("graph sign-in")
            return
        yield Check("graph sign-in", "ok", f"token for {client.root} from {client.login}")
        settings = config.source.mailbox
        if settings is None:
            yield Check("graph mailbox", "warn", "no [source.mailbox]: `run` has nothing to read")
            return
        source = MailboxSource(client, settings)
        newest = _step(functools.partial(_newest, source))
        if isinstance(newest, Check):
            yield newest.renamed("graph mailbox")
            return
        yield Check("graph mailbox", "ok", f"{settings.mailbox}: {settings.folder} can be read")
        actions = {a for a in (settings.after, settings.after_rejected) if a != "none"}
        if not actions:
            return
        if newest is None:
            yield Check(
                "graph write access",
                "warn",
                f"{', '.join(sorted(actions))} need Mail.ReadWrite: no message to check it on",
            )
            return
        # A write that changes nothing: the message's categories, set to what they are.
        done = _step(functools.partial(_rewrite_categories, source, newest))
        if isinstance(done, Check):
            yield done.renamed("graph write access")
            return
        yield Check("graph write access", "ok", f"{', '.join(sorted(actions))} possible")
        for action in sorted(actions):
            if action.startswith("move:"):
                name = action.partition(":")[2]
                found = _step(functools.partial(source.folder_id, name))
                if not isinstance(found, Check):
                    yield Check(f"graph folder {name!r}", "ok", "exists")
                elif found.exit_code == 2 and "has no top-level folder" in found.detail:
                    yield Check(
                        f"graph folder {name!r}", "warn", "missing: the first run creates it"
                    )
                else:
                    yield found.renamed(f"graph folder {name!r}")
    finally:
        client.close()


def _newest(source: MailboxSource) -> MailItem | None:
    since = datetime.now(UTC) - source.settings.first_run_lookback
    return next(iter(source.list_since(since)), None)


def _rewrite_categories(source: MailboxSource, item: MailItem) -> None:
    path = f"/users/{source.settings.mailbox}/messages/{item.id}"
    body = {"categories": list(item.categories)}
    source.client.request("PATCH", path, what="check write access", json=body)


def jira_checks(config: Config, env: Mapping[str, str]) -> Iterator[Check]:
    """Credentials, project, issue type, priorities, fields and workflow transitions."""
    s = config.jira
    try:
        sink = JiraSink(s, jira_token(s, env))
    except DirsyncBridgeError as exc:
        yield _failed("jira token", exc)
        return
    try:
        me = _step(lambda: sink.get("myself"))
        if isinstance(me, Check):
            yield me.renamed("jira credentials")
            return
        who = me.get("emailAddress") or me.get("name") or me.get("accountId") or "?"
        kind = "Jira Cloud" if sink.is_cloud else "Jira Data Center"
        yield Check("jira credentials", "ok", f"signed in as {who} on {kind} ({s.url})")
        yield from _project(sink)
        yield from _priorities(sink)
        yield from _fields(sink)
        yield from _transitions(sink)
    finally:
        sink.close()


def _project(sink: JiraSink) -> Iterator[Check]:
    s = sink.settings
    project = _step(lambda: sink.get(f"project/{s.project}"))
    if isinstance(project, Check):
        yield project.renamed("jira project", f"; check [jira] project ({s.project!r})")
        return
    yield Check("jira project", "ok", f"{s.project}: {project.get('name', '')}")
    types = [t.get("name", "") for t in project.get("issueTypes", [])]
    if s.issue_type in types:
        yield Check("jira issue type", "ok", s.issue_type)
    else:
        yield Check(
            "jira issue type",
            "fail",
            f"{s.issue_type!r} is not an issue type of {s.project} (it has "
            f"{quoted(types)}): set [jira] issue_type",
            2,
        )
    names = [c.get("name", "") for c in project.get("components", [])]
    missing = [c for c in s.components if c not in names]
    if missing:
        yield Check(
            "jira components",
            "fail",
            f"{quoted(missing)} not in {s.project}: fix [jira] components",
            2,
        )
    elif s.components:
        yield Check("jira components", "ok", ", ".join(s.components))


def _priorities(sink: JiraSink) -> Iterator[Check]:
    s = sink.settings
    answer = _step(lambda: sink.get("priority"))
    if isinstance(answer, Check):
        yield answer.renamed("jira priorities")
        return
    known = {p.get("name", "") for p in answer}
    missing = sorted({v for v in s.priority.values() if v not in known})
    if missing:
        yield Check(
            "jira priorities",
            "fail",
            f"{quoted(missing)} unknown (the site has {quoted(sorted(known))}): "
            "fix [jira] priority",
            2,
        )
    else:
        yield Check("jira priorities", "ok", ", ".join(f"{k}={v}" for k, v in s.priority.items()))


def _fields(sink: JiraSink) -> Iterator[Check]:
    s = sink.settings
    if not s.fields:
        return
    answer = _step(lambda: sink.get("field"))
    if isinstance(answer, Check):
        yield answer.renamed("jira fields")
        return
    known = {f.get("id") for f in answer} | {f.get("key") for f in answer}
    missing = [name for name in s.fields if name not in known]
    if missing:
        yield Check("jira fields", "fail", f"{quoted(missing)} unknown: fix [jira] fields", 2)
    else:
        yield Check("jira fields", "ok", ", ".join(s.fields))


def _transitions(sink: JiraSink) -> Iterator[Check]:
    """The configured transitions, on tickets this tool made (the REST API shows a
    workflow's transitions only from an issue's current status)."""
    s = sink.settings
    for wanted, category, key in (
        (s.resolve_transition, "!= Done", "resolve_transition"),
        (s.reopen_transition, "= Done", "reopen_transition"),
    ):
        name = f"jira {key.replace('_', ' ')}"
        jql = (
            f'project = {jql_string(s.project)} AND labels = "dirsync" '
            f"AND statusCategory {category} ORDER BY created DESC"
        )
        found = _step(functools.partial(_first, sink, jql))
        if isinstance(found, Check):
            yield found.renamed(name)
            continue
        if found is None:
            yield Check(name, "warn", f"{wanted!r}: no ticket of this tool to check it on yet")
            continue
        issue = str(found["key"])
        offered = _step(functools.partial(sink.get, f"issue/{issue}/transitions"))
        if isinstance(offered, Check):
            yield offered.renamed(name)
            continue
        names = [t.get("name", "") for t in offered.get("transitions", [])]
        if any(n.casefold() == wanted.casefold() for n in names):
            yield Check(name, "ok", f"{wanted!r} offered on {issue}")
        else:
            yield Check(
                name,
                "fail",
                f"{wanted!r} not offered on {issue} (it offers {quoted(names)}): set [jira] {key}",
                2,
            )


def _first(sink: JiraSink, jql: str) -> dict[str, Any] | None:
    return next(iter(sink.search(jql, ["status"])), None)


def _step(fn: Callable[[], Any]) -> Any:
    """The call's answer, or a failed ``Check`` saying why (renamed by the caller)."""
    try:
        return fn()
    except DirsyncBridgeError as exc:
        return _failed("", exc)


def _failed(name: str, exc: DirsyncBridgeError) -> Check:
    code = 75 if isinstance(exc, Retriable) else 2 if isinstance(exc, Fatal) else 1
    return Check(name, "fail", str(exc), code)


def exit_code(results: list[Check]) -> int:
    """0 when nothing failed, else the most telling failure's code (2 before 75)."""
    codes = {c.exit_code for c in results if c.outcome == "fail"}
    if not codes:
        return 0
    return 2 if 2 in codes else max(codes)


def quoted(items: list[str]) -> str:
    """``'A', 'B'`` (or ``none``), for messages."""
    return ", ".join(repr(i) for i in items) or "none"

"""``dirsync-bridge doctor``: is everything the configuration names really there?

Each check is one line: what was checked, and either what was found or what to fix. The
checks only read (no ticket is created to test permissions), and they go on after a failure
where the later ones can still say something useful.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .config import Config
from .errors import DirsyncBridgeError, Fatal, Retriable
from .sinks.jira import JiraSink, jira_token

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
            f'project = "{s.project}" AND labels = "dirsync" AND statusCategory {category} '
            "ORDER BY created DESC"
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

"""``dirsync-bridge doctor``: is everything the configuration names really there?

Each check is one line: what was checked, and either what was found or what to fix. The
checks read (no ticket is created to test permissions; the one write is setting a message's
categories to what they already are, to prove Mail.ReadWrite), and they go on after a
failure where the later ones can still say something useful. While a server keeps doctor
waiting (retries, a slow answer), ``progress`` is told what it is waiting for.

The Graph checks are in ``doctor_graph``, the ledger and LDAP ones in ``doctor_onprem``,
the ``Check`` line itself in ``doctor_check``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..config.settings import SEARCH_ORDER, Config
from ..errors import DirsyncBridgeError
from ..sinks.jira import JiraSink, jira_token
from ..sinks.jira_links import match_link_type
from ..sinks.jira_wire import jql_string
from .graph import graph_checks
from .local import ldap_checks, ledger_checks, textfile_checks
from .report import Check, Progress, exit_code, failed, quiet, quoted, step, waiting

__all__ = ["Check", "checks", "exit_code", "graph_checks", "jira_checks", "quoted"]

# The Jira checks below were written against these names; they stay as they were.
_step, _failed = step, failed


def checks(
    config: Config,
    env: Mapping[str, str],
    *,
    progress: Progress = quiet,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Check]:
    """Every check that applies to this configuration, in the order they are made."""
    yield config_check(config)
    if config.tickets.templates is not None:
        yield templates_check(config).located(config.file)
    found: list[Iterator[Check]] = [ledger_checks(config), textfile_checks(config)]
    if config.sink.kind == "jira" or config.jira.url:
        found.append(jira_checks(config, env, progress=progress, sleep=sleep))
    if config.source.configured or config.graph.configured:
        found.append(graph_checks(config, env, progress=progress, sleep=sleep))
    if config.enrich.onprem.enabled:
        found.append(ldap_checks(config, env, progress=progress))
    for group in found:
        for check in group:
            # Adapters raise configuration errors without the file: name the one loaded.
            yield check.located(config.file)


def config_check(config: Config) -> Check:
    """Which file was loaded (or that none was), and the two settings everything hangs on."""
    where = (
        str(config.file)
        if config.file is not None
        else f"no file (built-in defaults; looked for {SEARCH_ORDER})"
    )
    return Check("config", "ok", f"{where}; sink {config.sink.kind}; ledger {config.state.path}")


def templates_check(config: Config) -> Check:
    """``[tickets] templates``: every template compiled and tried on samples, as a run would
    before its first write."""
    from ..bootstrap import ticket_texts

    answer = step(lambda: ticket_texts(config))
    if isinstance(answer, Check):
        return answer.renamed("templates")
    return Check("templates", "ok", f"{config.tickets.templates}: every template renders")


def jira_checks(
    config: Config,
    env: Mapping[str, str],
    *,
    progress: Progress = quiet,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Check]:
    """The URL's scheme; credentials, project, issue type, priorities, fields, transitions,
    the issue link type."""
    s = config.jira
    if s.url.lower().startswith("http://"):
        yield Check(
            "jira url",
            "warn",
            f"{s.url} is plain http://: the API token crosses the network unencrypted; use "
            "the site's https:// address",
        )
    try:
        sink = JiraSink(s, jira_token(s, env), sleep=waiting(progress, sleep))
    except DirsyncBridgeError as exc:
        yield _failed("jira token", exc)
        return
    try:
        progress(f"checking jira credentials at {s.url}")
        me = _step(lambda: sink.get("myself"))
        if isinstance(me, Check):
            yield me.renamed("jira credentials")
            return
        who = me.get("emailAddress") or me.get("name") or me.get("accountId") or "?"
        kind = "Jira Cloud" if sink.is_cloud else "Jira Data Center"
        yield Check("jira credentials", "ok", f"signed in as {who} on {kind} ({s.url})")
        progress("checking the jira project, priorities, fields and workflow")
        yield from _project(sink)
        yield from _priorities(sink)
        yield from _fields(sink)
        yield from _transitions(sink)
        yield from _link_type(sink)
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


def _link_type(sink: JiraSink) -> Iterator[Check]:
    # A missing type stops the first run that links tickets (a problem back after the
    # reopen window), maybe months from now: said here, before that.
    wanted = sink.settings.link_type
    answer = _step(lambda: sink.get("issueLinkType"))
    if isinstance(answer, Check):
        yield answer.renamed("jira link type")
        return
    types = [t for t in answer.get("issueLinkTypes") or [] if isinstance(t, dict)]
    try:
        name = match_link_type(wanted, types)
    except DirsyncBridgeError as exc:
        yield _failed("jira link type", exc)
        return
    yield Check("jira link type", "ok", name if name == wanted else f"{wanted!r}: {name}")


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

"""Jira refusing creates because of the configuration: one line naming the setting, exit 2,
and after the configuration is fixed every problem ticketed exactly once (review rev22)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dirsync_bridge.sinks.jira_wire import settings_named

from ..e2e.test_cli_jira import config_file, replay
from ..reportgen import duplicate, report_email
from ..simulators.jira import JiraSimulator

AT = datetime(2021, 2, 1, tzinfo=UTC)
ROWS = [
    ("ann@contoso.com", duplicate("Mail", "ann@contoso.com")),
    ("bob@contoso.com", duplicate("Mail", "bob@contoso.com")),
]


def _mail(tmp_path: Path) -> Path:
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "0.eml").write_bytes(report_email("Contoso", AT, ROWS, "0@rev22"))
    return mail


BAD = {
    "component": ("components", '["Nope"]', "components"),
    "priority": ("priority", '{ default = "Urgent", duplicate = "Urgent" }', "priority"),
    "label": ("labels", '["dirsync bridge"]', "labels"),
}


@pytest.mark.parametrize("fault", sorted(BAD))
def test_a_create_refused_for_the_configuration_is_one_line_exit_2_then_exactly_once(
    tmp_path: Path, jira_cloud: JiraSimulator, fault: str
) -> None:
    key, value, named = BAD[fault]
    mail = _mail(tmp_path)
    bad = replay(config_file(tmp_path, jira_cloud.url, **{key: value}), mail, jira_cloud.api_token)
    assert "Traceback" not in bad.stderr
    assert bad.returncode == 2, (bad.returncode, bad.stderr)
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and named in lines[0], bad.stderr
    assert jira_cloud.issues == {}

    # The rerun with the configuration fixed: every problem exactly once.

    good = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)
    assert good.returncode == 0, good.stderr
    summaries = sorted(i.fields["summary"] for i in jira_cloud.issues.values())
    assert len(summaries) == 2, summaries
    assert all(not i.comments for i in jira_cloud.issues.values())
    jira_cloud.reset_log()
    again = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)
    assert again.returncode == 0 and jira_cloud.log.writes() == []


@pytest.mark.parametrize("fault", ["component", "priority"])
def test_the_one_line_names_the_setting_it_says_to_check(
    tmp_path: Path, jira_cloud: JiraSimulator, fault: str
) -> None:
    """rev22: the line ended '...; check the [jira] settings named', a sentence cut off that
    named no setting (design 6: a config error names the key)."""
    key, value, _ = BAD[fault]
    bad = replay(
        config_file(tmp_path, jira_cloud.url, **{key: value}), _mail(tmp_path), jira_cloud.api_token
    )
    assert bad.returncode == 2
    line = bad.stderr.strip()
    assert not line.endswith("settings named"), line
    assert f"[jira] {key}" in line, line
    assert line.endswith(f"; check [jira] {key}"), line


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"priority"}, "[jira] priority"),
        ({"components", "priority"}, "[jira] components and [jira] priority"),
        (
            {"customfield_10011", "issuetype", "project"},
            "[jira] fields.customfield_10011, [jira] issue_type and [jira] project",
        ),
        ({"a\nRemove-Item x", "x y"}, "[jira] fields"),  # no field id: not repeated
    ],
)
def test_each_refused_field_is_named_by_its_setting(fields: set[str], named: str) -> None:
    assert settings_named(fields) == named


def _refuse_with(monkeypatch: pytest.MonkeyPatch, status: int, errors: dict[str, str]) -> list[int]:
    """Every create (single or bulk item) refused as Jira refuses it; returns a switch."""
    from ..simulators.jira import bulk, server
    from ..simulators.jira.catalog import ApiError

    on = [1]

    def refuse(faults: object, item: object) -> None:
        if on:
            raise ApiError(
                status, *(["You do not have permission"] if status == 403 else []), errors=errors
            )

    monkeypatch.setattr(bulk, "refuse", refuse)
    monkeypatch.setattr(server, "refuse", refuse)
    return on


@pytest.mark.parametrize(
    ("status", "errors"),
    [(400, {"customfield_10011": "Team is required."}), (403, {})],
    ids=["required-field-missing", "project-403"],
)
def test_a_create_refused_for_every_problem_stops_cleanly_and_the_fixed_rerun_is_exact(
    tmp_path: Path,
    jira_cloud: JiraSimulator,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    errors: dict[str, str],
) -> None:
    mail = _mail(tmp_path)
    on = _refuse_with(monkeypatch, status, errors)
    bad = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)
    assert "Traceback" not in bad.stderr
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert bad.returncode == 2, (bad.returncode, bad.stderr)
    assert len(lines) == 1, bad.stderr
    assert jira_cloud.issues == {}
    bad2 = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)
    assert bad2.returncode == 2 and jira_cloud.issues == {}

    on.clear()  # the admin adds the field / grants the permission
    good = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)
    assert good.returncode == 0, good.stderr
    assert len(jira_cloud.issues) == 2
    assert all(not i.comments for i in jira_cloud.issues.values())
    jira_cloud.reset_log()
    again = replay(config_file(tmp_path, jira_cloud.url), mail, jira_cloud.api_token)
    assert again.returncode == 0 and jira_cloud.log.writes() == []


def test_a_create_screen_without_labels_is_one_configuration_line_not_each_ticket_skipped(
    tmp_path: Path, jira_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project whose create screen lacks the Labels field: Jira refuses every create
    naming ``labels`` ("cannot be set. It is not on the appropriate screen"). Read as one
    ticket's text problem, every new problem was named and skipped with exit 1, on every
    run; the tool cannot work without labels (its fingerprint label is how it finds its
    tickets), so it is one configuration line, exit 2, nothing skipped (left by reviews)."""
    from ..simulators.jira import catalog

    jira = jira_cloud
    monkeypatch.setattr(catalog, "SETTABLE", catalog.SETTABLE - {"labels"})
    mail = _mail(tmp_path)
    conf = config_file(tmp_path, jira.url)
    for _ in range(2):
        bad = replay(conf, mail, jira.api_token)
        lines = [line for line in bad.stderr.splitlines() if line.strip()]
        assert bad.returncode == 2, (bad.returncode, bad.stderr)
        assert len(lines) == 1 and "Traceback" not in bad.stderr, bad.stderr
        assert "Labels field" in lines[0] and "skipped" not in lines[0], lines[0]
        assert jira.issues == {}

    monkeypatch.setattr(catalog, "SETTABLE", catalog.SETTABLE | {"labels"})  # the admin adds it
    good = replay(conf, mail, jira.api_token)
    assert good.returncode == 0, good.stderr
    assert len(jira.issues) == 2
    assert all(not i.comments for i in jira.issues.values())

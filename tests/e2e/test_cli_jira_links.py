"""`[jira] link_type` as a user meets it: a type the site lacks is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

from ..integration.test_jira_links import came_back_late
from ..simulators.jira import JiraSimulator
from .test_cli_jira import config_file, replay


def test_an_unknown_link_type_is_one_line_naming_the_key_and_exit_2(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    came_back_late(mail)
    config = config_file(tmp_path, jira_cloud.url, link_type='"Related to"')

    done = replay(config, mail, jira_cloud.api_token)

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if "link_type" in x]
    assert line == (
        f"dirsync-bridge: error: {config}: [jira] link_type: Jira has no issue link type "
        "'Related to' (it has Blocks, Cloners, Duplicate, Relates): set it to one of them"
    )
    assert jira_cloud.model.links == []

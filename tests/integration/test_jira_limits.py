"""Jira's text limits as Jira counts them: Java's String.length(), in UTF-16 code units.

A character beyond U+FFFF (an emoji such as 😀) is one code point to Python and two units to Jira;
the simulator counts as Jira does, so a body cut in code points would be refused (400) on
every run, and its problem would never get a ticket.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ..reportgen import duplicate
from ..simulators.jira import JiraSimulator
from .jira_scenes import BOB, START, by_identity, first_run, run
from .test_jira_sink import jira_config, one_report, outcome_leftovers

# Four values of 9,000 astral characters: 36,000 code points, 72,000 UTF-16 units.
HUGE = [c * 9_000 + "@contoso.com" for c in "\U0001d52d\U0001d52e\U0001d52f\U0001d530"]
ANN_HUGE = ("ann@contoso.com", duplicate("ProxyAddresses", "SMTP:ann@contoso.com", *HUGE))


def java_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_a_description_of_astral_characters_fits_jiras_limit_and_the_ticket_is_made(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail = tmp_path / "mail"
    one_report(mail, START, [ANN_HUGE, BOB], "r0")
    config = jira_config(jira_cloud, tmp_path / "state")
    summary = run(mail, config, jira_cloud)
    assert summary.attention == []
    (ann,) = by_identity(jira_cloud, "ann@")
    assert java_length(jira_cloud.issues[ann].fields["description"]) <= 32_767
    assert by_identity(jira_cloud, "bob@")
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}


def test_a_comment_of_astral_characters_fits_jiras_limit_with_its_marker(
    tmp_path: Path, jira_cloud: JiraSimulator
) -> None:
    mail, config = first_run(tmp_path, jira_cloud)
    one_report(mail, START + timedelta(hours=3), [ANN_HUGE], "r1")
    summary = run(mail, config, jira_cloud)
    assert summary.attention == []
    (issue,) = jira_cloud.issues.values()
    (comment,) = issue.comments
    assert java_length(comment.body) <= 32_767
    assert comment.body.rstrip().endswith("{color}")  # the marker made it in whole
    assert outcome_leftovers(config) == {"intents": 0, "dirty": 0}

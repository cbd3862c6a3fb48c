"""A comment template broken only in one error kind's branch is refused at start-up.

The comment templates see the kinds (``c.before.kinds``, ``c.after.kinds``,
``c.kinds_added``, ``c.kinds_removed``), but their samples used to carry only
AttributeValueMustBeUnique and InvalidSoftMatch: such a template passed start-up, and the
run that first reopened (or changed) a ticket of another kind exited 2, months later, and
every run after it. Now ``ticket_text.samples.SAMPLE_KIND_COMMENTS`` puts every kind in each
of those places.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dirsync_bridge.errors import ConfigError
from dirsync_bridge.models import KINDS
from dirsync_bridge.ticket_text.render import Renderer

from ..reportgen import duplicate, report_email
from .conftest import cli_with_config_file

SEEN = [
    ("comment_reopened.txt.j2", "c.after.kinds"),
    ("comment_changed.txt.j2", "c.before.kinds"),
    ("comment_changed.txt.j2", "c.after.kinds"),
    ("comment_changed.txt.j2", "c.kinds_added"),
    ("comment_changed.txt.j2", "c.kinds_removed"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("name", "seen"), SEEN, ids=[f"{n}-{s}" for n, s in SEEN])
def test_a_comment_template_broken_in_one_kinds_branch_is_refused_at_start_up(
    tmp_path: Path, name: str, seen: str, kind: str
) -> None:
    text = '{% if "' + kind + '" in ' + seen + " %}{{ nope }}{% endif %}x"
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=name):
        Renderer(tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_a_comment_template_broken_where_a_kind_is_kept_is_refused_at_start_up(
    tmp_path: Path, kind: str
) -> None:
    text = (
        '{% if "' + kind + '" in c.before.kinds and "' + kind + '" in c.after.kinds %}'
        "{{ nope }}{% endif %}x"
    )
    (tmp_path / "comment_changed.txt.j2").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        Renderer(tmp_path)


def test_such_a_template_stops_the_first_run_not_the_one_that_reopens_a_ticket(
    tmp_path: Path,
) -> None:
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "comment_reopened.txt.j2").write_text(
        '{% if "DataValidationFailed" in c.after.kinds %}{{ nope }}{% endif %}Reopened.'
    )
    state = tmp_path / "state" / "state.db"
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'[state]\npath = "{state}"\n[tickets]\ntemplates = "{tpl}"\n')
    dvf = (
        "bad user@contoso.com",
        "Unable to update this object in Azure Active Directory, because the attribute "
        "[UserPrincipalName], is not valid. Update the value in your local directory services.",
    )
    bob = ("bob@contoso.com", duplicate("ProxyAddresses", "SMTP:bob@contoso.com"))
    report = tmp_path / "r0.eml"
    at = datetime(2024, 5, 3, 9, tzinfo=UTC)
    report.write_bytes(report_email("Contoso", at, [dvf, bob], "r0@templates.test"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = cli_with_config_file(cfg, "replay", str(report), env=env)
    assert done.returncode == 2, done.stderr
    assert "comment_reopened.txt.j2" in done.stderr
    assert "Traceback" not in done.stderr

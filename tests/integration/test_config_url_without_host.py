"""rev27: a URL key holding user:password with the host forgotten ('https://svc:<password>',
no '@'): [jira] url refuses it without quoting it; [graph] authority_url / graph_url and
[enrich.onprem] url quote the whole value, password included (config/types.py _check_url)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import cli_with_config_file

PASSWORD = "Secr3tPass"


@pytest.mark.parametrize(
    "section",
    [
        f'[sink]\nkind = "jira"\n[jira]\nurl = "https://svc:{PASSWORD}"\nproject = "OPS"\n',
        '[graph]\ntenant_id = "11111111-1111-1111-1111-111111111111"\nclient_id = "x"\n'
        f'authority_url = "https://svc:{PASSWORD}"\n',
        '[graph]\ntenant_id = "11111111-1111-1111-1111-111111111111"\nclient_id = "x"\n'
        f'graph_url = "https://svc:{PASSWORD}"\n',
        f'[enrich.onprem]\nenabled = true\nurl = "ldaps://svc:{PASSWORD}"\n'
        'bind_dn = "CN=svc,DC=contoso,DC=invalid"\nbase_dn = "DC=contoso,DC=invalid"\n',
    ],
    ids=["jira-url-control", "authority_url", "graph_url", "onprem-url"],
)
def test_a_url_key_with_user_and_password_but_no_host_is_refused_unquoted(
    tmp_path: Path, section: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "state.db"}"\n{section}')
    done = cli_with_config_file(config, "doctor", env=os.environ.copy(), cwd=tmp_path, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert PASSWORD not in out, out

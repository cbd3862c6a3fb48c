"""A configured secret file that is empty (0 bytes, a lone newline, a BOM and CRLF,
spaces: a secret not yet provisioned, a rotation script that truncated it, a systemd
credential placeholder) is named as empty under its own key (`[jira] token_file`, `[graph]
client_secret_file`), not as "the environment variable ... is not set (and no token_file)"
under `token_env`. design.md section 6: a config error names the file, the key and what is
wrong."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import cli_with_config_file, environ_without

ROOT = Path(__file__).resolve().parents[2]
CONTENTS = {"empty": b"", "newline": b"\n", "bom-crlf": b"\xef\xbb\xbf\r\n", "spaces": b"   \n"}


def _run(tmp_path: Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "c.toml"
    path.write_text(config)
    env = environ_without("DIRSYNC_JIRA_TOKEN", "DIRSYNC_GRAPH_SECRET")
    return cli_with_config_file(path, *args, env=env, cwd=tmp_path, timeout=60)


@pytest.mark.parametrize("content", list(CONTENTS))
def test_an_empty_jira_token_file_is_named_as_such(tmp_path: Path, content: str) -> None:
    (tmp_path / "token").write_bytes(CONTENTS[content])
    done = _run(
        tmp_path,
        '[state]\npath = "st/state.db"\n[sink]\nkind = "jira"\n[jira]\n'
        'url = "https://127.0.0.1:9"\nproject = "OPS"\nemail = "a@b.c"\ntoken_file = "token"\n',
        "replay",
        str(ROOT / "fixtures/reports/aadsync_th_thead.eml"),
    )
    assert done.returncode == 2
    assert "token_file" in done.stderr and "token" in done.stderr
    assert "[jira] token_file" in done.stderr, done.stderr  # the key to fix
    assert "no token_file" not in done.stderr, done.stderr  # there is one


@pytest.mark.parametrize("content", list(CONTENTS))
def test_an_empty_graph_client_secret_file_is_named_as_such(tmp_path: Path, content: str) -> None:
    (tmp_path / "secret").write_bytes(CONTENTS[content])
    done = _run(
        tmp_path,
        '[state]\npath = "st/state.db"\n[graph]\ntenant_id = "t"\nclient_id = "c"\n'
        'authority_url = "https://127.0.0.1:9"\ngraph_url = "https://127.0.0.1:9"\n'
        'client_secret_file = "secret"\n[source.mailbox]\nmailbox = "a@b.com"\n',
        "run",
    )
    assert done.returncode == 2
    assert "[graph] client_secret_file" in done.stderr, done.stderr
    assert "no client_secret_file" not in done.stderr, done.stderr

"""The LDAP bind password never appears in any output, at every log level: a good
bind, a wrong password, a wrong CA, with `replay` and `doctor`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trustme

from ..directory.samba import ADMIN_DN, ADMIN_PASSWORD, BASE_DN, SambaDC
from ..reportgen import duplicate, report_email
from .conftest import cli_with_config_file

pytest_plugins = ["tests.directory.fixtures"]

WRONG = "Wr0ng-Ld4p-Passw0rd!"


def _config(tmp_path: Path, dc: SambaDC, ca: Path | str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(
        '[state]\npath = "state/state.db"\n[enrich.onprem]\nenabled = true\n'
        f'url = "{dc.url}"\nbind_dn = "{ADMIN_DN}"\nbase_dn = "{BASE_DN}"\n'
        f'ca_bundle = "{ca}"\ntimeout = 5.0\n'
    )
    return path


@pytest.mark.parametrize("password", [ADMIN_PASSWORD, WRONG])
def test_the_ldap_password_is_never_shown(tmp_path: Path, samba_dc: SambaDC, password: str) -> None:
    from datetime import UTC, datetime

    mail = tmp_path / "r.eml"
    mail.write_bytes(
        report_email(
            "Contoso",
            datetime(2024, 3, 4, 9, tzinfo=UTC),
            [("ann@contoso.com", duplicate("Mail", "ann@contoso.com"))],
            "<r21@example.com>",
        )
    )
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    env = {**os.environ, "DIRSYNC_LDAP_PASSWORD": password}
    outs = []
    for ca in (samba_dc.ca_path, other):
        config = _config(tmp_path, samba_dc, ca)
        for args in (
            ["-vv", "replay", "--dry-run", str(mail)],
            ["-vv", "--log-format", "json", "replay", str(mail)],
            ["-vv", "doctor"],
            ["-vv", "parse", "--enrich", "--format", "json", str(mail)],
        ):
            done = cli_with_config_file(config, *args, env=env, cwd=tmp_path)
            outs.append(done.stdout + done.stderr)
    assert password not in "\n".join(outs)

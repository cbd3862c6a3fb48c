"""A password that is also a word of a host name the configuration names (an LDAP password
``Contoso``, the domain controller ``dc1.contoso.invalid``) does not cut the host out of the
lines shown: ``dc1.***.invalid`` no longer said which host failed, and told the password to
anyone who knows the domain (rev24 review, defect 8). The configured URLs' hosts, the DNs
and the mailbox are named openly in the file (``secret_files.public``); the password is
still masked anywhere else."""

from __future__ import annotations

import os
from pathlib import Path

from .conftest import cli_with_config_file


def test_doctor_names_the_host_whose_name_holds_the_password(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[state]\npath = "state/state.db"\n[enrich.onprem]\nenabled = true\n'
        'url = "ldaps://dc1.contoso.invalid"\nbind_dn = "CN=svc,DC=contoso,DC=invalid"\n'
        'base_dn = "DC=contoso,DC=invalid"\ntimeout = 2.0\n'
    )
    done = cli_with_config_file(
        config,
        "doctor",
        env={**os.environ, "DIRSYNC_LDAP_PASSWORD": "Contoso"},
        cwd=tmp_path,
        timeout=60,
    )
    out = done.stdout + done.stderr
    assert "FAIL ldap bind" in out, out  # .invalid never resolves
    assert "ldaps://dc1.contoso.invalid" in out and "***" not in out, out

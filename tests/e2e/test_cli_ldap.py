"""The CLI against a real Samba AD DC: a directory that cannot be trusted alerts (exit 2),
and ``doctor`` checks the bind and a search the way enrichment makes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme

from ..directory.samba import ADMIN_DN, ADMIN_PASSWORD, BASE_DN, SambaDC, Seeded
from ..reportgen import duplicate, report_email

pytest_plugins = ["tests.directory.fixtures"]

CLI = [sys.executable, "-m", "dirsync_bridge"]
AT = datetime(2024, 3, 4, 9, tzinfo=UTC)


def config_file(tmp_path: Path, dc: SambaDC, ca: Path | str, **onprem: str) -> Path:
    path = tmp_path / "dirsync-bridge.toml"
    settings = {
        "enabled": "true",
        "url": f'"{dc.url}"',
        "bind_dn": f'"{ADMIN_DN}"',
        "base_dn": f'"{BASE_DN}"',
        "ca_bundle": f'"{ca}"',
        "timeout": "5.0",
        **{key: f'"{value}"' for key, value in onprem.items()},
    }
    path.write_text(
        '[state]\npath = "state/state.db"\n[enrich.onprem]\n'
        + "".join(f"{key} = {value}\n" for key, value in settings.items())
    )
    return path


def cli(
    config: Path, *args: str, password: str = ADMIN_PASSWORD
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIRSYNC_LDAP_PASSWORD": password}
    return subprocess.run(
        [*CLI, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def other_ca(tmp_path: Path) -> Path:
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def test_an_untrusted_directory_certificate_makes_the_tickets_then_exits_2_naming_ca_bundle(
    tmp_path: Path, samba_dc: SambaDC
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    rows = [("ann@contoso.test", duplicate("ProxyAddresses", "SMTP:ann@contoso.test"))]
    (mail / "r1.eml").write_bytes(report_email("Contoso", AT, rows, "r1@ldap.test"))
    config = config_file(tmp_path, samba_dc, other_ca(tmp_path))

    done = cli(config, "--log-format", "json", "replay", "--format", "json", str(mail))

    # The tickets are made (enrichment degrades, never stops a run) ...
    assert json.loads(done.stdout)["tickets"]["created"] == 1
    # ... but a certificate that does not verify is a configuration error: exit 2, which a
    # timer unit reports, with the one line that names the file and ca_bundle.
    assert done.returncode == 2, done.stderr
    errors = [r for r in map(json.loads, done.stderr.splitlines()) if r["level"] == "error"]
    (error,) = errors
    assert error["message"].startswith(f"{config}: enrich.onprem.ca_bundle: ")
    assert "not trusted" in error["message"]


def test_doctor_checks_the_ldap_bind_and_a_search(
    tmp_path: Path, samba_dc: SambaDC, samba_seeded: Seeded
) -> None:
    config = config_file(tmp_path, samba_dc, samba_dc.ca_path)
    done = cli(config, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert f"ok   ldap bind: {samba_dc.url} as {ADMIN_DN}" in lines
    (search,) = [line for line in lines if line.startswith("ok   ldap search: ")]
    assert BASE_DN in search


def test_doctor_names_what_to_fix_in_the_ldap_settings(tmp_path: Path, samba_dc: SambaDC) -> None:
    config = config_file(tmp_path, samba_dc, samba_dc.ca_path)
    done = cli(config, "doctor", password="wrong")
    assert done.returncode == 2
    assert "FAIL ldap bind: " in done.stdout and "enrich.onprem.bind_dn" in done.stdout
    assert "wrong" not in done.stdout.replace("wrong password", "")

    config = config_file(tmp_path, samba_dc, other_ca(tmp_path))
    done = cli(config, "doctor")
    assert done.returncode == 2
    assert f"FAIL ldap bind: {config}: enrich.onprem.ca_bundle: " in done.stdout

    config = config_file(tmp_path, samba_dc, samba_dc.ca_path, base_dn="OU=Nowhere,DC=x,DC=y")
    done = cli(config, "doctor")
    assert done.returncode == 2
    assert "FAIL ldap search: " in done.stdout and "enrich.onprem.base_dn" in done.stdout


@pytest.mark.parametrize("end", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_password_variable_ending_in_a_line_end_binds_as_the_other_secrets_do(
    tmp_path: Path, samba_dc: SambaDC, samba_seeded: Seeded, end: str
) -> None:
    """``DIRSYNC_LDAP_PASSWORD=$(cat file)`` keeps no newline, but a secret store or an
    ``EnvironmentFile`` written on Windows may: the trailing line end is no part of the
    password, as for the Graph secret and the Jira token (was: sent, the bind refused)."""
    config = config_file(tmp_path, samba_dc, samba_dc.ca_path)
    done = cli(config, "doctor", password=ADMIN_PASSWORD + end)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok   ldap bind: {samba_dc.url} as {ADMIN_DN}" in done.stdout.splitlines()

    mail = tmp_path / "mail"
    mail.mkdir()
    rows = [("ann@contoso.test", duplicate("ProxyAddresses", "SMTP:ann@contoso.test"))]
    (mail / "r1.eml").write_bytes(report_email("Contoso", AT, rows, "r1@ldap.test"))
    done = cli(config, "replay", str(mail), password=ADMIN_PASSWORD + end)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("char", ["\x01", "\t", "\x7f"], ids=["soh", "tab", "del"])
def test_a_password_with_a_control_character_is_a_configuration_error_not_an_outage(
    tmp_path: Path, samba_dc: SambaDC, char: str
) -> None:
    """ldap3 refuses to send such a password (SASLprep, RFC 4013), before any byte reaches the
    DC; that refusal was taken for the DC being unreachable: exit 75, and cron retried for
    ever a password no retry would fix. It is the variable to fix: exit 2, one line naming
    it, never the value."""
    password = f"Sec{char}ret-Value-17"
    mail = tmp_path / "mail"
    mail.mkdir()
    rows = [("ann@contoso.test", duplicate("ProxyAddresses", "SMTP:ann@contoso.test"))]
    (mail / "r1.eml").write_bytes(report_email("Contoso", AT, rows, "r1@ldap.test"))
    config = config_file(tmp_path, samba_dc, samba_dc.ca_path)
    for args, doctor in ((["replay", str(mail)], False), (["doctor"], True)):
        done = cli(config, *args, password=password)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        lines = done.stdout.splitlines() if doctor else done.stderr.splitlines()
        (line,) = [line for line in lines if ("FAIL" if doctor else "error:") in line]
        assert "enrich.onprem.password_env" in line and "DIRSYNC_LDAP_PASSWORD" in line, line
        assert "unreachable" not in line and "retries" not in line, line
        assert "Value-17" not in done.stdout + done.stderr  # never the password


@pytest.mark.parametrize(
    "char", ["\u00a0", "\u00ad", "\uff10"], ids=["no-break-space", "soft-hyphen", "fullwidth-0"]
)
def test_a_password_that_saslprep_would_change_binds_as_the_account_has_it(
    tmp_path: Path, spare_dc: SambaDC, char: str
) -> None:
    """A bind password with a character SASLprep maps to another (a no-break space to a
    space, a soft hyphen to nothing, a fullwidth digit to its ASCII one): ldap3 sent the
    mapped password, which AD (and Samba) compare as given, never prepared: a right
    password refused as wrong, "invalid credentials" (review rev42). It is sent as the
    account has it, and binds."""
    password = f"Bind{char}Passw0rd-17!"
    dn = f"CN=Bind Account,CN=Users,{BASE_DN}"
    admin = spare_dc.admin()
    try:
        admin.add(
            dn,
            ["top", "person", "organizationalPerson", "user"],
            {
                "sAMAccountName": "bindaccount",
                "unicodePwd": f'"{password}"'.encode("utf-16-le"),
                "userAccountControl": 512,
            },
        )
    finally:
        admin.unbind()
    config = config_file(tmp_path, spare_dc, spare_dc.ca_path, bind_dn=dn)
    done = cli(config, "doctor", password=password)
    lines = done.stdout.splitlines()
    assert f"ok   ldap bind: {spare_dc.url} as {dn}" in lines, done.stdout + done.stderr
    assert "Passw0rd-17" not in done.stdout + done.stderr  # never the password

"""Certificate sign-in to Graph (`[graph] certificate_path` + `certificate_thumbprint`) as
operators set it up, and the key each mistake is blamed on.

- A private key msal cannot sign with (EC: `openssl req -newkey ec`, the default of some PKI
  tools; Ed25519): Entra app certificates are RSA. One configuration error naming `[graph]
  certificate_path` (exit 2), not msal's "pip install cryptography" log line and an internal
  error (exit 70).
- The thumbprint as copied: `openssl x509 -fingerprint -sha1` prints `AB:CD:...`, Windows'
  certificate dialog shows it spaced, the Azure portal plain hex. Colons and spaces are only
  separators (signs in); a typo (a non-hex character) is an error naming `[graph]
  certificate_thumbprint`, not msal's decoding error blamed on `[graph] tenant_id`.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..conftest import REPORTS
from ..simulators.graph.fixtures import client_certificate, self_signed_certificate
from ..simulators.graph.server import GraphSimulator
from ..simulators.graph.tenant import MAILBOX, TENANT_ID
from .conftest import cli_with_config_file, environ_without


def _run_with_certificate(
    tmp_path: Path, sim: GraphSimulator, key_pem: bytes, thumbprint: str, command: str
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "app.pem").write_bytes(key_pem)
    config = tmp_path / "c.toml"
    config.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        f'[graph]\ntenant_id = "{TENANT_ID}"\nclient_id = "cert-app"\n'
        f'authority_url = "{sim.url}"\ngraph_url = "{sim.url}"\n'
        f'ca_bundle = "{sim.ca_path}"\nretry_for = "3s"\ntimeout = 5.0\n'
        f'certificate_path = "app.pem"\ncertificate_thumbprint = "{thumbprint}"\n'
        f'[source.mailbox]\nmailbox = "{MAILBOX}"\n'
    )
    return cli_with_config_file(
        config, command, cwd=tmp_path, env=environ_without("DIRSYNC_GRAPH_SECRET")
    )


@pytest.mark.parametrize("kind", ["ec", "ed25519"])
@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_key_that_is_not_rsa_is_one_configuration_error(
    tmp_path: Path, graph_sim: GraphSimulator, kind: str, command: str
) -> None:
    _key, cert_pem, thumbprint = client_certificate()
    graph_sim.register_app(TENANT_ID, "cert-app", certificate=cert_pem)
    key = (
        ec.generate_private_key(ec.SECP256R1())
        if kind == "ec"
        else ed25519.Ed25519PrivateKey.generate()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    done = _run_with_certificate(tmp_path, graph_sim, pem, thumbprint, command)
    out = done.stdout + done.stderr
    assert "internal error" not in out, out
    assert done.returncode == 2, out
    assert "certificate_path" in out, out
    assert "RSA" in out, out  # what the key must be


def _colons(hexprint: str) -> str:
    return ":".join(hexprint[i : i + 2] for i in range(0, len(hexprint), 2))


@pytest.mark.parametrize("shape", ["plain", "lower", "openssl-colons", "windows-spaces", "typo"])
def test_a_thumbprint_as_copied_signs_in_or_names_the_thumbprint_key(
    tmp_path: Path, graph_sim: GraphSimulator, shape: str
) -> None:
    key_pem, cert_pem, thumbprint = client_certificate()
    graph_sim.register_app(TENANT_ID, "cert-app", certificate=cert_pem)
    given = {
        "plain": thumbprint.upper(),
        "lower": thumbprint.lower(),
        "openssl-colons": _colons(thumbprint.upper()),
        "windows-spaces": _colons(thumbprint.lower()).replace(":", " "),
        "typo": thumbprint.upper()[:-1] + "G",
    }[shape]
    graph_sim.add_message(
        MAILBOX,
        "inbox",
        (REPORTS / "aadsync_th_thead.eml").read_bytes(),
        received=datetime.now(UTC),
    )
    done = _run_with_certificate(tmp_path, graph_sim, key_pem.encode(), given, "run")
    assert "Traceback" not in done.stderr
    if shape != "typo":  # colons and spaces are only separators
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, done.stderr
    assert "certificate_thumbprint" in done.stderr, done.stderr
    assert "tenant_id" not in done.stderr, done.stderr


def test_a_thumbprint_copied_from_the_windows_certificate_dialog_signs_in(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    """The dialog's Thumbprint field brings an invisible LEFT-TO-RIGHT MARK (U+200E) in front:
    it was refused with a message saying spaces are fine (rev24 review, defect 9). Here with
    the certificate in the PEM after the key, as ``cat key.pem cert.pem`` makes it."""
    key_pem, cert_pem, thumbprint = client_certificate()
    graph_sim.register_app(TENANT_ID, "cert-app", certificate=cert_pem)
    given = "\u200e" + _colons(thumbprint.lower()).replace(":", " ")
    pem = (key_pem + cert_pem).encode()
    for command in ("doctor", "run"):
        done = _run_with_certificate(tmp_path, graph_sim, pem, given, command)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "certificate_thumbprint" not in done.stderr, done.stderr


def test_a_thumbprint_refused_says_which_character_is_wrong(
    tmp_path: Path, graph_sim: GraphSimulator
) -> None:
    key_pem, _cert, thumbprint = client_certificate()
    given = _colons(thumbprint.upper()[:-1] + "G")
    done = _run_with_certificate(tmp_path, graph_sim, key_pem.encode(), given, "doctor")
    assert done.returncode == 2, done.stderr
    assert "certificate_thumbprint" in done.stderr, done.stderr
    assert "'G' at character 59" in done.stderr, done.stderr  # its place in the value given


def _another_certificate() -> tuple[bytes, bytes, str]:
    """(key PEM, certificate PEM, SHA-1 thumbprint) of a second self-signed RSA certificate."""
    key_pem, cert_pem, thumbprint = self_signed_certificate("another app")
    return key_pem.encode(), cert_pem.encode(), thumbprint


@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_key_that_is_not_the_certificates_names_certificate_path(
    tmp_path: Path, graph_sim: GraphSimulator, command: str
) -> None:
    """A key from another request beside the certificate got as far as Entra's AADSTS700027
    (rev24 review, defect 10)."""
    _key, cert_pem, thumbprint = client_certificate()
    graph_sim.register_app(TENANT_ID, "cert-app", certificate=cert_pem)
    other_key, _cert, _print = _another_certificate()
    done = _run_with_certificate(
        tmp_path, graph_sim, other_key + cert_pem.encode(), thumbprint, command
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "certificate_path" in done.stderr, done.stderr
    assert "not the key of the certificate" in done.stderr, done.stderr


@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_thumbprint_of_another_certificate_names_certificate_thumbprint(
    tmp_path: Path, graph_sim: GraphSimulator, command: str
) -> None:
    key_pem, cert_pem, thumbprint = client_certificate()
    graph_sim.register_app(TENANT_ID, "cert-app", certificate=cert_pem)
    _key, _cert, other_print = _another_certificate()
    pem = (key_pem + cert_pem).encode()
    done = _run_with_certificate(tmp_path, graph_sim, pem, other_print, command)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "certificate_thumbprint" in done.stderr, done.stderr
    assert thumbprint.upper() in done.stderr, done.stderr  # the one to compare with the portal's

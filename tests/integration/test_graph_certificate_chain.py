"""rev27: [graph] certificate_path checks (config/certificate.py) against PEMs operators have:
a chain beside the app certificate, several keys, a renewed certificate."""

from __future__ import annotations

import base64
import subprocess
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from dirsync_bridge.config.certificate import certificate_problems

from .conftest import cli_with_config_file, environ_without

_RSA_OID = bytes.fromhex("06092a864886f70d010101")  # rsaEncryption in SubjectPublicKeyInfo


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(key: rsa.RSAPrivateKey, name: str, serial: int = 1000) -> x509.Certificate:
    now = datetime(2025, 1, 1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=4000))
        .sign(key, hashes.SHA256())
    )


def _pem(der: bytes) -> bytes:
    b64 = base64.b64encode(der).decode()
    lines = "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n".encode()


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _chain_cert_with_unknown_key_type() -> bytes:
    """A CA certificate in the chain whose key algorithm this cryptography does not know (here
    an unassigned rsadsi OID; in the field e.g. GOST or SM2 CAs). msal never looks at it."""
    der = _cert(_key(), "Some CA").public_bytes(serialization.Encoding.DER)
    assert der.count(_RSA_OID) == 1
    return _pem(der.replace(_RSA_OID, bytes.fromhex("06092a864886f70d010163")))


def _sm2_ca_certificate(tmp: Path) -> bytes:
    """A real SM2 CA certificate (Chinese national PKI), made with the system's OpenSSL 3."""
    key, cert = tmp / "sm2.key", tmp / "sm2.crt"
    made = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "SM2", "-out", str(key)], capture_output=True
    )
    if made.returncode == 0:
        made = subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-new",
                "-key",
                str(key),
                "-subj",
                "/CN=SM2 CA",
                "-days",
                "30",
                "-sm3",
                "-out",
                str(cert),
            ],
            capture_output=True,
        )
    if made.returncode != 0:
        pytest.skip("no SM2 in this OpenSSL")
    return cert.read_bytes()


def _chain_cert_with_negative_serial() -> bytes:
    der = _cert(_key(), "Old CA", serial=1000).public_bytes(serialization.Encoding.DER)
    return _pem(der.replace(bytes.fromhex("020203e8"), bytes.fromhex("020283e8"), 1))


def _run(
    tmp_path: Path, pem: bytes, thumbprint: str, command: str
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "app.pem").write_bytes(pem)
    config = tmp_path / "c.toml"
    config.write_text(
        f'[state]\npath = "{tmp_path / "state" / "state.db"}"\n'
        '[graph]\ntenant_id = "11111111-1111-1111-1111-111111111111"\nclient_id = "cert-app"\n'
        # nothing listens there: a pass that got past the configuration would end 75 quickly
        'authority_url = "https://127.0.0.1:9"\ngraph_url = "https://127.0.0.1:9"\n'
        'retry_for = "1s"\ntimeout = 1.0\n'
        f'certificate_path = "app.pem"\ncertificate_thumbprint = "{thumbprint}"\n'
        '[source.mailbox]\nmailbox = "alerts@contoso.invalid"\n'
    )
    return cli_with_config_file(
        config, command, cwd=tmp_path, env=environ_without("DIRSYNC_GRAPH_SECRET")
    )


def _app_pem(chain: bytes) -> tuple[bytes, str]:
    """A new app key and its certificate with ``chain`` after them, as one PEM; and the app
    certificate's thumbprint."""
    key = _key()
    app = _cert(key, "app")
    pem = _key_pem(key) + app.public_bytes(serialization.Encoding.PEM) + chain
    return pem, app.fingerprint(hashes.SHA1()).hex()


def _assert_not_an_internal_error(done: subprocess.CompletedProcess[str]) -> None:
    out = done.stdout + done.stderr
    assert "internal error" not in out, out
    assert done.returncode != 70, out


def test_unit_a_chain_certificate_of_an_unknown_key_type_is_no_exception() -> None:
    pem, thumbprint = _app_pem(_chain_cert_with_unknown_key_type())
    # the app's certificate is there, with the key and the thumbprint given: nothing to say
    assert list(certificate_problems("app.pem", pem, thumbprint)) == []


@pytest.mark.parametrize("command", ["run", "doctor"])
def test_a_chain_certificate_of_an_unknown_key_type_is_not_an_internal_error(
    tmp_path: Path, command: str
) -> None:
    pem, thumbprint = _app_pem(_chain_cert_with_unknown_key_type())
    _assert_not_an_internal_error(_run(tmp_path, pem, thumbprint, command))


@pytest.mark.parametrize("command", ["run", "doctor"])
def test_an_sm2_ca_certificate_in_the_chain_is_not_an_internal_error(
    tmp_path: Path, command: str
) -> None:
    pem, thumbprint = _app_pem(_sm2_ca_certificate(tmp_path))
    _assert_not_an_internal_error(_run(tmp_path, pem, thumbprint, command))


def test_a_chain_certificate_with_a_negative_serial_puts_no_library_warning_on_stderr(
    tmp_path: Path,
) -> None:
    """Old private CAs issued negative serials; cryptography loads them with a
    CryptographyDeprecationWarning, which the tool shows as a 'py.warnings' line quoting its
    own source code (twice in doctor), not a line of the tool's."""
    pem, thumbprint = _app_pem(_chain_cert_with_negative_serial())
    done = _run(tmp_path, pem, thumbprint, "doctor")
    assert "CryptographyDeprecationWarning" not in done.stderr, done.stderr
    assert "py.warnings" not in done.stderr, done.stderr


def test_unit_a_chain_before_the_app_certificate_and_several_keys() -> None:
    """Found nothing: the chain first, the key between; the thumbprint of the app's cert."""
    key, other = _key(), _key()
    app = _cert(key, "app")
    ca = _cert(other, "ca")
    pem = (
        ca.public_bytes(serialization.Encoding.PEM)
        + _key_pem(key)
        + app.public_bytes(serialization.Encoding.PEM)
        + _key_pem(other)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            list(certificate_problems("app.pem", pem, app.fingerprint(hashes.SHA1()).hex())) == []
        )
        # the CA's thumbprint is not the app's: named
        found = list(certificate_problems("app.pem", pem, ca.fingerprint(hashes.SHA1()).hex()))
    assert [name for name, _ in found] == ["certificate_thumbprint"]

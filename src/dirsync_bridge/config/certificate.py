"""The certificate beside the key in ``[graph] certificate_path``, checked against the key and
``certificate_thumbprint`` before anything is sent.

msal signs the sign-in with the key and names the certificate by the thumbprint; Entra looks
the thumbprint up among the app's certificates and checks the signature with that one. A key
from another request, or the thumbprint of another certificate, got as far as Entra's
AADSTS700027 ("client assertion failed signature validation"), which names neither key.
When the PEM holds the certificate too (``cat key.pem cert.pem``, the usual way), both are
checked here, naming the key to fix. A PEM holding the key alone is checked by Entra only.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

_CERTIFICATE: Final = re.compile(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)


def certificate_problems(
    file: Path | str, pem: bytes, thumbprint: str
) -> Iterator[tuple[str, str]]:
    """(key, problem) for each way the certificates in ``pem`` contradict its private key or
    ``thumbprint`` (40 hex digits, or "" when not given or malformed: not checked then).

    ``pem`` must hold a private key ``signing_key_problem`` accepted."""
    # Imported here: only a configuration with a certificate pays for it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    blocks = _CERTIFICATE.findall(pem)
    if not blocks:
        return
    try:
        with warnings.catch_warnings():
            # A chain certificate with a negative serial (old CAs) is read with a warning
            # that would print the library's path and line on stderr.
            warnings.simplefilter("ignore")
            certificates = [x509.load_pem_x509_certificate(block) for block in blocks]
    except ValueError:
        yield (
            "certificate_path",
            f"{file}: a certificate in it (-----BEGIN CERTIFICATE-----) cannot be read",
        )
        return
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    key = load_pem_private_key(pem, password=None)
    own = key.public_key().public_bytes(der, spki)
    # A chain may follow the app's certificate: the one whose public key is the key's.
    mine = [cert for cert in certificates if _public_key(cert, der, spki) == own]
    if not mine:
        yield (
            "certificate_path",
            f"{file}: the private key is not the key of the certificate in the same file (a key "
            "and a certificate from different requests?): put the certificate's own key with "
            "it, or the key alone",
        )
        return
    if not thumbprint:
        return
    prints = [cert.fingerprint(hashes.SHA1()).hex() for cert in mine]
    if thumbprint.lower() not in prints:
        # A thumbprint is no secret: the certificate's is shown, to compare with the portal's.
        yield (
            "certificate_thumbprint",
            f"is not the SHA-1 thumbprint of the certificate in {file} ({prints[0].upper()}): "
            "give the thumbprint of that certificate, as the app registration lists it (if "
            "the certificate was renewed with the same key, put the new one in the file, or "
            "leave it out: only the key is used)",
        )


def _public_key(
    cert: x509.Certificate, der: serialization.Encoding, spki: serialization.PublicFormat
) -> bytes | None:
    """The certificate's public key as DER, or None for a key type the library cannot read
    (an SM2 or GOST CA in the chain): such a certificate is never the app's, whose key is
    the RSA key beside it, and sign-in never uses it."""
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        return cert.public_key().public_bytes(der, spki)
    except (UnsupportedAlgorithm, ValueError):
        return None

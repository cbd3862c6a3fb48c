"""Reading a configuration file, and saying what is wrong with it in our own words.

``config`` holds the settings models; this module holds what stands between a file on disk
and those models: the bytes (bounded, UTF-8), the TOML (bounded nesting), the files the
configuration names (CA bundles, the certificate key), and the translation of pydantic's
findings into one line per problem that names the key. Every problem is collected, so a
user fixes a file in one go rather than one error per run.
"""

from __future__ import annotations

import binascii
import codecs
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from pydantic_core import ErrorDetails

from ..errors import ConfigError
from ..secret_files import NotRegularFile, read_regular_file
from .certificate import certificate_problems
from .types import thumbprint_hex

MAX_FILE_BYTES: Final = 1024 * 1024
"""A configuration is a few kilobytes; anything past a megabyte is the wrong file."""

FILE: Final = "(file)"
"""The key named by problems of the file as a whole."""

# (section path, key) of every key naming a file the tool reads as TLS trust or a key. The
# secret files (token_file, client_secret_file) are not here: they are usually systemd
# credentials, which exist only inside the service, so they are checked where they are read.
CA_BUNDLES: Final = (("jira",), ("graph",), ("enrich", "onprem"))
CERTIFICATE: Final = (("graph",), "certificate_path")

_PEM_BLOCK: Final = re.compile(
    rb"-----BEGIN (?P<label>[A-Z0-9 ]+)-----(?P<body>.*?)-----END (?P=label)-----", re.S
)


def read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML as a dict; ``ConfigError`` naming ``(file)`` when it cannot be."""
    try:
        raw = read_regular_file(path, MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        dangling = path.is_symlink()
        what = f"is a link to {path.readlink()}, which does not exist" if dangling else ""
        raise ConfigError(path, FILE, what or "the file does not exist") from None
    except NotRegularFile as exc:
        raise ConfigError(path, FILE, f"is {exc.kind}, not a configuration file") from None
    except OSError as exc:
        raise ConfigError(path, FILE, f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            path, FILE, f"is larger than {MAX_FILE_BYTES // 1024} KiB: is this the right file?"
        )
    text = _decode(path, raw)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, FILE, f"is not valid TOML: {exc}") from None
    except RecursionError:
        # tomllib recurses once per level of [[...]] or {a = {...}}: a few hundred levels
        # exhaust the interpreter's stack. No real configuration nests past three.
        raise ConfigError(
            path, FILE, "nests arrays or tables too deeply to be a configuration"
        ) from None


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ConfigError(
            path, FILE, "is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8"
        )
    # Notepad's "UTF-8" starts with a byte order mark; TOML does not allow one, we do.
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            path,
            FILE,
            f"is not UTF-8 (byte 0x{raw[exc.start]:02x} on line {line}): save it as UTF-8",
        ) from None


# ---------------------------------------------------------------------------------------------
# pydantic's findings, in our words


def describe(error: ErrorDetails) -> tuple[str, str]:
    """(key, problem) for one pydantic error: the key dotted, the problem in our words.

    The value itself is never repeated here (it may be a secret pasted into the wrong key);
    our own validators quote it where that is safe and helps.
    """
    return _key(error["loc"]), _problem(error)


def _key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            key += f".{part}" if key else part
    return key or "(top level)"


def _problem(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", "is not valid"))
    if kind in _LIMITS:
        return f"{_LIMITS[kind]} {_number(ctx[_LIMIT_KEYS[kind]])}"
    if kind == "literal_error":
        return f"must be {ctx.get('expected', 'one of the documented values')}"
    return _WORDS.get(kind, f"is not valid here ({kind.replace('_', ' ')})")


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_LIMITS: Final = {
    "greater_than": "must be greater than",
    "greater_than_equal": "must be at least",
    "less_than": "must be less than",
    "less_than_equal": "must be at most",
}
_LIMIT_KEYS: Final = {
    "greater_than": "gt",
    "greater_than_equal": "ge",
    "less_than": "lt",
    "less_than_equal": "le",
}
_WORDS: Final = {
    "missing": "is required",
    "extra_forbidden": "unknown key",
    "string_type": 'must be text in quotes, like "this"',
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number (not inf or nan)",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "model_type": "must be a table: a [section] or { key = value }",
    "model_attributes_type": "must be a table: a [section] or { key = value }",
    "dict_type": "must be a table: { key = value }",
    "tuple_type": 'must be a list, like ["a", "b"]',
    "list_type": 'must be a list, like ["a", "b"]',
    "path_type": 'must be a path in quotes, like "/etc/ssl/certs/ca.pem"',
    "time_delta_type": 'must be a duration in quotes, like "30d", "12h" or "90m"',
    "time_delta_parsing": 'must be a duration in quotes, like "30d", "12h" or "90m"',
}


# ---------------------------------------------------------------------------------------------
# The files a configuration names


def file_problems(path: Path, data: Mapping[str, Any]) -> Iterator[ConfigError]:
    """What is wrong with the CA bundles, the certificate key and the metrics file's
    directory that ``data`` names.

    Read from the raw TOML, so that they are found alongside every other problem; relative
    paths are relative to the configuration file, as everywhere.
    """
    for section in CA_BUNDLES:
        value = _raw(data, (*section, "ca_bundle"))
        if isinstance(value, str) and value:
            problem = ca_bundle_problem(path.parent.absolute() / value)
            if problem:
                yield ConfigError(path, ".".join((*section, "ca_bundle")), problem)
    section, key = CERTIFICATE
    value = _raw(data, (*section, key))
    if isinstance(value, str) and value:
        file = path.parent.absolute() / value
        problem = private_key_problem(file)
        if problem:
            yield ConfigError(path, ".".join((*section, key)), problem)
        else:
            given = _raw(data, (*section, "certificate_thumbprint"))
            thumbprint = thumbprint_hex(given) if isinstance(given, str) else ""
            content = _read_file(file)
            if isinstance(content, bytes):
                for name, found in certificate_problems(file, content, thumbprint):
                    yield ConfigError(path, ".".join((*section, name)), found)
    value = _raw(data, ("metrics", "textfile"))
    if isinstance(value, str) and value and "\x00" not in value:
        # Said at load time, not after a whole pass whose metrics would then be lost.
        folder = (path.parent.absolute() / value).parent
        if not folder.is_dir():
            what = "is not a directory" if folder.exists() else "does not exist"
            yield ConfigError(path, "metrics.textfile", f"is in {folder}, which {what}")


def _raw(data: Mapping[str, Any], keys: tuple[str, ...]) -> object:
    current: object = data
    for key in keys:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _read_file(file: Path) -> bytes | str:
    """The file's bytes, or why it cannot be read (one line)."""
    try:
        if not file.exists():
            return f"{file} does not exist"
        if not file.is_file():
            return f"{file} is not a file"
        with file.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES * 16)
    except OSError as exc:
        return f"{file} cannot be read: {exc.strerror or exc}"


def ca_bundle_problem(file: Path) -> str | None:
    """None when ``file`` holds PEM certificates that TLS can use, else what is wrong."""
    content = _read_file(file)
    if isinstance(content, str):
        return content
    if not any(m["label"] == b"CERTIFICATE" for m in _PEM_BLOCK.finditer(content)):
        return f"{file} holds no PEM certificate (-----BEGIN CERTIFICATE-----): use a PEM file"
    import ssl  # only when a bundle is configured: `parse` should not pay for it

    try:
        ssl.create_default_context(cafile=str(file))
    except (ssl.SSLError, ValueError) as exc:
        return f"{file} is not a usable PEM certificate bundle ({exc})"
    return None


def private_key_problem(file: Path) -> str | None:
    """None when ``file`` holds an unencrypted PEM private key, else what is wrong."""
    content = _read_file(file)
    if isinstance(content, str):
        return content
    keys = [m for m in _PEM_BLOCK.finditer(content) if m["label"].endswith(b"PRIVATE KEY")]
    if not keys:
        return (
            f"{file} holds no PEM private key (-----BEGIN PRIVATE KEY-----): use the PEM file "
            "with the certificate's private key, not the certificate alone or a .pfx/.cer"
        )
    if any(m["label"] == b"ENCRYPTED PRIVATE KEY" or b"ENCRYPTED" in m["body"] for m in keys):
        return f"{file}: the private key is encrypted; save it without a passphrase"
    try:
        binascii.a2b_base64(b"".join(keys[0]["body"].split()), strict_mode=True)
    except binascii.Error:
        return f"{file}: the private key is not valid base64 PEM"
    return signing_key_problem(file, content)


def signing_key_problem(file: Path | str, pem: bytes) -> str | None:
    """None when ``pem`` (the whole file, as msal is given it) holds an RSA private key msal
    can sign the sign-in with, else what is wrong.

    msal signs with RS256 only: an EC or Ed25519 key got as far as the token request, then
    PyJWT's InvalidKeyError (with msal's misleading "pip install cryptography" log line)
    ended the run as an internal error (exit 70). Entra app certificates are RSA.
    """
    # Imported here: only a configuration with a certificate pays for it.
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # Never the library's words: they could quote part of the key.
        return f"{file}: the private key cannot be read as an unencrypted PEM key"
    if not isinstance(key, rsa.RSAPrivateKey):
        kinds = (
            (ec.EllipticCurvePrivateKey, "an EC (elliptic curve) key"),
            (ed25519.Ed25519PrivateKey, "an Ed25519 key"),
            (ed448.Ed448PrivateKey, "an Ed448 key"),
            (dsa.DSAPrivateKey, "a DSA key"),
        )
        kind = next((name for cls, name in kinds if isinstance(key, cls)), "a key")
        return (
            f"{file} holds {kind}, not an RSA key: sign-in to Entra needs the RSA key of the "
            "app's certificate (made with, e.g., openssl req -newkey rsa:2048)"
        )
    return None

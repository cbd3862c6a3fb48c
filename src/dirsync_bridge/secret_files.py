"""Secrets read from files and the environment so that no mistake can hang a run, fill its
memory, end in a traceback, or show the secret.

Used for the Jira token (``[jira] token_env`` / ``token_file``) and the Graph client secret
and certificate (``[graph] client_secret_env`` / ``client_secret_file`` / ``certificate_path``).

- A secret file must be a regular file (a FIFO would block the run until someone writes to
  it; ``/dev/zero`` would be read until memory runs out), of at most ``MAX_SECRET_BYTES``, in
  UTF-8 with or without a BOM (Notepad writes one). A file in UTF-16 (Notepad's "Unicode")
  is named as such, so that the fix is obvious.
- A token or client secret is one line: a file holding a second line (``# rotated ...``)
  is refused rather than sent whole in a header.
- A token goes into an HTTP header (Basic or Bearer): only printable ASCII without spaces
  can travel there. Anything else (``€``, a line break, a zero-width space or a smart quote
  pasted with it) is refused here, by position and kind: the HTTP stack would refuse it with
  an error quoting the whole header, token included.

Every error is a ``ConfigError`` naming the key to fix; no message ever holds the content.

Every secret the tool sends (the Graph client secret and the access tokens msal issues, the
Jira token, the LDAP password) is ``sent`` here first: ``redact`` then replaces it with
``***`` in any text an upstream answered (an identity proxy or gateway that echoes the
request, ``client_secret=...`` or its headers included), and the log formatters apply it to
every line as a last guard. A value the configuration names openly (a host, a URL, a DN) is
``public``: no mask cuts into it.
"""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from urllib.parse import quote, quote_plus

from .errors import ConfigError

MAX_SECRET_BYTES: Final = 64 * 1024
"""A token, a client secret or a PEM key with its chain is a few kilobytes at most."""
_CHUNK: Final = 8192
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
MASK: Final = "***"
MIN_HIDDEN: Final = 4

_sent: set[str] = set()
_pattern: re.Pattern[str] | None = None
_public: set[str] = set()
_public_pattern: re.Pattern[str] | None = None


def sent(secret: str) -> str:
    """``secret``, remembered as one this process sends (``redact`` hides it from then on)."""
    global _pattern
    # One to three characters: no secret anyone issues, and masked they would garble every
    # word holding them (a test's "t"); sent all the same.
    if len(secret) >= MIN_HIDDEN and secret not in _sent:
        _sent.add(secret)
        forms = {form for one in _sent for form in _echoed_forms(one)}
        ordered = sorted(forms, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(form) for form in ordered), re.IGNORECASE)
    return secret


def _echoed_forms(secret: str) -> tuple[str, ...]:
    # Each as sent and as an upstream may echo it: form- or URL-encoded (any hex case), or
    # in a JSON string as the common encoders write it: Python's and most (non-ASCII as
    # \uXXXX, any hex case) or left as is, and PHP's json_encode and some Java gateways,
    # which also write '/' as '\/' (Entra secrets hold '/'). Longest first (the caller),
    # so that no part of one is left over. Not base64 of the secret alone: no request
    # carries it so, and Jira's Basic header (email:token) is sent as a whole already.
    escaped = json.dumps(secret)[1:-1]
    kept = json.dumps(secret, ensure_ascii=False)[1:-1]
    return (
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        escaped,
        kept,
        escaped.replace("/", "\\/"),
        kept.replace("/", "\\/"),
    )


def public(value: str) -> str:
    """``value``, remembered as one the configuration names openly (a host, a URL, a DN, the
    mailbox): ``redact`` does not cut a secret out of the middle of it.

    A password that is also a word of a host name (``Contoso`` and ``dc1.contoso.com``)
    turned every mention of the host into ``dc1.***.com``: the line no longer said which
    host failed, and the mask itself told the password to anyone who knows the domain. The
    host is in the configuration file, so showing it whole tells nothing the file does not;
    a value that is the secret and nothing more is still masked, and so is the secret
    anywhere outside such a value (``client_secret=contoso`` in an echoed form)."""
    global _public_pattern
    if len(value) > MIN_HIDDEN and value not in _public:
        _public.add(value)
        ordered = sorted(_public, key=len, reverse=True)
        _public_pattern = re.compile("|".join(re.escape(one) for one in ordered), re.IGNORECASE)
    return value


def forget_sent() -> None:
    """Hide no secret any more (for tests: a process runs one command, with one set)."""
    global _pattern, _public_pattern
    _sent.clear()
    _pattern = None
    _public.clear()
    _public_pattern = None


def redact(text: str) -> str:
    """``text`` (an upstream's words, a log line) with every secret ``sent`` made ``***``,
    except inside a longer value the configuration names openly (``public``)."""
    if _pattern is None:
        return text
    if _public_pattern is None:
        return _pattern.sub(MASK, text)
    spans = [found.span() for found in _public_pattern.finditer(text)]

    def mask(found: re.Match[str]) -> str:
        start, end = found.span()
        inside = any(
            low <= start and end <= high and high - low > end - start for low, high in spans
        )
        return found.group() if inside else MASK

    return _pattern.sub(mask, text)


class NotRegularFile(OSError):
    """A path that names a directory, a FIFO, a device or a socket, not a file to read."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is {kind}, not a regular file")
        self.kind = kind


def read_regular_file(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``path``, which must be a regular file (``NotRegularFile``
    else; ``OSError`` when it cannot be opened). Never waits: a FIFO is opened with
    ``O_NONBLOCK`` and refused, not read until someone writes to it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, _file_kind(mode))
        return _read_at_most(fd, limit)
    finally:
        os.close(fd)


def replaceable(path: Path) -> Path:
    """The file to replace, atomically, for ``path``: the one a symbolic link names (so that
    the link stays a link), which must be a regular file if it exists at all: a device, a
    FIFO or a directory is ``NotRegularFile``, never renamed over (``/dev/null`` is not a
    report page). Any other ``OSError`` (a link that names itself, a name too long, a file
    used as a folder) is the caller's to name: realpath leaves such a path as it is, and
    only the ``stat`` finds out."""
    real = Path(os.path.realpath(path))
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        return real
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, _file_kind(mode))
    return real


def read_secret_file(path: Path, key: str) -> str:
    """The text of a secret file, checked as the module docstring says (``key`` names it)."""
    try:
        data = read_regular_file(path, MAX_SECRET_BYTES + 1)
    except NotRegularFile as exc:
        raise ConfigError(
            None,
            key,
            f"{path} is {exc.kind}, not a regular file: give the file that holds the secret",
        ) from None
    except OSError as exc:
        raise ConfigError(None, key, f"{path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SECRET_BYTES:
        raise ConfigError(
            None,
            key,
            f"{path} is larger than {MAX_SECRET_BYTES // 1024} KiB: a secret file holds the "
            "secret alone",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        hint = ' (it is UTF-16, Notepad\'s "Unicode")' if data[:2] in _UTF16_BOMS else ""
        raise ConfigError(
            None, key, f"{path} is not UTF-8 text{hint}: save it as UTF-8 with the secret alone"
        ) from None


def secret_line(text: str, key: str, where: str) -> str:
    """The one line of a secret file, without surrounding whitespace (``where`` names it).

    A file with nothing but whitespace in it (0 bytes, a lone newline, a BOM and CRLF: a
    secret not provisioned yet, a rotation that truncated it) is an error naming the file's
    key: falling back to "the variable is not set (and no file)" named the wrong key and
    denied a file that is there."""
    lines = text.strip().splitlines()
    if not lines:
        raise ConfigError(None, key, f"{where} is empty: put the secret there, alone on one line")
    if len(lines) > 1:
        raise ConfigError(
            None,
            key,
            f"{where} holds {len(lines)} lines: it must hold the secret alone, on one line "
            "(no comments, no second value)",
        )
    return lines[0].strip()


def unset_or_empty(env: Mapping[str, str], name: str) -> str:
    """ "is not set" or "is empty": what a secret variable that gave nothing is.

    Set but empty (a secret store that answered nothing, an ``EnvironmentFile`` line with
    the value forgotten) is another fault than a variable never set, looked for elsewhere."""
    return "is not set" if name not in env else "is empty"


def header_safe(secret: str, key: str, where: str) -> str:
    """``secret`` if it can travel in an HTTP header; else an error that does not show it."""
    for position, char in enumerate(secret, start=1):
        if not "!" <= char <= "~":
            raise ConfigError(
                None,
                key,
                f"{where} holds {_char_kind(char)} at character {position}, which no token "
                "has and an HTTP header cannot carry (pasted along with it?): put the secret "
                "there alone, exactly as issued",
            )
    return secret


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(_CHUNK, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _char_kind(char: str) -> str:
    # An invisible character is named by its code point (U+200B...), which is what a person
    # needs to find it and is no part of the secret; a visible one is not shown at all.
    if char in "\r\n":
        return "a line break"
    if char == " ":
        return "a space"
    if unicodedata.category(char).startswith(("C", "Z")):
        name = unicodedata.name(char, "")
        return f"an invisible or control character (U+{ord(char):04X}{' ' + name if name else ''})"
    return "a non-ASCII character"

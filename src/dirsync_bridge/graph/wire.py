"""What goes over the wire to Graph and its login host, and how the answers are judged.

Kept apart from ``graph`` (the client: sign-in, the retry loop, paging) because it is the
part that decides what an answer *is*: one session class that gives every request
``verify=`` and a timeout, the reading of bodies (a JSON object, or a raw message streamed
up to a size limit), and the sorting of failures into what the retry policy retries
(``BadAnswer`` and every other ``requests.RequestException``), what a person must fix
(``GraphError``, and ``untrusted``'s ``ConfigError`` for a certificate that does not
verify) and what is one input's problem only (``TooLarge``).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from ..errors import ConfigError, GraphError, TooLarge
from ..http_bodies import MIN_RATE, arrivals, read_within
from ..json_answers import TooDeep, answer_json
from ..retry import RETRY_STATUSES, no_answer, retry_after_seconds
from ..secret_files import redact

_BLANK: Final = b" \t\r\n\x0b\x0c\x00"
"""Bytes that alone make no message (whitespace, NUL): a body of only these is no answer."""
_PERMISSION_HINT: Final = (
    "grant the app the application permission Mail.Read (Mail.ReadWrite to move, mark or "
    "categorise) with admin consent; if the app is scoped to some mailboxes (application "
    "access policy or RBAC for Applications), put this mailbox in its scope (changes can "
    "take an hour)"
)


class BadAnswer(requests.RequestException):
    """A 2xx answer that is not what was asked for (HTML instead of JSON, say)."""


class Busy(requests.RequestException):
    """The login host answered 429 or 5xx: busy or briefly down, whatever the body says; or
    a 3xx that is no redirect: no answer either, retried the same way."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}", response=response)
        self.status = response.status_code
        self.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        self.said = (
            f"answered {no_answer(self.status, response.headers.get('Location'))}"
            if 300 <= self.status < 400
            else f"is busy (HTTP {self.status})"
        )


class Session(requests.Session):
    """A session that gives every request ``verify=`` and a timeout (msal uses it too).

    ``json_only`` (for msal): a 429 or 5xx is ``Busy``, and every other answer must be JSON,
    else ``BadAnswer`` -- except a 4xx to a GET, which msal reads as "no such tenant"
    without parsing it. msal would otherwise raise its own error for a 5xx (a traceback),
    take a 429 for a refused secret or an unknown tenant, and an HTML page for a
    configuration error; raised here, each is retried like any network fault (and msal
    never caches the answer to replay it).

    A redirect is never followed (``redirected``): ``key`` names the setting whose address
    ``root`` answered with one.
    """

    def __init__(
        self, verify: str | bool, timeout: float, key: str, root: str, *, json_only: bool = False
    ) -> None:
        super().__init__()
        self._verify, self._timeout, self._json_only = verify, timeout, json_only
        self._key, self._root = key, root

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """``Session.request`` with our ``verify`` and ``timeout``."""
        kwargs["verify"] = self._verify
        kwargs.setdefault("timeout", self._timeout)
        # Followed, a redirect to another host drops the bearer token (Graph's 401 read as a
        # refused app), and a 307 from the login host re-sends the client secret there.
        kwargs["allow_redirects"] = False
        streamed = bool(kwargs.get("stream"))
        kwargs["stream"] = True
        response = super().request(method, url, *args, **kwargs)
        if not streamed:
            read_within(response, self._timeout)
        # An empty Location leads nowhere: no address to name (review rev36), no answer.
        if response.is_redirect and (response.headers.get("Location") or "").strip():
            response.close()
            raise redirected(self._key, self._root, str(url), response)
        if self._json_only and (
            response.status_code in RETRY_STATUSES or 300 <= response.status_code < 400
        ):
            raise Busy(response)  # a 3xx that is no redirect is no answer either: retried
        if self._json_only and not (400 <= response.status_code < 500 and method == "GET"):
            try:
                answer_json(response)
            except ValueError as exc:
                raise BadAnswer(not_json(response, exc), response=response) from None
        return response


def redirected(key: str, root: str, url: str, response: requests.Response) -> ConfigError:
    """A redirect from ``root`` (a retired host name, a gateway's old address) as the
    configuration error it is, naming where it leads: the request's own path and query are
    cut off the location when it ends with them, the rest is the address to set."""
    where = (response.headers.get("Location") or "").partition("?")[0].partition("#")[0]
    if where.startswith("/") and not where.startswith("//"):
        # A path alone (RFC 9110 allows a relative location): on the request's own host.
        scheme, host = urlsplit(url)[:2]
        where = f"{scheme}://{host}{where}"
    asked = url.partition("?")[0].removeprefix(root)
    if asked and where.endswith(asked):
        where = where[: -len(asked)]
    return ConfigError(
        None,
        key,
        f"{root} answers with a redirect (HTTP {response.status_code}) to "
        f"{redact(where or 'an address it does not give')[:200]}, which is never followed: "
        "set it to that address (the service's own, not one that sends requests on)",
    )


def refused(what: str, response: requests.Response) -> GraphError:
    """Graph's error answer as an error that says what to do."""
    status = response.status_code
    code, message = error_of(response)
    text = f"Graph: {what}: HTTP {status} {code}: {message}"
    if status == 403 or code in ("ErrorAccessDenied", "Authorization_RequestDenied"):
        text += f"; {_PERMISSION_HINT}"
    elif code in ("ErrorInvalidUser", "MailboxNotEnabledForRESTAPI", "MailboxNotFound"):
        text += "; check [source.mailbox] mailbox (an Exchange Online mailbox's address)"
    elif status == 401:
        text += "; the token was refused twice: check the app registration and its consent"
    return GraphError(text, status, code)


def error_of(response: requests.Response) -> tuple[str, str]:
    """Graph's ``error.code`` and ``error.message`` (or the start of a body that has none)."""
    try:
        body = answer_json(response)
    except ValueError:
        return "", one_line(response.text)[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", one_line(str(body))[:200]
    return str(error.get("code", "")), one_line(str(error.get("message", "")))[:300]


def one_line(text: str) -> str:
    """``text`` with every run of whitespace made one space."""
    return " ".join(text.split())


def json_object(response: requests.Response) -> dict[str, Any]:
    """The answer as a JSON object, else ``BadAnswer`` (retried like a 503)."""
    try:
        body = answer_json(response)
    except ValueError as exc:
        raise BadAnswer(not_json(response, exc), response=response) from None
    if not isinstance(body, dict):
        raise BadAnswer(f"HTTP {response.status_code} with JSON that is not an object")
    return body


def not_json(response: requests.Response, exc: ValueError | None = None) -> str:
    """What came instead of JSON, in a few words."""
    if isinstance(exc, TooDeep):
        return str(exc)
    kind = response.headers.get("Content-Type", "").partition(";")[0].strip() or "untyped"
    return f"HTTP {response.status_code} with a {kind} body, not JSON"


def bounded(response: requests.Response, what: str, limit: int | None, seconds: float) -> bytes:
    """The body, read as it arrives; ``TooLarge`` as soon as it passes ``limit``; an HTML or
    JSON page, or no body at all (nothing but blanks), is ``BadAnswer`` (not a message:
    retried). A message may take ``seconds`` (``[graph] timeout``) plus one second for each
    64 KiB received (``MIN_RATE``: a large message on a slow link gets its time); slower,
    it is ``ReadTimeout``, a transport failure like a body cut off (found by hostile review
    rev37: a body trickling in a byte at a time held the pass for hours)."""
    kind = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    if kind in ("text/html", "application/json"):
        # /$value is text/plain MIME (apis.md 1.3): this is a proxy's page, or an error.
        raise BadAnswer(f"HTTP {response.status_code} with a {kind} body, not a message")
    declared = response.headers.get("Content-Length", "")
    if limit is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"{what}: {declared} bytes is over [parse] max_message_bytes ({limit})")
    parts: list[bytes] = []
    size = 0
    blank = True  # till the first byte that is not a blank (only that one matters)
    for chunk in arrivals(response, seconds, rate=MIN_RATE):
        size += len(chunk)
        if limit is not None and size > limit:
            raise TooLarge(f"{what}: the message is over [parse] max_message_bytes ({limit})")
        blank = blank and not chunk.strip(_BLANK)
        parts.append(chunk)
    if blank:
        # Graph never serves an empty message (every one has headers): an empty 200, a 204
        # or a body of a newline, a space or a NUL is a gateway's answer, retried like a
        # cut body. Read as the message, it would be rejected ``empty`` and marked so for
        # good, and the report never read.
        what_came = "an empty" if not size else "a blank"
        raise BadAnswer(f"HTTP {response.status_code} with {what_came} body, not a message")
    return b"".join(parts)


def answers_own(exc: requests.RequestException) -> bool:
    """Whether a failed exchange is the fault of that one answer's body (empty or blank, a
    page instead of what was asked, undecodable), the service having answered 2xx: not a
    transport failure (no answer, a timeout, a body cut off mid-way: a link or a proxy
    failing, which every later download meets alike) nor a busy service. Past the retry
    budget, such a message is passed over, not the whole pass."""
    return isinstance(exc, BadAnswer | requests.exceptions.ContentDecodingError)


def describe(exc: requests.RequestException, host: str) -> str:
    """A broken exchange in a few words: which host, what went wrong."""
    if isinstance(exc, BadAnswer):
        return f"{host} answered {exc}"
    if isinstance(exc, Busy):
        return f"{host} {exc.said}"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"the TLS handshake with {host} failed ({tls_reason(exc)})"
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return f"cannot reach {host} ({type(exc).__name__})"
    return f"{host} broke off its answer ({type(exc).__name__})"


def untrusted(exc: requests.RequestException, host: str) -> ConfigError | None:
    """A certificate that does not verify, as the configuration error it is; else None.

    Other TLS failures (a handshake cut short, say) are network faults: retried.
    """
    if not isinstance(exc, requests.exceptions.SSLError):
        return None
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        error = todo.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, ssl.SSLCertVerificationError):
            why = one_line(error.verify_message or str(error))
            return ConfigError(
                None,
                "[graph] ca_bundle",
                f"the TLS certificate of {host} does not verify ({why}): set ca_bundle to "
                "the CA file that signed it (a TLS-inspecting proxy's CA, say)",
            )
        todo += [error.__cause__, error.__context__, *_inner(error)]
    return None


def _inner(error: BaseException) -> list[BaseException]:
    """The exceptions an exception wraps: urllib3's ``reason`` (ssl's is a string, not
    one), and any exception among its arguments."""
    reason = getattr(error, "reason", None)
    wrapped = [reason] if isinstance(reason, BaseException) else []
    return wrapped + [a for a in error.args if isinstance(a, BaseException)]


def tls_reason(exc: BaseException) -> str:
    """OpenSSL's reason for a failed handshake (``WRONG_VERSION_NUMBER``...), else a word."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        error = todo.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, ssl.SSLError) and isinstance(error.reason, str):
            return error.reason
        todo += [error.__cause__, error.__context__, *_inner(error)]
    return type(exc).__name__


def environment_bundle_error(env: Mapping[str, str]) -> ConfigError | None:
    """Without ``[graph] ca_bundle``, requests trusts the CA file ``REQUESTS_CA_BUNDLE`` (or
    ``CURL_CA_BUNDLE``) names: one that is missing or holds no certificate is a
    configuration error naming that variable (requests would raise a bare ``OSError``, or
    fail every handshake), else None."""
    name = next((n for n in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") if env.get(n)), None)
    if name is None:
        return None
    path = env[name]
    try:
        if Path(path).is_dir():
            ssl.create_default_context(capath=path)
        else:
            ssl.create_default_context(cafile=path)
    except ssl.SSLError as exc:
        problem = f"{path} holds no CA certificate ({one_line(str(exc.reason or exc))})"
    except OSError as exc:
        problem = f"{path}: {exc.strerror or exc}"
    else:
        return None
    return ConfigError(
        None,
        "[graph] ca_bundle",
        f"is not set, so the environment variable {name} names the CAs to trust, and "
        f"{problem}: correct or unset {name}, or set ca_bundle",
    )

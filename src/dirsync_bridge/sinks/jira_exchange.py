"""What one failed exchange with Jira was: the kinds of bad answer, and how a failure that
left no answer is told apart (never sent, or may have reached Jira) and named.

``JiraHttp._call`` sorts every failure with these: a request that certainly never left is
retried even when it writes; one that may have reached Jira is an unknown outcome if it
writes (the module docstring of ``jira_http``).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urljoin

import requests
import urllib3

from ..config.settings import JiraSettings
from ..errors import ConfigError
from ..secret_files import redact


class NotJson(Exception):
    """A 2xx answer that is not the JSON asked for."""


class NestedTooDeep(NotJson):
    """JSON nested past the recursion limit: a broken answer (a proxy's, a plugin's), not a
    sign that the site is not Jira: retried like one, never counted as a page."""


class NoAnswer(NotJson):
    """A 3xx without a Location (not a redirect): a proxy's, no answer of Jira's. Retried
    (a write's outcome unknown, settled by reading), never counted as a page (review
    rev36: a transition answered so was recorded done and the issue stayed open)."""


class TooLarge(Exception):
    """A bulk request refused as too large (413, from Jira or a proxy before it): nothing
    was written; smaller requests may pass."""


class Refusals(Exception):
    """A 400 whose JSON refuses a bulk request item by item: an answer, not an error."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("refused item by item")
        self.body = body


UNUSABLE_URL: Final = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    urllib3.exceptions.LocationValueError,
)


def without_credentials(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """A per-request ``auth`` that replaces the session's sign-in with none."""
    return request


def header_refused(exc: ValueError) -> bool:
    """Whether the HTTP stack refused a header value (Basic auth is Latin-1, no line breaks)."""
    return isinstance(exc, requests.exceptions.InvalidHeader | UnicodeEncodeError) or str(
        exc
    ).startswith("Invalid header")


def never_sent(exc: Exception) -> bool:
    """Whether the request certainly never reached Jira (no connection was made)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def describe(exc: Exception, url: str) -> str:
    if isinstance(exc, NotJson):
        return f"{url} answered with {exc} (a proxy's or captive portal's page?)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"the answer from {url} was cut short (ChunkedEncodingError)"
    if never_sent(exc):
        return f"cannot reach {url} ({type(exc).__name__})"
    return f"no answer from {url} ({type(exc).__name__})"


def redirected(settings: JiraSettings, response: requests.Response | None) -> ConfigError:
    """A redirect from ``[jira] url`` (a site renamed, moved behind another address, or
    http:// sent on to https://): a configuration error naming where it leads (``None``: a
    redirect to an address that is no URL, which requests refused to read)."""
    if response is None:
        what = "a redirect to an address that is not a URL"
    else:
        location = response.headers.get("Location")
        # A Location may be a path alone (a proxy that moved Jira under /jira): named whole,
        # as the address to set, joined to the URL asked for (review rev34).
        where = urljoin(response.url, location) if location else "an address it does not give"
        base = where.split("/rest/api/", 1)[0]
        what = f"a redirect (HTTP {response.status_code}) to {redact(base)[:200]}"
    return ConfigError(
        None, "[jira] url", f"{settings.url} answers with {what}: set it to the site's own address"
    )

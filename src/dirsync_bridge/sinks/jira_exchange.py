"""One exchange with Jira (``exchange``: a request, its answer read as JSON) and what a failed
one was: the kinds of bad answer, and how a failure that left no answer is told apart (never
sent, or may have reached Jira) and named.

``JiraHttp._call`` sorts every failure with these: a request that certainly never left is
retried even when it writes; one that may have reached Jira is an unknown outcome if it
writes (the module docstring of ``jira_http``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urljoin

import requests
import urllib3
from jira import JIRA

from ..config.settings import JiraSettings
from ..errors import ConfigError
from ..json_answers import TooDeep, answer_json
from ..retry import no_answer
from ..secret_files import redact
from .jira_library import api_url, session_of


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


def exchange(
    client: JIRA,
    settings: JiraSettings,
    method: str,
    path: str,
    params: dict[str, Any] | None,
    body: object | None,
    need: Sequence[str],
) -> Any:
    """One request to Jira's REST API (``path`` under it) and its answer read as JSON: ``need``
    names fields the answer must hold. Every answer that is not that is one of the failures
    above; the library's own errors (``JIRAError``, requests') pass through to be sorted."""
    data = None if body is None else json.dumps(body)
    try:
        # Never followed: a redirected POST comes back a GET, and one to another host
        # without its credentials (a 401 read as a wrong token): the URL is what is wrong.
        response = session_of(client).request(
            method, api_url(client, path), params=params, data=data, allow_redirects=False
        )
    except RecursionError:
        # The library reads an error answer's JSON itself, catching ValueError only: an
        # error body nested past the recursion limit is as unreadable as a page.
        raise NestedTooDeep("JSON nested too deep to read") from None
    except ValueError as exc:
        if isinstance(exc, requests.RequestException) or header_refused(exc):
            raise  # a header the stack refused (the token's): ``_call`` names the key
        # requests reads a redirect's Location even when it is not followed: one that is
        # no URL ("http://[x") fails its parse here (review rev34; was exit 70).
        raise redirected(settings, None) from None
    # An empty Location leads nowhere: no address to name, no answer (review rev36).
    if response.is_redirect and (response.headers.get("Location") or "").strip():
        raise redirected(settings, response)
    if 300 <= response.status_code < 400:
        raise NoAnswer(no_answer(response.status_code, response.headers.get("Location")))
    if not response.content:
        if need:
            raise NotJson("an empty answer")
        return {}
    try:
        answer = answer_json(response)
    except TooDeep:
        raise NestedTooDeep("JSON nested too deep to read") from None
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        raise NotJson(f"a {kind} page, not Jira's JSON") from None
    if need and not (isinstance(answer, dict) and all(k in answer for k in need)):
        raise NotJson(f"JSON without {', '.join(need)}")
    return answer

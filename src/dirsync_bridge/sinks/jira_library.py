"""Where the sink reaches into the ``jira`` library past its public API, and why.

The sink sends its own requests (``jira_http``): the library's high-level calls retry POSTs
blindly, hide the status of a write whose answer was lost, and cannot say "this 2xx was not
Jira's JSON". What it keeps from the library is the session: the sign-in (basic auth with
an API token on Cloud, a bearer personal access token on Data Center), the headers Jira
expects, and error answers turned into ``JIRAError``. The library offers no public handle on
that session, so ``JIRA._session`` is read here, and only here.

``tests/unit/test_jira_library.py`` fails if a release of the library changes any of this;
``pyproject.toml`` pins the release range it was tested with.
"""

from __future__ import annotations

import functools
from pathlib import Path

import requests
from jira import JIRA


def session_of(client: JIRA) -> requests.Session:
    """The library's signed-in session (``JIRA._session``: not public API, see above)."""
    session = client._session
    if not isinstance(session, requests.Session):  # a library release changed it
        raise TypeError(f"jira.JIRA._session is a {type(session).__name__}, not a Session")
    return session


def trust(session: requests.Session, ca_bundle: Path) -> None:
    """Verify every request of ``session`` against ``ca_bundle``.

    ``REQUESTS_CA_BUNDLE`` in the environment overrides a session's own ``verify``, but not
    a per-request one, so the CA file is bound into every call of ``session.request``.
    """
    session.request = functools.partial(session.request, verify=str(ca_bundle))  # type: ignore[method-assign]


def api_url(client: JIRA, path: str) -> str:
    """The REST API v2 URL of ``path`` on the client's site (public: ``server_url``)."""
    return f"{client.server_url}/rest/api/2/{path}"

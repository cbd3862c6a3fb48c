"""Graph links an answer gives are followed only on the Graph root, from the first one on
(third review).
"""

from __future__ import annotations

from typing import Any

import pytest

from dirsync_bridge.config.settings import GraphSettings
from dirsync_bridge.enrich.cloud import CloudDirectory
from dirsync_bridge.graph.client import GraphClient


@pytest.mark.parametrize(
    "link",
    ["https://evil.example/v1.0/users?$skiptoken=a", "http://graph.microsoft.com/v1.0/users"],
)
def test_a_lookups_next_link_in_a_batch_answer_is_guarded_like_any_other(
    monkeypatch: pytest.MonkeyPatch, link: str
) -> None:
    """A $batch answer's body (a holder look-up with more than a page) names a next link:
    _holders hands it to client.pages as the *first* URL, which Paging never checks (it only
    checks the links of pages it read), so the bearer token goes to whatever host it names."""
    settings = GraphSettings(tenant_id="00000000-0000-0000-0000-000000000001", client_id="c")
    client = GraphClient(settings, "secret")
    sent: list[str] = []

    def get_json(self: GraphClient, path: str, **_: Any) -> dict[str, Any]:
        sent.append(self.url(path))
        return {"value": []}

    monkeypatch.setattr(GraphClient, "get_json", get_json)
    missing: dict[str, dict[str, str]] = {"x@contoso.com": {}}
    body = {"value": [], "@odata.nextLink": link}
    CloudDirectory(client)._holders("x@contoso.com", "user", body, missing)  # type: ignore[arg-type]
    assert [u for u in sent if not u.startswith("https://graph.microsoft.com/")] == [], sent


def test_a_gateways_empty_object_on_the_folder_lookup_is_not_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The guard's own reason (a gateway's 200 `{}` is no page) applied to the folder look-up:
    read as "no such folder", it is a ConfigError (exit 2, "fix your config") for a glitch."""
    from dirsync_bridge.config.sections import MailboxSettings
    from dirsync_bridge.errors import ConfigError
    from dirsync_bridge.sources.mail_folder import MailFolder

    settings = GraphSettings(tenant_id="00000000-0000-0000-0000-000000000001", client_id="c")
    client = GraphClient(settings, "secret")
    monkeypatch.setattr(GraphClient, "get_json", lambda self, path, **_: {})
    folder = MailFolder(client, MailboxSettings(mailbox="dirsync@contoso.com"))
    try:
        folder.folder_id("Processed", key="[source.mailbox] after")
    except ConfigError as exc:
        pytest.fail(f"a gateway's {{}} became a configuration error: {exc}")
    except Exception:
        pass

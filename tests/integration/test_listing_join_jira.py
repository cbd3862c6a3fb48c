"""The tenant-join case of ``test_listing_joins.py`` in Jira: the ticket descriptions written
to Jira end as with every sighting made (before ``problems.listed_in``, one named words the
describing report never said)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dirsync_bridge import ingest
from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

from ..reportgen import LARGE, duplicate
from ..simulators.jira import JiraSimulator
from ..simulators.jira.fixtures import CUSTOM_FIELDS
from .digest_histories import T0, email
from .test_jira_sink import jira_config, token_env

A = ("u1@contoso.com", "OID1", duplicate("Mail", "u1@contoso.com"))
B = ("u2@contoso.com", "", LARGE)
B_THEN = ("u2@contoso.com", "", LARGE + " Contact your administrator.")
B_OTHER = ("u2@contoso.com", "OID2", LARGE)


def _with(config: Config, aliases: dict[str, list[str]]) -> Config:
    from dirsync_bridge.parse.tenants import TenantRules

    return config.model_copy(update={"tenants": TenantRules.model_validate({"aliases": aliases})})


def _story(tmp_path: Path) -> dict[str, Any]:
    steps = [
        ({}, 1, "Fabrikam", [A, B_THEN]),
        ({}, 2, "Fabrikam Ltd", [A, B]),
        ({"Fabrikam": ["Fabrikam Ltd"]}, 4, "Fabrikam Ltd", [A, B]),
        ({"Fabrikam": ["Fabrikam Ltd"]}, 3, "Fabrikam", [A, B_OTHER]),
    ]
    with JiraSimulator("cloud", project=["OPS"], custom_fields=CUSTOM_FIELDS) as sim:
        base = jira_config(sim, tmp_path / "state")
        for n, (aliases, day, tenant, rows) in enumerate(steps):
            path = tmp_path / "mail" / f"{n}.eml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(email(tenant, T0 + timedelta(days=day), rows, f"j{n}@x"))
            replay([path], _with(base, aliases), env=token_env(sim))
        return {
            issue.fields["summary"]: issue.fields.get("description")
            for issue in sim.issues.values()
        }


def test_jira_descriptions_end_as_every_sighting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:
        m.setattr(ingest, "rows_mark", lambda _enricher: None)
        every = _story(tmp_path / "every")
    digested = _story(tmp_path / "digested")
    wrong = [s for s, d in digested.items() if "Contact your administrator" in str(d)]
    right = [s for s, d in every.items() if "Contact your administrator" in str(d)]
    assert wrong == right, (wrong, right)

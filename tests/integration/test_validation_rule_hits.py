"""DataValidationFailed: which value the IdFix rules judge (the review of rev22).

The report's identity column is the object's UPN. A message naming another attribute
(``[ProxyAddresses]``, ``[SamAccountName]``) does not give that attribute's bad value, so no
rule hit is claimed for it; the UPN rules apply when the message names the UPN or no
attribute, and ``[None]`` names none (format.md 3.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..reportgen import report_email

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2024, 3, 4, 9, tzinfo=UTC)
DVF = (
    "Unable to update this object in Azure Active Directory, because the attribute [{a}], "
    "is not valid. Update the value in your local directory services."
)


def _enriched(tmp_path: Path, rows: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """``parse --format json --enrich`` of one report holding ``rows``: its errors."""
    path = tmp_path / "dvf.eml"
    path.write_bytes(report_email("Contoso", AT, rows, "dvf@rev22.test"))
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'[state]\npath = "{tmp_path / "state.db"}"\n')
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    command = [sys.executable, "-m", "dirsync_bridge", "--config", str(cfg), "parse"]
    done = subprocess.run(
        [*command, "--format", "json", "--enrich", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    (report,) = json.loads(done.stdout)
    errors: list[dict[str, Any]] = report["errors"]
    return errors


def test_dvf_naming_proxyaddresses_does_not_judge_the_upn_as_a_proxy_address(
    tmp_path: Path,
) -> None:
    (error,) = _enriched(tmp_path, [("jo hn@contoso.com", DVF.format(a="ProxyAddresses"))])
    hits = error["enrichment"]["rule_hits"]
    assert not [h for h in hits if h["attribute"] == "proxyAddresses"], hits


def test_dvf_naming_samaccountname_does_not_cut_the_upn_to_20_characters(
    tmp_path: Path,
) -> None:
    (error,) = _enriched(tmp_path, [("averylongname@contoso.com", DVF.format(a="SamAccountName"))])
    hits = error["enrichment"]["rule_hits"]
    assert not [h for h in hits if h["attribute"] == "sAMAccountName"], (
        hits,
        error["enrichment"]["advice"],
    )


def test_dvf_naming_none_still_checks_the_upn(tmp_path: Path) -> None:
    (error,) = _enriched(tmp_path, [("o'brien@contoso.com", DVF.format(a="None"))])
    assert error["enrichment"]["advice"]["code"] == "invalid-value", error["enrichment"]

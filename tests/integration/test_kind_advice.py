"""The "What to do" of a ticket is true to its error kind, not only to its family."""

from __future__ import annotations

from pathlib import Path

from dirsync_bridge.config.settings import Config
from dirsync_bridge.pipeline import replay

from ..conftest import REPORTS
from .conftest import local_store, make_config


def _descriptions(cfg: Config) -> list[str]:
    with local_store(cfg) as store:
        return [t.content.description for t in store.tickets()]


def test_federated_domain_change_advice_is_not_the_invalid_characters_advice(
    tmp_path: Path,
) -> None:
    """format.md 3.1: FederatedDomainChangeError = a UPN suffix changed from one federated
    domain to another; the fix is to move the cloud UPN to the onmicrosoft.com domain first,
    then sync. Nothing is wrong on-premises, so the data-validation advice does not apply."""
    cfg = make_config(tmp_path / "state")
    replay([REPORTS / "aadsync_th_thead.eml"], cfg)
    texts = [t for t in _descriptions(cfg) if "Error: FederatedDomainChangeError" in t]
    assert texts, _descriptions(cfg)
    advice = texts[0].split("What to do:", 1)[1]
    assert "invalid characters or format" not in advice, advice
    assert "onmicrosoft.com" in advice or "federated" in advice.lower(), advice


def test_a_data_validation_failure_keeps_the_invalid_value_advice(tmp_path: Path) -> None:
    cfg = make_config(tmp_path / "state")
    replay([REPORTS / "aadconnect_tracking_id_in_cell.eml"], cfg)
    texts = [t for t in _descriptions(cfg) if "Error: DataValidationFailed" in t]
    assert texts, _descriptions(cfg)
    advice = texts[0].split("What to do:", 1)[1]
    assert "invalid characters or format" in advice, advice
    assert "federated" not in advice.lower(), advice

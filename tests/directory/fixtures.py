"""Pytest fixtures for the Samba AD DC; load with ``pytest_plugins = ["tests.directory.fixtures"]``.

``samba_dc`` is one DC for the whole session, seeded once (``samba_seeded``); tests must not
change it. ``spare_dc`` is a fresh, unseeded DC per test, for tests that stop or freeze it.
When Samba is missing these fixtures fail (never skip), naming ``.ci/setup-samba``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from .samba import SambaDC, SambaUnavailable, Seeded, provision, seed


@pytest.fixture(scope="session")
def samba_ca() -> trustme.CA:
    """The test CA that issues every DC's certificate."""
    return trustme.CA(organization_name="dirsync-bridge test DC CA")


@pytest.fixture(scope="session")
def samba_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A provisioned but never started domain, copied for each DC (about 4 s, once)."""
    try:
        return provision(tmp_path_factory.mktemp("samba") / "template")
    except SambaUnavailable as exc:
        problem = str(exc)
    pytest.fail(problem, pytrace=False)  # outside the except: one clear message, no chain


@pytest.fixture(scope="session")
def samba_dc(
    samba_template: Path, samba_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SambaDC]:
    """The session's running DC (LDAPS on 636, global catalog on 3269), stopped at the end."""
    try:
        dc = SambaDC.launch(samba_template, tmp_path_factory.mktemp("samba-dc"), samba_ca)
    except SambaUnavailable as exc:
        problem = str(exc)
    else:
        try:
            yield dc
        finally:
            dc.release()
        return
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def samba_seeded(samba_dc: SambaDC) -> Seeded:
    """What ``seed`` put in the session DC (about 2 s, once)."""
    connection = samba_dc.admin()
    try:
        return seed(connection)
    finally:
        connection.unbind()


@pytest.fixture
def spare_dc(samba_template: Path, samba_ca: trustme.CA, tmp_path: Path) -> Iterator[SambaDC]:
    """A fresh DC of the test's own (under a second to start), released after the test."""
    dc = SambaDC.launch(samba_template, tmp_path, samba_ca)
    try:
        yield dc
    finally:
        dc.release(remove=True)

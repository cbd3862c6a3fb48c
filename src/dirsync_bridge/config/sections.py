"""The configuration's sections for Microsoft Graph and what reads through it (the mailbox,
the provisioning-error scan, the cloud and on-premises look-ups), the sources, and the
metrics: their keys, defaults and checks. The rest, and the whole ``Config``, are in
``settings``, which re-exports these; kept apart for its size.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

from .types import (
    Duration,
    EnvName,
    HttpsUrl,
    LdapUrl,
    TextfilePath,
    Thumbprint,
    Timeout,
    Wait,
)

Cloud = Literal["global", "usgov", "usgov-dod", "china"]


class Section(BaseModel):
    """A section of the file: frozen, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class GraphSettings(Section):
    """``[graph]``: the app registration the tool signs in as (app-only), and where."""

    tenant_id: str = ""
    client_id: str = ""
    client_secret_env: EnvName = "DIRSYNC_GRAPH_SECRET"
    """The environment variable holding the client secret (unless a certificate is set)."""
    client_secret_file: Path | None = None
    """Or a file holding it; the environment wins when both are set."""
    certificate_path: Path | None = None
    """A PEM holding the certificate's private key: certificate sign-in instead of a secret."""
    certificate_thumbprint: Thumbprint = ""
    """The certificate's SHA-1 thumbprint, as the portal shows it (or with : or spaces)."""
    cloud: Cloud = "global"
    authority_url: HttpsUrl = ""
    """Login host override, e.g. ``https://login.microsoftonline.us``; the tenant is appended."""
    graph_url: HttpsUrl = ""
    """Graph root override, e.g. ``https://graph.microsoft.us``; ``/v1.0/...`` is appended."""
    ca_bundle: Path | None = None
    timeout: Timeout = 30.0
    retry_for: Wait = timedelta(minutes=2)
    """How long one request may keep retrying 429/503/504 before the run gives up (exit 75)."""

    @property
    def configured(self) -> bool:
        """Whether an app registration is named at all."""
        return bool(self.tenant_id and self.client_id)


_AFTER = re.compile(r"^(none|read|move:.+|category:.+)$")


def _check_after(value: str) -> str:
    if not _AFTER.match(value):
        raise ValueError(f"{value!r} is not one of none, read, move:<folder>, category:<name>")
    return value


After = Annotated[str, AfterValidator(_check_after)]


class MailboxSettings(Section):
    """``[source.mailbox]``: the mailbox ``run`` reads reports from, through Graph."""

    mailbox: str
    folder: str = "inbox"
    after: After = "move:Processed"
    """What happens to a processed report: ``move:<folder>``, ``read``, ``category:<name>``
    or ``none``. Done only once every ticket write the message caused is done."""
    after_rejected: After = "category:dirsync-bridge-rejected"
    first_run_lookback: Duration = timedelta(days=30)
    overlap: Duration = timedelta(hours=1)
    """Each pass lists mail from the last one's newest minus this, for late deliveries."""


ObjectKind = Literal["users", "groups", "contacts"]
ALL_OBJECTS: tuple[ObjectKind, ...] = ("users", "groups", "contacts")


def _check_objects(value: tuple[ObjectKind, ...]) -> tuple[ObjectKind, ...]:
    if not value:
        raise ValueError('must name at least one of "users", "groups", "contacts"')
    twice = sorted({kind for kind in value if value.count(kind) > 1})
    if twice:
        raise ValueError(f"names {', '.join(twice)} more than once")
    return value


class ProvisioningSettings(Section):
    """``[source.provisioning_errors]``: the objects Graph lists with provisioning errors
    (quarantined duplicate values), read by ``run`` through ``[graph]`` as one report a pass."""

    enabled: bool = False
    objects: Annotated[tuple[ObjectKind, ...], AfterValidator(_check_objects)] = ALL_OBJECTS
    """The object types to scan. A pass that leaves one out cannot vouch for its errors, so
    it counts as an incomplete report (it resolves nothing)."""


class CloudEnrichSettings(Section):
    """``[enrich.cloud]``: look holders up in Entra ID through ``[graph]``."""

    enabled: bool = True
    """Used only when ``[graph]`` names an app registration."""


class OnPremEnrichSettings(Section):
    """``[enrich.onprem]``: look holders up in Active Directory over LDAPS or StartTLS."""

    enabled: bool = False
    url: LdapUrl = ""
    """``ldaps://dc1.contoso.com`` (636), ``...:3269`` for the global catalog, or ``ldap://``
    (StartTLS)."""
    bind_dn: str = ""
    password_env: EnvName = "DIRSYNC_LDAP_PASSWORD"
    base_dn: str = ""
    """Empty: the domain's naming context (the whole forest on a global catalog port)."""
    ca_bundle: Path | None = None
    timeout: Timeout = 10.0


class EnrichSettings(Section):
    """``[enrich.*]``: who holds a conflicting value, and what to do about it."""

    cloud: CloudEnrichSettings = CloudEnrichSettings()
    onprem: OnPremEnrichSettings = OnPremEnrichSettings()


class SourceSettings(Section):
    """``[source.*]``: what ``run`` reads: a mailbox, Graph's provisioning errors, or both."""

    mailbox: MailboxSettings | None = None
    provisioning_errors: ProvisioningSettings = ProvisioningSettings()

    @property
    def configured(self) -> bool:
        """Whether ``run`` has something to read."""
        return self.mailbox is not None or self.provisioning_errors.enabled


class MetricsSettings(Section):
    """``[metrics]``: the Prometheus node_exporter textfile written after every pass."""

    textfile: TextfilePath | None = None
    """A ``*.prom`` file in node_exporter's ``--collector.textfile.directory`` (None: none).
    Its directory must exist; the file is replaced whole after each ``run`` and ``replay``."""

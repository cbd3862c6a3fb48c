"""Configuration: a TOML file, checked strictly, with secrets only from the environment.

Where the file comes from, first match wins: ``--config FILE``, ``$DIRSYNC_BRIDGE_CONFIG``,
``./dirsync-bridge.toml``, else built-in defaults. Unknown keys are errors, and every error
names the file, the key and what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from .errors import ConfigError
from .lifecycle import Policy
from .parse import ParseSettings
from .trust import TrustPolicy

_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")


def parse_duration(value: object) -> object:
    """``"30d"``, ``"12h"``, ``"1d12h"``, ``"90m"``, ``"45s"`` -> timedelta."""
    if not isinstance(value, str):
        return value
    found = _DURATION.match(value.strip())
    if not found or not any(found.groupdict().values()):
        raise ValueError(f"{value!r} is not a duration like 30d, 12h, 1d12h, 90m or 45s")
    parts = {k: int(v) for k, v in found.groupdict().items() if v}
    return timedelta(
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
DEFAULT_STATE = Path(".dirsync-bridge") / "state.db"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StateSettings(_Section):
    """``[state]``: where the ledger lives. The local ticket store sits beside it."""

    path: Path = DEFAULT_STATE

    @property
    def directory(self) -> Path:
        """The folder of the ledger, the lock and the local ticket store."""
        return self.path.parent

    @property
    def lock_path(self) -> Path:
        """The file locked for the whole of a run."""
        return self.directory / "run.lock"

    @property
    def local_tickets_path(self) -> Path:
        """The embedded local ticket store."""
        return self.directory / "tickets.db"


class TicketSettings(_Section):
    """``[tickets]``: the lifecycle's rules and the ticket templates."""

    reopen_within: Duration = timedelta(days=30)
    resolve_after_reports: int = Field(default=3, ge=1)
    templates: Path | None = None
    """A directory of templates overriding the built-in ones file by file (None: built-in)."""
    verify_with_graph: bool = False
    """``run``: resolve open duplicate-family problems once Graph shows the conflict gone."""

    def policy(self, never_reopen: frozenset[str] = frozenset()) -> Policy:
        """The lifecycle policy these settings describe."""
        return Policy(
            resolve_after_reports=self.resolve_after_reports,
            reopen_within=self.reopen_within,
            never_reopen=never_reopen,
        )


class SinkSettings(_Section):
    """``[sink]``: where tickets go."""

    kind: Literal["local", "jira"] = "local"


def _check_label(value: str) -> str:
    # Jira refuses these per issue (400); refusing them here names the key instead.
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(f"label {value!r} is empty or contains spaces, which Jira refuses")
    if len(value) > 255:
        raise ValueError(f"label {value[:20]!r}... is longer than Jira's 255 characters")
    return value


Label = Annotated[str, AfterValidator(_check_label)]


def _check_jira_url(value: str) -> str:
    # Caught here, a bad address is one line naming the key; caught by the HTTP stack, it was
    # a traceback (no scheme, ftp://) or a "temporary" failure retried for minutes (no host).
    if not value:
        return value  # required only with [sink] kind = "jira" (checked with the whole file)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("https", "http"):
        raise ValueError(
            "must start with https:// (or http://), e.g. https://contoso.atlassian.net"
        )
    if not parts.hostname:
        raise ValueError("has no host: give the site's address, e.g. https://contoso.atlassian.net")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not hold a user name or password: they go in email and token_env")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    if parts.query or parts.fragment:
        raise ValueError("must not have a query (?...) or fragment (#...): the site's base address")
    return value


JiraUrl = Annotated[str, AfterValidator(_check_jira_url)]


class JiraSettings(_Section):
    """``[jira]``: the Jira site, project and workflow tickets go to (``[sink] kind = "jira"``)."""

    url: JiraUrl = ""
    """The site's base address: ``https://contoso.atlassian.net``, or Data Center's base URL."""
    deployment: Literal["auto", "cloud", "datacenter"] = "auto"
    email: str = ""
    """Cloud: the account the API token belongs to. Data Center: empty (a PAT is enough)."""
    token_env: str = "DIRSYNC_JIRA_TOKEN"
    """The environment variable holding the API token (Cloud) or personal access token (DC)."""
    token_file: Path | None = None
    """Or a file holding it (e.g. a systemd credential); the environment wins when both are set."""
    project: str = ""
    issue_type: str = "Task"
    labels: tuple[Label, ...] = ("dirsync",)
    components: tuple[str, ...] = ()
    priority: dict[str, str] = Field(
        default_factory=lambda: {"duplicate": "High", "validation": "Medium", "default": "Medium"}
    )
    """Priority name per problem family; ``default`` for the families not named."""
    fields: dict[str, object] = Field(default_factory=dict)
    """Extra fields set on every new issue, as Jira's REST API spells them."""
    resolve_transition: str = "Done"
    reopen_transition: str = "Reopen"
    never_reopen: tuple[str, ...] = ("Won't Do",)
    """Resolutions a person gave that mean "leave it closed": a new sighting opens a new ticket."""
    ca_bundle: Path | None = None
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for any one answer."""
    retry_for: Duration = timedelta(minutes=2)
    """How long one request may keep retrying 429/503 before the run gives up (exit 75)."""
    search_lag: Duration = timedelta(seconds=30)
    """Cloud search lags behind writes: how long to wait before trusting "not found"."""

    def priority_for(self, family: str) -> str | None:
        """The priority name for a problem family (None: leave Jira's default)."""
        return self.priority.get(family) or self.priority.get("default") or None


Cloud = Literal["global", "usgov", "usgov-dod", "china"]


class GraphSettings(_Section):
    """``[graph]``: the app registration the tool signs in as (app-only), and where."""

    tenant_id: str = ""
    client_id: str = ""
    client_secret_env: str = "DIRSYNC_GRAPH_SECRET"
    """The environment variable holding the client secret (unless a certificate is set)."""
    client_secret_file: Path | None = None
    """Or a file holding it; the environment wins when both are set."""
    certificate_path: Path | None = None
    """A PEM holding the certificate's private key: certificate sign-in instead of a secret."""
    certificate_thumbprint: str = ""
    cloud: Cloud = "global"
    authority_url: str = ""
    """Login host override, e.g. ``https://login.microsoftonline.us``; the tenant is appended."""
    graph_url: str = ""
    """Graph root override, e.g. ``https://graph.microsoft.us``; ``/v1.0/...`` is appended."""
    ca_bundle: Path | None = None
    timeout: float = Field(default=30.0, gt=0)
    retry_for: Duration = timedelta(minutes=2)
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


class MailboxSettings(_Section):
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


class CloudEnrichSettings(_Section):
    """``[enrich.cloud]``: look holders up in Entra ID through ``[graph]``."""

    enabled: bool = True
    """Used only when ``[graph]`` names an app registration."""


class OnPremEnrichSettings(_Section):
    """``[enrich.onprem]``: look holders up in Active Directory over LDAPS or StartTLS."""

    enabled: bool = False
    url: str = ""
    """``ldaps://dc1.contoso.com`` (636), ``...:3269`` for the global catalog, or ``ldap://``
    (StartTLS)."""
    bind_dn: str = ""
    password_env: str = "DIRSYNC_LDAP_PASSWORD"
    base_dn: str = ""
    """Empty: the domain's naming context (the whole forest on a global catalog port)."""
    ca_bundle: Path | None = None
    timeout: float = Field(default=10.0, gt=0)


class EnrichSettings(_Section):
    """``[enrich.*]``: who holds a conflicting value, and what to do about it."""

    cloud: CloudEnrichSettings = CloudEnrichSettings()
    onprem: OnPremEnrichSettings = OnPremEnrichSettings()


class SourceSettings(_Section):
    """``[source.*]``: where ``run`` gets mail."""

    mailbox: MailboxSettings | None = None


ENV_VAR = "DIRSYNC_BRIDGE_CONFIG"
DEFAULT_FILE = "dirsync-bridge.toml"


class Config(BaseModel):
    """The whole configuration, as validated from the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trust: TrustPolicy = TrustPolicy()
    parse: ParseSettings = ParseSettings()
    state: StateSettings = StateSettings()
    tickets: TicketSettings = TicketSettings()
    sink: SinkSettings = SinkSettings()
    jira: JiraSettings = JiraSettings()
    graph: GraphSettings = GraphSettings()
    source: SourceSettings = SourceSettings()
    enrich: EnrichSettings = EnrichSettings()

    @model_validator(mode="after")
    def _sink_is_configured(self) -> Config:
        if self.sink.kind == "jira":
            for key in ("url", "project"):
                if not getattr(self.jira, key):
                    raise _MissingKey(f"jira.{key}", 'is required when [sink] kind = "jira"')
        return self


class _MissingKey(ValueError):
    """A key that another key's value makes necessary (raised inside validation)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem


def find_config_file(explicit: Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """The file to read, or None for built-in defaults."""
    if explicit is not None:
        return explicit
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])
    local = cwd / DEFAULT_FILE
    return local if local.is_file() else None


def load_config(path: Path | None) -> Config:
    """Read and validate ``path`` (None: built-in defaults)."""
    if path is None:
        return Config()
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "the file does not exist") from None
    except OSError as exc:
        raise ConfigError(path, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(file)", f"is not valid TOML: {exc}") from None
    try:
        config = Config.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        cause = first.get("ctx", {}).get("error")
        if isinstance(cause, _MissingKey):
            raise ConfigError(path, cause.key, cause.problem) from None
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(path, key, problem) from None
    return _relative_to(config, path.parent)


def _relative_to(config: Config, base: Path) -> Config:
    # Relative paths in a file mean "next to this file", whatever directory cron starts in.
    state = config.state
    if not state.path.is_absolute():
        state = state.model_copy(update={"path": base / state.path})
    tickets = config.tickets
    if tickets.templates is not None and not tickets.templates.is_absolute():
        tickets = tickets.model_copy(update={"templates": base / tickets.templates})
    jira = _paths_relative(config.jira, base, ("ca_bundle", "token_file"))
    graph = _paths_relative(
        config.graph, base, ("ca_bundle", "client_secret_file", "certificate_path")
    )
    onprem = _paths_relative(config.enrich.onprem, base, ("ca_bundle",))
    enrich = config.enrich.model_copy(update={"onprem": onprem})
    return config.model_copy(
        update={"state": state, "tickets": tickets, "jira": jira, "graph": graph, "enrich": enrich}
    )


_S = TypeVar("_S", bound=BaseModel)


def _paths_relative(section: _S, base: Path, keys: tuple[str, ...]) -> _S:
    for key in keys:
        value = getattr(section, key)
        if value is not None and not value.is_absolute():
            section = section.model_copy(update={key: base / value})
    return section

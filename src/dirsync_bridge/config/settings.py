"""The configuration's sections and keys, their defaults (the only place they are kept) and checks.

Where the file comes from is ``locate``'s business. Unknown keys are errors, and every error
names the file, the key and what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from ..errors import ConfigError, ConfigErrors
from ..parse.message import ParseSettings
from ..parse.tenants import TenantRules
from ..parse.trust import TrustPolicy
from ..secret_files import public
from .file import describe, file_problems, read_toml
from .locate import DEFAULT_FILE, ENV_VAR, SEARCH_ORDER, find_config_file
from .sections import (
    ALL_OBJECTS,
    CloudEnrichSettings,
    EnrichSettings,
    GraphSettings,
    MailboxSettings,
    MetricsSettings,
    ObjectKind,
    OnPremEnrichSettings,
    ProvisioningSettings,
    Section,
    SourceSettings,
)
from .types import (
    LOCK_NAME,
    TICKETS_NAME,
    Duration,
    EnvName,
    JiraUrl,
    StatePath,
    Timeout,
    Wait,
    check_fields,
    check_priority,
    parse_duration,
)

__all__ = [
    "ALL_OBJECTS",
    "DEFAULT_FILE",
    "ENV_VAR",
    "SEARCH_ORDER",
    "CloudEnrichSettings",
    "Config",
    "EnrichSettings",
    "GraphSettings",
    "JiraSettings",
    "MailboxSettings",
    "MetricsSettings",
    "ObjectKind",
    "OnPremEnrichSettings",
    "ProvisioningSettings",
    "Section",
    "SourceSettings",
    "find_config_file",
    "load_config",
    "parse_duration",
    "required_keys",
]

DEFAULT_STATE = Path(".dirsync-bridge") / "state.db"
MAX_RESOLVE_AFTER_REPORTS = 10_000
"""Years of daily reports. The ledger keeps it as an SQLite (64-bit) integer: a larger TOML
integer passed ``ge=1`` and ended the first replay in an internal error (OverflowError)."""


class StateSettings(Section):
    """``[state]``: where the ledger lives. The local ticket store sits beside it."""

    path: StatePath = DEFAULT_STATE

    @property
    def directory(self) -> Path:
        """The folder of the ledger, the lock and the local ticket store."""
        return self.path.parent

    @property
    def lock_path(self) -> Path:
        """The file locked for the whole of a run."""
        return self.directory / LOCK_NAME

    @property
    def local_tickets_path(self) -> Path:
        """The embedded local ticket store."""
        return self.directory / TICKETS_NAME


class TicketSettings(Section):
    """``[tickets]``: the lifecycle's rules and the ticket templates."""

    reopen_within: Duration = timedelta(days=30)
    # strict: a TOML ``true`` is no count of reports (lax pydantic reads it as 1), nor is 2.0.
    resolve_after_reports: int = Field(default=3, ge=1, le=MAX_RESOLVE_AFTER_REPORTS, strict=True)
    templates: Path | None = None
    """A directory of templates overriding the built-in ones file by file (None: built-in)."""
    verify_with_graph: bool = False
    """``run``: resolve open duplicate-family problems once Graph shows the conflict gone."""


class SinkSettings(Section):
    """``[sink]``: where tickets go."""

    kind: Literal["local", "jira"] = "local"


def _check_label(value: str) -> str:
    # Jira refuses these per issue (400); refusing them here names the key instead.
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(f"label {value!r} is empty or contains spaces, which Jira refuses")
    # Jira counts as Java does, in UTF-16 units: an emoji is two of its 255.
    if len(value.encode("utf-16-le", "surrogatepass")) // 2 > 255:
        raise ValueError(f"label {value[:20]!r}... is longer than Jira's 255 characters")
    return value


Label = Annotated[str, AfterValidator(_check_label)]


class JiraSettings(Section):
    """``[jira]``: the Jira site, project and workflow tickets go to (``[sink] kind = "jira"``)."""

    url: JiraUrl = ""
    """The site's base address: ``https://contoso.atlassian.net``, or Data Center's base URL."""
    deployment: Literal["auto", "cloud", "datacenter"] = "auto"
    email: str = ""
    """Cloud: the account the API token belongs to. Data Center: empty (a PAT is enough)."""
    token_env: EnvName = "DIRSYNC_JIRA_TOKEN"
    """The environment variable holding the API token (Cloud) or personal access token (DC)."""
    token_file: Path | None = None
    """Or a file holding it (e.g. a systemd credential); the environment wins when both are set."""
    project: str = ""
    issue_type: str = "Task"
    labels: tuple[Label, ...] = ("dirsync",)
    components: tuple[str, ...] = ()
    priority: Annotated[dict[str, str], AfterValidator(check_priority)] = Field(
        default_factory=lambda: {"duplicate": "High", "validation": "Medium", "default": "Medium"}
    )
    """Priority name per problem family; ``default`` for the families not named."""
    fields: Annotated[dict[str, object], AfterValidator(check_fields)] = Field(default_factory=dict)
    """Extra fields set on every new issue, as Jira's REST API spells them."""
    resolve_transition: str = "Done"
    reopen_transition: str = "Reopen"
    never_reopen: tuple[str, ...] = ("Won't Do",)
    """Resolutions a person gave that mean "leave it closed": a new sighting opens a new ticket."""
    link_type: str = "Relates"
    """The issue link type joining a problem's new ticket to its earlier one (name, inward or
    outward description, as ``GET /rest/api/2/issueLinkType`` lists them)."""
    ca_bundle: Path | None = None
    timeout: Timeout = 30.0
    """Seconds to wait for any one answer."""
    retry_for: Wait = timedelta(minutes=2)
    """How long one request may keep retrying 429/503 before the run gives up (exit 75)."""
    search_lag: Wait = timedelta(seconds=30)
    """Cloud search lags behind writes: how long to wait before trusting "not found"."""

    def priority_for(self, family: str) -> str | None:
        """The priority name for a problem family (None: leave Jira's default)."""
        return self.priority.get(family) or self.priority.get("default") or None


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
    metrics: MetricsSettings = MetricsSettings()
    tenants: TenantRules = TenantRules()

    # Where the values came from; not a value itself (see ``__eq__``).
    _file: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _sink_is_configured(self) -> Config:
        for key, problem in required_keys(self.model_dump()):
            raise _MissingKey(key, problem)
        return self

    @property
    def file(self) -> Path | None:
        """The file these settings were read from (None: built-in defaults)."""
        return self._file

    def read_from(self, file: Path | None) -> Config:
        """A copy that names ``file`` as where it was read from (for error messages)."""
        copy = self.model_copy()
        copy._file = file
        return copy

    def __eq__(self, other: object) -> bool:
        # Two files holding the same settings hold the same configuration.
        if not isinstance(other, Config):
            return NotImplemented
        return self.__dict__ == other.__dict__


class _MissingKey(ValueError):
    """A key that another key's value makes necessary (raised inside validation)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem


def required_keys(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, problem) for every key that another key's value makes necessary but is unset.

    Works on raw TOML too (wrong types are simply not looked at), so that these problems
    are reported together with every other one.
    """

    def get(section: str, key: str) -> object:
        table: object = data
        for part in section.split("."):
            table = table.get(part) if isinstance(table, Mapping) else None
        return table.get(key) if isinstance(table, Mapping) else None

    missing = []
    if get("sink", "kind") == "jira":
        for key in ("url", "project"):
            if not get("jira", key):
                missing.append((f"jira.{key}", 'is required when [sink] kind = "jira"'))
    if get("enrich.onprem", "enabled") is True:
        for key in ("url", "bind_dn"):
            if not get("enrich.onprem", key):
                missing.append((f"enrich.onprem.{key}", "is required when enabled = true"))
    if get("graph", "certificate_path") and not get("graph", "certificate_thumbprint"):
        missing.append(("graph.certificate_thumbprint", "is required with certificate_path"))
    return missing


def load_config(path: Path | None) -> Config:
    """Read and validate ``path`` (None: built-in defaults).

    Every problem in the file is reported at once (``ConfigErrors``, one line each, naming
    the file and the key); a single problem is a plain ``ConfigError``.
    """
    if path is None:
        return Config()
    data = read_toml(path)
    problems: list[ConfigError] = []
    config = None
    try:
        config = Config.model_validate(data)
    except PydanticValidationError as exc:
        for error in exc.errors():
            if not isinstance((error.get("ctx") or {}).get("error"), _MissingKey):
                problems.append(ConfigError(path, *describe(error)))
    problems += [ConfigError(path, key, problem) for key, problem in required_keys(data)]
    problems += file_problems(path, data)
    if problems:
        raise problems[0] if len(problems) == 1 else ConfigErrors(problems)
    assert config is not None  # no problem means validation passed
    _name_public(config)
    return _relative_to(config, path.parent).read_from(path)


def _name_public(config: Config) -> None:
    # The addresses and names this file gives openly: a password that is also a word of one
    # of them must not cut it up in the lines shown (secret_files.public says why).
    onprem = config.enrich.onprem
    urls = (config.jira.url, config.graph.authority_url, config.graph.graph_url, onprem.url)
    for url in filter(None, urls):
        public(url)
        public(urlsplit(url).hostname or "")
    mailbox = config.source.mailbox
    names = (onprem.bind_dn, onprem.base_dn, mailbox.mailbox if mailbox else "")
    for name in filter(None, names):
        public(name)


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
    metrics = _paths_relative(config.metrics, base, ("textfile",))
    return config.model_copy(
        update={
            "state": state,
            "tickets": tickets,
            "jira": jira,
            "graph": graph,
            "enrich": enrich,
            "metrics": metrics,
        }
    )


_S = TypeVar("_S", bound=BaseModel)


def _paths_relative(section: _S, base: Path, keys: tuple[str, ...]) -> _S:
    for key in keys:
        value = getattr(section, key)
        if value is not None and not value.is_absolute():
            section = section.model_copy(update={key: base / value})
    return section

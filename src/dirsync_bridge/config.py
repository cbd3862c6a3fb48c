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
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
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

    def policy(self, never_reopen: frozenset[str] = frozenset()) -> Policy:
        """The lifecycle policy these settings describe."""
        return Policy(
            resolve_after_reports=self.resolve_after_reports,
            reopen_within=self.reopen_within,
            never_reopen=never_reopen,
        )


class SinkSettings(_Section):
    """``[sink]``: where tickets go."""

    kind: Literal["local"] = "local"


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
    return config.model_copy(update={"state": state, "tickets": tickets})

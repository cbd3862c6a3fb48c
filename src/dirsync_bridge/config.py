"""Configuration: a TOML file, checked strictly, with secrets only from the environment.

Where the file comes from, first match wins: ``--config FILE``, ``$DIRSYNC_BRIDGE_CONFIG``,
``./dirsync-bridge.toml``, else built-in defaults. Unknown keys are errors, and every error
names the file, the key and what is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from .errors import ConfigError
from .parse import ParseSettings
from .trust import TrustPolicy

ENV_VAR = "DIRSYNC_BRIDGE_CONFIG"
DEFAULT_FILE = "dirsync-bridge.toml"


class Config(BaseModel):
    """The whole configuration, as validated from the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trust: TrustPolicy = TrustPolicy()
    parse: ParseSettings = ParseSettings()


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
        return Config.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(path, key, problem) from None

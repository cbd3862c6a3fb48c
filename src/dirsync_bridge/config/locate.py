"""Where the configuration file is found: the first of ``SEARCH_ORDER`` that exists.

``--config FILE``, ``$DIRSYNC_BRIDGE_CONFIG``, ``./dirsync-bridge.toml``,
``$XDG_CONFIG_HOME/dirsync-bridge/config.toml`` (``~/.config`` when unset, as the XDG base
directory spec says), ``/etc/dirsync-bridge/config.toml``, else built-in defaults: the most
particular first, as git and ssh look for theirs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "DIRSYNC_BRIDGE_CONFIG"
DEFAULT_FILE = "dirsync-bridge.toml"
USER_FILE = Path("dirsync-bridge") / "config.toml"
"""Under ``$XDG_CONFIG_HOME`` (the XDG base directory spec; ``~/.config`` when unset)."""
SYSTEM_FILE = Path("/etc/dirsync-bridge/config.toml")
SEARCH_ORDER = (
    f"--config, ${ENV_VAR}, ./{DEFAULT_FILE}, $XDG_CONFIG_HOME/{USER_FILE} (~/.config), "
    f"{SYSTEM_FILE}"
)
"""Where a configuration file is looked for, in order, as messages and --help say it."""


def find_config_file(
    explicit: Path | None, env: Mapping[str, str], cwd: Path, *, system: Path = SYSTEM_FILE
) -> Path | None:
    """The file to read (``SEARCH_ORDER``), or None for built-in defaults."""
    if explicit is not None:
        return explicit
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])
    for candidate in (cwd / DEFAULT_FILE, _user_file(env), system):
        # Anything by that name (a dangling link, a directory, a file that cannot be read)
        # is the user's file, and an error if it cannot be read: never silently passed
        # over for the next place or the built-in defaults.
        if candidate is not None and os.path.lexists(candidate):
            return candidate
    return None


def _user_file(env: Mapping[str, str]) -> Path | None:
    # The spec: a relative $XDG_CONFIG_HOME is invalid and ignored, as an empty one is.
    configured = Path(env.get("XDG_CONFIG_HOME") or ".")
    if configured.is_absolute():
        return configured / USER_FILE
    home = env.get("HOME")
    return Path(home) / ".config" / USER_FILE if home and Path(home).is_absolute() else None

"""Configuration errors name the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from dirsync_bridge.config import ENV_VAR, find_config_file, load_config
from dirsync_bridge.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dirsync-bridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    config = load_config(None)
    assert config.parse.max_message_bytes == 25 * 1024 * 1024
    assert "msonlineservicesteam@microsoftonline.com" in config.trust.senders


def test_values_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[trust]\nforwarders = ["IT-Admin@contoso.com"]\n[parse]\nmax_message_bytes = 10\n',
    )
    config = load_config(path)
    assert config.trust.forwarders == ("it-admin@contoso.com",)
    assert config.parse.max_message_bytes == 10


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[trust]\nsendrs = []\n", "trust.sendrs", "unknown key"),
        ("[nope]\n", "nope", "unknown key"),
        ("[parse]\nmax_message_bytes = -1\n", "parse.max_message_bytes", "greater than 0"),
        ('[trust]\nforwarders = ["x"]\n', "trust.forwarders", "not an email address"),
        ("[trust\n", "(file)", "not valid TOML"),
    ],
)
def test_errors_name_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(path) in str(caught.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.toml")


def test_lookup_order(tmp_path: Path) -> None:
    explicit = tmp_path / "a.toml"
    assert find_config_file(explicit, {ENV_VAR: "b.toml"}, tmp_path) == explicit
    assert find_config_file(None, {ENV_VAR: "b.toml"}, tmp_path) == Path("b.toml")
    assert find_config_file(None, {}, tmp_path) is None
    local = _write(tmp_path, "")
    assert find_config_file(None, {}, tmp_path) == local

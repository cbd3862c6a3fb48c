"""Secrets from files and the environment: read bounded, checked, never shown in an error."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from dirsync_bridge.config.settings import GraphSettings, JiraSettings
from dirsync_bridge.errors import ConfigError
from dirsync_bridge.graph.credentials import graph_credential
from dirsync_bridge.secret_files import MAX_SECRET_BYTES, read_secret_file, redact, sent
from dirsync_bridge.sinks.jira_wire import jira_token

TOKEN = "ATATT3xFfGF0-s3cr3t_T0k3n=="


def jira(token_file: Path | None = None) -> JiraSettings:
    return JiraSettings(url="https://contoso.atlassian.net", project="OPS", token_file=token_file)


def graph(secret_file: Path | None = None) -> GraphSettings:
    return GraphSettings(tenant_id="t", client_id="c", client_secret_file=secret_file)


def refusal(call: object, *args: object) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


@pytest.mark.parametrize(
    "content",
    [
        TOKEN.encode(),
        f"{TOKEN}\n".encode(),
        f"\ufeff{TOKEN}\r\n".encode(),  # Notepad's "UTF-8 with BOM", Windows line end
        f"  {TOKEN}  \n\n".encode(),
    ],
    ids=["bare", "newline", "bom-crlf", "blank-around"],
)
def test_a_token_file_in_utf8_with_or_without_a_bom_gives_the_token(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "token"
    path.write_bytes(content)
    assert jira_token(jira(path), {}) == TOKEN
    assert graph_credential(graph(path), {}) == TOKEN


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (TOKEN.encode("utf-16"), "is not UTF-8 text (it is UTF-16"),
        (f"{TOKEN}\n# rotated 2024-05-01\n".encode(), "holds 2 lines"),
        (f"{TOKEN}\n\nold-{TOKEN}\n".encode(), "holds 3 lines"),
        (f"{TOKEN[:5]}\u20ac{TOKEN[5:]}".encode(), "a non-ASCII character at character 6"),
        (f"\u200b{TOKEN}".encode(), "(U+200B ZERO WIDTH SPACE) at character 1"),
        (f"{TOKEN} {TOKEN}".encode(), "a space at character"),
    ],
    ids=["utf16", "comment-line", "two-tokens", "euro", "zero-width-space", "space"],
)
def test_a_token_file_that_cannot_be_a_token_is_one_error_that_never_shows_it(
    tmp_path: Path, content: bytes, why: str
) -> None:
    path = tmp_path / "token"
    path.write_bytes(content)
    for call, settings, key in (
        (jira_token, jira(path), "[jira] token_file"),
        (graph_credential, graph(path), "[graph] client_secret_file"),
    ):
        error = refusal(call, settings, {})
        assert error.key == key
        assert why in str(error) and str(path) in str(error)
        assert TOKEN not in str(error) and TOKEN[:8] not in str(error)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("t\u00f6k\u20acn", "a non-ASCII character at character 2"),
        ("abc\ndef", "a line break at character 4"),
        ("abc def\x7f", "a space at character 4"),
        ("abc\x7f", "(U+007F) at character 4"),
        (f"{TOKEN}\u2019", "a non-ASCII character at character 28"),
        (f"\ufeff{TOKEN}", "(U+FEFF ZERO WIDTH NO-BREAK SPACE) at character 1"),
    ],
    ids=["non-latin1", "newline", "space", "del", "smart-quote", "bom"],
)
def test_a_token_in_the_environment_that_cannot_be_a_header_is_one_error_naming_the_variable(
    value: str, why: str
) -> None:
    error = refusal(jira_token, jira(), {"DIRSYNC_JIRA_TOKEN": value})
    assert error.key == "[jira] token_env"
    assert "DIRSYNC_JIRA_TOKEN" in str(error) and why in str(error)
    assert value not in str(error)
    error = refusal(graph_credential, graph(), {"DIRSYNC_GRAPH_SECRET": value})
    assert error.key == "[graph] client_secret_env" and why in str(error)


def test_a_fifo_a_device_and_a_directory_are_refused_without_reading_them(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nobody writes to it: reading it would wait forever
    kinds = ((fifo, "a named pipe"), (Path("/dev/zero"), "a device"), (tmp_path, "a directory"))
    for path, kind in kinds:
        error = refusal(jira_token, jira(path), {})
        assert error.key == "[jira] token_file" and f"is {kind}" in str(error)
        error = refusal(graph_credential, graph(path), {})
        assert error.key == "[graph] client_secret_file" and f"is {kind}" in str(error)


def test_a_secret_file_larger_than_the_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge"
    path.write_bytes(b"x" * (MAX_SECRET_BYTES + 1))
    error = refusal(read_secret_file, path, "[jira] token_file")
    assert "larger than 64 KiB" in str(error)


def test_a_missing_token_file_names_the_file_and_the_reason(tmp_path: Path) -> None:
    error = refusal(jira_token, jira(tmp_path / "nope"), {})
    assert error.key == "[jira] token_file" and "No such file or directory" in str(error)


def test_a_graph_certificate_that_is_not_utf8_is_one_error(tmp_path: Path) -> None:
    pem = tmp_path / "cert.pem"
    pem.write_bytes("-----BEGIN PRIVATE KEY-----\n".encode("utf-16"))
    settings = GraphSettings(
        tenant_id="t", client_id="c", certificate_path=pem, certificate_thumbprint="AB" * 20
    )
    error = refusal(graph_credential, settings, {})
    assert error.key == "[graph] certificate_path" and "is not UTF-8 text" in str(error)


def test_a_sent_secret_is_masked_in_every_form_an_upstream_may_echo_it() -> None:
    secret = 'sim~Secret/0+1 "x"'
    sent(secret)
    echoes = [
        secret,
        urlencode({"client_secret": secret}),  # a gateway echoing the form
        quote(secret, safe="").lower(),  # re-encoded, lower-case hex
        json.dumps({"password": secret}),
    ]
    for echo in echoes:
        masked = redact(f"refused: {echo}.")
        assert "Secret" not in masked and "***" in masked, masked
    assert redact("nothing sent here") == "nothing sent here"


def test_a_secret_of_three_characters_or_fewer_is_not_masked_in_every_word() -> None:
    sent("t")
    assert redact("the tenant") == "the tenant"

"""``secret_files.redact``: the forms in which an upstream echoes a secret the tool sent (JSON
the PHP/Java way, non-ASCII \\u-escaped), and the values the configuration names openly, which
a password that is also one of their words must not cut up (rev24 review, defects 5 and 8)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from dirsync_bridge import secret_files
from dirsync_bridge.secret_files import public, redact, sent


@pytest.fixture(autouse=True)
def clean_secrets() -> Iterator[None]:
    secret_files.forget_sent()
    yield
    secret_files.forget_sent()


def test_a_secret_echoed_in_json_with_escaped_slashes_is_masked() -> None:
    # PHP's json_encode and some Java gateways write '/' as '\/'; Entra secrets hold '/'.
    secret = "Q1w/E2r/T3y~U4i.O5p_A6s-D7f"
    sent(secret)
    echoed = json.dumps({"client_secret": secret}).replace("/", "\\/")
    assert redact(echoed) == '{"client_secret": "***"}'


@pytest.mark.parametrize("upper", [False, True])
def test_a_non_ascii_password_is_masked_escaped_or_not(upper: bool) -> None:
    password = "Pässwört/42"
    sent(password)
    escaped = json.dumps(password)[1:-1]
    echoes = [
        json.dumps({"password": password}, ensure_ascii=False),
        json.dumps({"password": password}),
        # Java's encoders write the hex digits upper-case (\u00E4), Python's lower-case
        re.sub(r"\\u[0-9a-f]{4}", lambda m: m.group().upper().replace("U", "u"), escaped)
        if upper
        else escaped,
        escaped.replace("/", "\\/"),
    ]
    for echo in echoes:
        assert "rt" not in redact(echo) and "***" in redact(echo), (echo, redact(echo))


def test_a_short_password_does_not_mask_the_host_name_the_configuration_names() -> None:
    """An LDAP password that is also part of the domain (``Contoso``, matched case-
    insensitively) turned every mention of the host into ``dc1.***.com``: the line no longer
    said which host failed (and the mask told the password to anyone knowing the domain)."""
    sent("contoso")
    public("dc1.contoso.com")  # as load_config names the configured URLs' hosts
    line = "ldaps://dc1.Contoso.com:636: cannot connect (Connection refused)"
    assert "dc1.Contoso.com" in redact(line)


def test_the_password_is_still_masked_outside_the_named_values() -> None:
    sent("contoso")
    public("dc1.contoso.com")
    public("contoso")  # a value that is the secret and nothing more is no cover for it
    echoed = "bind to dc1.contoso.com refused: password=contoso; user=Contoso"
    assert redact(echoed) == "bind to dc1.contoso.com refused: password=***; user=***"

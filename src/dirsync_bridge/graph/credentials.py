"""Where and with what the Graph client signs in: the national cloud's hosts, and msal's
``client_credential`` (a certificate, or the secret from the environment or a file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ..config.certificate import certificate_problems
from ..config.file import signing_key_problem
from ..config.settings import GraphSettings
from ..errors import ConfigError
from ..secret_files import header_safe, read_secret_file, secret_line, sent, unset_or_empty

CLOUDS: Final[dict[str, tuple[str, str]]] = {
    # cloud -> (login host, Graph root), apis.md 1.9
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov-dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}


def endpoints(settings: GraphSettings) -> tuple[str, str]:
    """(login host, Graph root) for the configured cloud and overrides, without a slash."""
    login, graph = CLOUDS[settings.cloud]
    return (settings.authority_url or login).rstrip("/"), (settings.graph_url or graph).rstrip("/")


def graph_credential(settings: GraphSettings, env: Mapping[str, str]) -> str | dict[str, str]:
    """msal's ``client_credential``: a certificate if configured, else the secret.

    Files are read bounded and checked (``secret_files``); the secret is never shown.
    """
    if settings.certificate_path is not None:
        if not settings.certificate_thumbprint:
            raise ConfigError(
                None, "[graph] certificate_thumbprint", "is required with a certificate"
            )
        key = read_secret_file(settings.certificate_path, "[graph] certificate_path")
        # Checked at load too; again here, on the text msal gets (the file may have changed).
        problem = signing_key_problem(settings.certificate_path, key.encode())
        if problem is not None:
            raise ConfigError(None, "[graph] certificate_path", problem)
        thumbprint = settings.certificate_thumbprint
        for name, found in certificate_problems(
            settings.certificate_path, key.encode(), thumbprint
        ):
            raise ConfigError(None, f"[graph] {name}", found)
        return {"private_key": key, "thumbprint": settings.certificate_thumbprint}
    secret = env.get(settings.client_secret_env, "").strip()
    if secret:
        where = f"the environment variable {settings.client_secret_env}"
        return sent(header_safe(secret, "[graph] client_secret_env", where))
    if settings.client_secret_file is not None:
        name = "[graph] client_secret_file"
        text = read_secret_file(settings.client_secret_file, name)
        secret = secret_line(text, name, str(settings.client_secret_file))  # never empty
        # Sent in a form body, not a header; but a secret is printable ASCII, and
        # anything else is a paste error Entra would only answer with "invalid secret".
        return sent(header_safe(secret, name, str(settings.client_secret_file)))
    raise ConfigError(
        None,
        "[graph] client_secret_env",
        f"the environment variable {settings.client_secret_env} "
        f"{unset_or_empty(env, settings.client_secret_env)} (and no client_secret_file or "
        "certificate_path): put the app's client secret there",
    )

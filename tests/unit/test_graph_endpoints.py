"""Which login host and Graph root each national cloud (or an override) uses."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from dirsync_bridge.config.settings import GraphSettings
from dirsync_bridge.errors import ConfigError
from dirsync_bridge.graph.credentials import endpoints, graph_credential


@pytest.mark.parametrize(
    ("cloud", "login", "graph"),
    [
        ("global", "https://login.microsoftonline.com", "https://graph.microsoft.com"),
        ("usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us"),
        ("usgov-dod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
        ("china", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
    ],
)
def test_national_clouds(cloud: str, login: str, graph: str) -> None:
    assert endpoints(GraphSettings(cloud=cloud)) == (login, graph)  # type: ignore[arg-type]


def test_overrides_win_and_lose_their_trailing_slash() -> None:
    settings = GraphSettings(authority_url="https://login.example/", graph_url="https://g.example/")
    assert endpoints(settings) == ("https://login.example", "https://g.example")


def test_the_secret_comes_from_the_environment_then_a_file_never_the_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = GraphSettings(tenant_id="t", client_id="c")
    assert graph_credential(settings, {"DIRSYNC_GRAPH_SECRET": " s3cret \n"}) == "s3cret"
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    from_file = settings.model_copy(update={"client_secret_file": secret})
    assert graph_credential(from_file, {}) == "from-file"
    with pytest.raises(ConfigError, match=r"\[graph\] client_secret_env: the environment"):
        graph_credential(settings, {})
    pem = tmp_path / "key.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    thumbprint = "AB" * 20
    cert = settings.model_copy(
        update={"certificate_path": pem, "certificate_thumbprint": thumbprint}
    )
    assert graph_credential(cert, {}) == {"private_key": pem.read_text(), "thumbprint": thumbprint}

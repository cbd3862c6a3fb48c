"""Configuration errors name the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from dirsync_bridge.config.settings import ENV_VAR, Config, find_config_file, load_config
from dirsync_bridge.errors import ConfigError, ConfigErrors

THUMBPRINT = "AB" * 20
"""A SHA-1 thumbprint's shape: 40 hexadecimal digits."""


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


# ---------------------------------------------------------------------------------------------
# Files and values that used to crash the loader: each is one line naming file and key.


def _problems(path: Path) -> list[ConfigError]:
    """Every problem ``load_config`` reports for ``path`` (it must report some)."""
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    problems = list(error.problems) if isinstance(error, ConfigErrors) else [error]
    lines = str(error).splitlines()
    assert len(lines) == len(problems)
    for line in lines:
        assert line.startswith(f"{path}: "), line
        assert "Input should" not in line and "Value error" not in line, line
    return problems


def _only(path: Path) -> ConfigError:
    (problem,) = _problems(path)
    return problem


@pytest.mark.parametrize(
    ("encoding", "needle"),
    [("utf-16", "UTF-16"), ("utf-16-be", "not UTF-8"), ("latin-1", "not UTF-8")],
)
def test_a_file_that_is_not_utf8_is_named_not_a_crash(
    tmp_path: Path, encoding: str, needle: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes('[jira]\nproject = "Öl"\n'.encode(encoding))
    problem = _only(path)
    assert problem.key == "(file)"
    assert needle in problem.problem and "save it as UTF-8" in problem.problem


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xef\xbb\xbf[parse]\nmax_message_bytes = 10\n")
    assert load_config(path).parse.max_message_bytes == 10


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[tickets]\nreopen_within = "99999999999d"\n', "tickets.reopen_within"),
        ('[tickets]\nreopen_within = "99999999999999999999s"\n', "tickets.reopen_within"),
        ('[tickets]\nreopen_within = "3651d"\n', "tickets.reopen_within"),
        ("[tickets]\nreopen_within = 1e300\n", "tickets.reopen_within"),
        ('[jira]\nretry_for = "2d"\n', "jira.retry_for"),
        ('[graph]\nretry_for = "99999999999h"\n', "graph.retry_for"),
        (
            '[source.mailbox]\nmailbox = "a@b.c"\noverlap = "9999999999m"\n',
            "source.mailbox.overlap",
        ),
    ],
)
def test_durations_are_bounded(tmp_path: Path, text: str, key: str) -> None:
    problem = _only(_write(tmp_path, text))
    assert problem.key == key
    assert "at most" in problem.problem


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "+inf", "1e9"])
@pytest.mark.parametrize("section", ["jira", "graph", "enrich.onprem"])
def test_timeouts_are_finite_and_bounded(tmp_path: Path, section: str, value: str) -> None:
    problem = _only(_write(tmp_path, f"[{section}]\ntimeout = {value}\n"))
    assert problem.key == f"{section}.timeout"
    assert (
        "finite" in problem.problem
        or "at most" in problem.problem
        or "greater" in (problem.problem)
    )


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 5000 + "]" * 5000 + "\n",
        "a = " + "{b = " * 2000 + "1" + "}" * 2000 + "\n",
    ],
)
def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path, text: str) -> None:
    problem = _only(_write(tmp_path, text))
    assert problem.key == "(file)"
    assert "nest" in problem.problem


def test_custom_field_values_nest_only_so_deep(tmp_path: Path) -> None:
    deep = "{a = " * 40 + "1" + "}" * 40
    problem = _only(_write(tmp_path, f"[jira]\nfields = {{ customfield_1 = {deep} }}\n"))
    assert problem.key == "jira.fields"
    assert "nest" in problem.problem


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = _write(tmp_path, "# " + "x" * (2 * 1024 * 1024) + "\n")
    problem = _only(path)
    assert problem.key == "(file)" and "larger than" in problem.problem


@pytest.mark.parametrize("section", ["jira", "graph", "enrich.onprem"])
def test_a_missing_ca_bundle_names_the_key_and_the_file_looked_for(
    tmp_path: Path, section: str
) -> None:
    problem = _only(_write(tmp_path, f'[{section}]\nca_bundle = "certs/corp.pem"\n'))
    assert problem.key == f"{section}.ca_bundle"
    assert str(tmp_path / "certs" / "corp.pem") in problem.problem
    assert "does not exist" in problem.problem


@pytest.mark.parametrize(
    "content",
    [b"", b"not a certificate\n", b"\x30\x82\x01\x0a\x02\x82", "—".encode("utf-16")],
)
def test_a_ca_bundle_without_certificates_is_named(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "ca.pem").write_bytes(content)
    problem = _only(_write(tmp_path, '[graph]\nca_bundle = "ca.pem"\n'))
    assert problem.key == "graph.ca_bundle"
    assert "PEM" in problem.problem


def test_a_ca_bundle_that_is_a_directory_is_named(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    problem = _only(_write(tmp_path, '[jira]\nca_bundle = "certs"\n'))
    assert problem.key == "jira.ca_bundle" and "not a file" in problem.problem


def test_a_real_ca_bundle_is_accepted(tmp_path: Path) -> None:
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    config = load_config(_write(tmp_path, '[jira]\nca_bundle = "ca.pem"\n'))
    assert config.jira.ca_bundle == tmp_path / "ca.pem"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "does not exist"),
        (b"", "no PEM private key"),
        (b"\x30\x82\x04\xa4\x02\x01\x00", "no PEM private key"),  # DER
        ("-----BEGIN PRIVATE KEY-----".encode("utf-16"), "no PEM private key"),
        (b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "no PEM private key"),
        (b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", "not valid base64"),
        (
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "encrypted",
        ),
    ],
)
def test_a_certificate_path_that_is_not_a_pem_key_is_named(
    tmp_path: Path, content: bytes | None, needle: str
) -> None:
    if content is not None:
        (tmp_path / "app.pem").write_bytes(content)
    problem = _only(
        _write(
            tmp_path,
            f'[graph]\ncertificate_path = "app.pem"\ncertificate_thumbprint = "{THUMBPRINT}"\n',
        )
    )
    assert problem.key == "graph.certificate_path"
    assert needle in problem.problem


def test_a_real_certificate_key_is_accepted(tmp_path: Path) -> None:
    # RSA: Entra signs in with RSA keys only (trustme's default is ECDSA).
    leaf = trustme.CA().issue_cert("app.test", key_type=trustme.KeyType.RSA)
    leaf.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "app.pem"))
    # The thumbprint of the certificate the PEM holds: another one is refused (rev24, 10).
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    thumbprint = cert.fingerprint(hashes.SHA1()).hex()
    text = f'[graph]\ncertificate_path = "app.pem"\ncertificate_thumbprint = "{thumbprint}"\n'
    assert load_config(_write(tmp_path, text)).graph.certificate_path == tmp_path / "app.pem"


def test_a_key_and_certificate_that_do_not_belong_together_are_refused(tmp_path: Path) -> None:
    """A key from another request, or the thumbprint of another certificate (the chain's
    CA here), went as far as Entra's AADSTS700027 (rev24 review, defect 10)."""
    ca = trustme.CA()
    leaf = ca.issue_cert("app.test", key_type=trustme.KeyType.RSA)
    other = ca.issue_cert("other.test", key_type=trustme.KeyType.RSA)
    pem = tmp_path / "app.pem"
    pem.write_bytes(other.private_key_pem.bytes() + leaf.cert_chain_pems[0].bytes())
    leaf_print = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()).fingerprint(
        hashes.SHA1()
    )
    text = f'[graph]\ncertificate_path = "app.pem"\ncertificate_thumbprint = "{leaf_print.hex()}"\n'
    (problem,) = _problems(_write(tmp_path, text))
    assert problem.key == "graph.certificate_path", problem
    assert "not the key of the certificate" in problem.problem
    leaf.private_key_and_cert_chain_pem.write_to_path(str(pem))
    ca_print = x509.load_pem_x509_certificate(ca.cert_pem.bytes()).fingerprint(hashes.SHA1())
    text = f'[graph]\ncertificate_path = "app.pem"\ncertificate_thumbprint = "{ca_print.hex()}"\n'
    (problem,) = _problems(_write(tmp_path, text))
    assert problem.key == "graph.certificate_thumbprint", problem
    assert leaf_print.hex().upper() in problem.problem  # the one the file holds, to compare


def test_every_problem_is_reported_at_once_one_line_each(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "[trust]\nsendrs = []\n"
        '[tickets]\nreopen_within = "99999999999d"\nresolve_after_reports = "three"\n'
        '[sink]\nkind = "jria"\n'
        '[jira]\ntimeout = inf\nca_bundle = "missing.pem"\npriority = { duplicat = "High" }\n'
        '[graph]\ngraph_url = "http://graph.example"\n'
        '[enrich.onprem]\nurl = "https://dc1"\n',
    )
    keys = [p.key for p in _problems(path)]
    assert keys == [
        "trust.sendrs",
        "tickets.reopen_within",
        "tickets.resolve_after_reports",
        "sink.kind",
        "jira.priority",
        "jira.timeout",
        "graph.graph_url",
        "enrich.onprem.url",
        "jira.ca_bundle",
    ]


@pytest.mark.parametrize(
    ("text", "key", "needle"),
    [
        (
            '[tickets]\nresolve_after_reports = "three"\n',
            "tickets.resolve_after_reports",
            "whole number",
        ),
        ('[sink]\nkind = "jria"\n', "sink.kind", "'local' or 'jira'"),
        ('[graph]\ntimeout = "slow"\n', "graph.timeout", "number"),
        (
            '[trust]\nrequire_authenticated = "maybe"\n',
            "trust.require_authenticated",
            "true or false",
        ),
        ('[trust]\nsenders = "a@b.c"\n', "trust.senders", "list"),
        ("graph = 5\n", "graph", "table"),
        ("[jira]\nproject = 5\n", "jira.project", "text in quotes"),
        ("[jira]\nca_bundle = 5\n", "jira.ca_bundle", "path"),
        ('[tickets]\nreopen_within = "a month"\n', "tickets.reopen_within", "duration"),
        ('[source.mailbox]\nfolder = "x"\n', "source.mailbox.mailbox", "is required"),
        ("[jira]\nlabels = [3]\n", "jira.labels[0]", "text in quotes"),
        # Jira counts a label's length as Java does, in UTF-16 units: 200 emoji are 400
        # (review rev35: accepted here, every create was refused "check [jira] labels; the
        # create screen must have the Labels field").
        ('[jira]\nlabels = ["' + "\U0001f600" * 200 + '"]\n', "jira.labels[0]", "255"),
    ],
)
def test_problems_are_said_in_our_words(tmp_path: Path, text: str, key: str, needle: str) -> None:
    problem = _only(_write(tmp_path, text))
    assert problem.key == key
    assert needle in problem.problem


def test_priority_keys_are_problem_families_or_default(tmp_path: Path) -> None:
    good = '[jira]\npriority = { duplicate = "High", hard-match = "Low", default = "Medium" }\n'
    assert load_config(_write(tmp_path, good)).jira.priority_for("hard-match") == "Low"
    problem = _only(_write(tmp_path, '[jira]\npriority = { duplicates = "High", x = "Low" }\n'))
    assert problem.key == "jira.priority"
    assert "'duplicates', 'x'" in problem.problem and "user-id-not-found" in problem.problem
    problem = _only(_write(tmp_path, '[jira]\npriority = { duplicate = "" }\n'))
    assert problem.key == "jira.priority" and "empty" in problem.problem


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[graph]\nauthority_url = "http://login.microsoftonline.us"\n', "graph.authority_url"),
        ('[graph]\ngraph_url = "graph.microsoft.us"\n', "graph.graph_url"),
        ('[graph]\ngraph_url = "https://"\n', "graph.graph_url"),
        ('[graph]\ngraph_url = "https://graph.microsoft.us:99999"\n', "graph.graph_url"),
        ('[graph]\ngraph_url = "https://graph.microsoft.us/?x=1"\n', "graph.graph_url"),
        ('[enrich.onprem]\nurl = "https://dc1.contoso.com"\n', "enrich.onprem.url"),
        ('[enrich.onprem]\nurl = "ldaps://"\n', "enrich.onprem.url"),
        ('[enrich.onprem]\nurl = "ldaps://dc1:port"\n', "enrich.onprem.url"),
        ('[enrich.onprem]\nenabled = true\nbind_dn = "CN=x"\n', "enrich.onprem.url"),
    ],
)
def test_urls_are_checked(tmp_path: Path, text: str, key: str) -> None:
    assert _only(_write(tmp_path, text)).key == key


def test_good_urls_are_accepted(tmp_path: Path) -> None:
    config = load_config(
        _write(
            tmp_path,
            '[graph]\nauthority_url = "https://login.microsoftonline.us"\n'
            'graph_url = "https://127.0.0.1:8443/"\n'
            '[enrich.onprem]\nurl = "ldap://dc1.contoso.com:3268"\n',
        )
    )
    assert config.graph.graph_url == "https://127.0.0.1:8443/"


SECRET = "sk-Abc/123+xyz9QzT=="


@pytest.mark.parametrize(
    ("section", "key"),
    [("jira", "token_env"), ("graph", "client_secret_env"), ("enrich.onprem", "password_env")],
)
def test_a_secret_pasted_into_an_env_key_is_refused_and_never_shown(
    tmp_path: Path, section: str, key: str
) -> None:
    path = _write(tmp_path, f'[{section}]\n{key} = "{SECRET}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == f"{section}.{key}"
    assert "environment variable" in caught.value.problem
    assert SECRET not in str(caught.value) and "sk-Abc" not in str(caught.value)
    assert SECRET not in repr(caught.value.args)


def test_the_loaded_config_knows_its_file_and_compares_by_value(tmp_path: Path) -> None:
    path = _write(tmp_path, "")
    config = load_config(path)
    assert config.file == path
    assert load_config(None).file is None
    assert config.model_copy(update={"state": Config().state}) == Config()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"st/a\\u0000b.db"', "holds a NUL character"),
        ('"st/tickets.db"', "names tickets.db, a file dirsync-bridge keeps beside the ledger"),
        ('"st/run.lock"', "names run.lock, a file dirsync-bridge keeps beside the ledger"),
        ('"st/tickets.db-wal"', "names tickets.db-wal, a file dirsync-bridge keeps beside"),
        ('"st/.."', "must name the ledger's file"),
    ],
)
def test_a_state_path_no_ledger_can_have_is_a_config_error(
    tmp_path: Path, value: str, problem: str
) -> None:
    path = _write(tmp_path, f"[state]\npath = {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "state.path"
    assert problem in caught.value.problem
    assert "\x00" not in str(caught.value)


def test_a_state_path_like_its_neighbours_but_another_name_is_accepted(tmp_path: Path) -> None:
    for name in ("state.db", "tickets.sqlite", "dirsync-tickets.db", "run.lock.db"):
        config = load_config(_write(tmp_path, f'[state]\npath = "st/{name}"\n'))
        assert config.state.path == tmp_path / "st" / name


def test_the_provisioning_errors_source_is_off_by_default_and_reads_all_three_kinds(
    tmp_path: Path,
) -> None:
    default = load_config(None).source.provisioning_errors
    assert (default.enabled, default.objects) == (False, ("users", "groups", "contacts"))
    path = _write(
        tmp_path, '[source.provisioning_errors]\nenabled = true\nobjects = ["contacts", "users"]\n'
    )
    chosen = load_config(path).source.provisioning_errors
    assert (chosen.enabled, chosen.objects) == (True, ("contacts", "users"))


@pytest.mark.parametrize(
    ("objects", "needle"),
    [
        ('["users", "devices"]', "'users', 'groups' or 'contacts'"),
        ("[]", "at least one"),
        ('["users", "users"]', "more than once"),
    ],
)
def test_provisioning_error_objects_are_users_groups_or_contacts_once_each(
    tmp_path: Path, objects: str, needle: str
) -> None:
    path = _write(tmp_path, f"[source.provisioning_errors]\nobjects = {objects}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key.startswith("source.provisioning_errors.objects")
    assert needle in caught.value.problem

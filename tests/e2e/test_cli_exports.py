"""Connect Sync export files through ``parse`` and ``replay``, as a user runs them."""

from __future__ import annotations

import json
import shutil
from html import escape
from pathlib import Path

from ..conftest import ROOT
from ..exportgen import connector_dn
from ..reportgen import DUPLICATE
from ..unit.test_golden import comparable
from .test_cli import run
from .test_cli_export_tenants import config, open_tickets, replay

EXPORTS = ROOT / "fixtures" / "exports"
CASES = sorted(p for p in EXPORTS.iterdir() if p.suffix in (".xml", ".evtx"))
ONE_OF_EACH = (
    "csexport_several_objects_kinds.xml",
    "eventlog_rendered_6941.xml",
    "evtx_6941_reconstructed.evtx",
)


def golden(path: Path, tenant: str | None) -> dict[str, object]:
    """The fixture's golden JSON, filed under ``tenant`` when it parses."""
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if expected["status"] == "parsed":
        expected["tenant"] = tenant
    return comparable(expected)


def test_parse_json_on_the_export_fixtures_gives_every_golden_record() -> None:
    done = run("parse", "--format", "json", "--tenant", "Contoso", "fixtures/exports")
    assert done.returncode == 1, done.stderr  # hostile files are in the corpus on purpose
    assert "Traceback" not in done.stderr
    results = {item["source"]: item for item in json.loads(done.stdout)}
    assert results.keys() == {str(p.relative_to(ROOT)) for p in CASES}
    for path in CASES:
        assert comparable(results[str(path.relative_to(ROOT))]) == golden(path, "Contoso")
    kinds = {(r["source_kind"], r["complete"]) for r in results.values() if r["errors"]}
    assert kinds == {("csexport", True), ("eventlog", False)}
    for source, item in results.items():
        if item["status"] == "rejected":  # one line each, with its reason code
            line = next(x for x in done.stderr.splitlines() if f"rejected {source}:" in x)
            assert item["reason"].split(":")[0] in line


def test_exports_are_recognised_by_content_whatever_their_name(tmp_path: Path) -> None:
    names = []
    for number, name in enumerate(ONE_OF_EACH):
        renamed = tmp_path / f"ATT0000{number}.bin"
        shutil.copyfile(EXPORTS / name, renamed)
        names.append(str(renamed))
    done = run("parse", "--format", "json", "--tenant", "Contoso", *names)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [r["source_kind"] for r in results] == ["csexport", "eventlog", "eventlog"]
    for result, name in zip(results, ONE_OF_EACH, strict=True):
        assert comparable({**result, "source": name}) == {
            **golden(EXPORTS / name, "Contoso"),
            "source": name,
        }


def test_an_export_without_a_tenant_is_refused_with_a_reason_when_none_is_configured() -> None:
    done = run("parse", "--format", "json", *(f"fixtures/exports/{n}" for n in ONE_OF_EACH))
    assert done.returncode == 1
    results = json.loads(done.stdout)
    assert [r["reason"].split(":")[0] for r in results] == ["no-tenant"] * 3
    assert [r["errors"] for r in results] == [[], [], []]
    lines = [x for x in done.stderr.splitlines() if "no-tenant" in x]
    assert len(lines) == 3 and all("--tenant" in x for x in lines)
    assert "Traceback" not in done.stderr


def test_tenants_default_and_aliases_name_the_tenant_of_an_export(tmp_path: Path) -> None:
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text(
        '[tenants]\ndefault = "contoso.onmicrosoft.com"\n'
        'aliases = { "Contoso" = ["Contoso Ltd.", "contoso.onmicrosoft.com"] }\n',
        encoding="utf-8",
    )
    export = str(EXPORTS / ONE_OF_EACH[0])
    by_default = run("--config", str(config), "parse", "--format", "json", export)
    assert by_default.returncode == 0, by_default.stderr
    assert json.loads(by_default.stdout)[0]["tenant"] == "Contoso"
    by_option = run(
        "--config", str(config), "parse", "--format", "json", "--tenant", "CONTOSO LTD.", export
    )
    assert json.loads(by_option.stdout)[0]["tenant"] == "Contoso"
    # A name no alias lists is taken as it is.
    other = run(
        "--config", str(config), "parse", "--format", "json", "--tenant", "Fabrikam", export
    )
    assert json.loads(other.stdout)[0]["tenant"] == "Fabrikam"


def test_replay_reads_each_export_file_once_by_its_bytes(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text(f'[state]\npath = "{state / "state.db"}"\n', encoding="utf-8")
    copy = tmp_path / "again under another name.xml"
    shutil.copyfile(EXPORTS / ONE_OF_EACH[0], copy)
    files = [str(EXPORTS / n) for n in ONE_OF_EACH]
    first = run(
        "--config", str(config), "replay", "--format", "json", "--tenant", "Contoso", *files
    )
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["messages"]["parsed"] == 3
    assert summary["tickets"]["created"] >= 7
    again = run(
        "--config", str(config), "replay", "--format", "json", "--tenant", "Contoso", *files,
        str(copy),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["messages"]["already_seen"] == 4 and summary["messages"]["parsed"] == 0
    assert summary["writes"] == []


def test_replay_refuses_an_export_without_a_tenant_goes_on_and_reads_it_once_given_one(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    config = tmp_path / "dirsync-bridge.toml"
    config.write_text(f'[state]\npath = "{state / "state.db"}"\n', encoding="utf-8")
    done = run(
        "--config", str(config), "replay", str(EXPORTS / ONE_OF_EACH[0]),
        str(ROOT / "fixtures" / "reports" / "aadsync_th_thead.eml"),
    )  # fmt: skip
    assert done.returncode == 1
    assert "no-tenant: a csexport file names no tenant" in done.stderr
    assert "1 parsed, 1 rejected" in done.stdout

    # Doing what the refusal says reads the file: its bytes were not kept as "seen".
    again = run(
        "--config", str(config), "replay", "--tenant", "Contoso",
        str(EXPORTS / ONE_OF_EACH[0]),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "1 parsed, 0 rejected, 0 already seen" in again.stdout


def test_a_group_of_100000_members_is_read_and_its_error_ticketed(tmp_path: Path) -> None:
    """Real exports hold large groups. Their member lists are dropped as the file streams
    (review rev32: a million of them held 816 MB); the group's error is ticketed as ever."""
    members = "".join(
        f"<dn-value><dn>CN=user{n:06},OU=Staff,DC=contoso,DC=com</dn></dn-value>"
        for n in range(100_000)
    )
    text = escape(DUPLICATE.format(attribute="ProxyAddresses", values="SMTP:staff@contoso.com"))
    group = (
        f'<cs-object cs-dn="{connector_dn("R1JPVVAtMDE=")}" id="{{1}}" object-type="group">'
        '<export-errordetail date-occurred="2026-07-01 06:00:00.000"><export-status><cd-error>'
        "<error-name>AttributeValueMustBeUnique</error-name>"
        f"<error-literal>{text}</error-literal></cd-error></export-status></export-errordetail>"
        '<synchronized-hologram><entry><attr name="member" type="reference" multivalued="true">'
        f'{members}</attr><attr name="mail"><value>staff@contoso.com</value></attr>'
        "</entry></synchronized-hologram></cs-object>"
    )
    path = tmp_path / "groups.xml"
    path.write_text(f"<cs-objects>{group}</cs-objects>", encoding="utf-8")
    conf = config(tmp_path)
    done = replay(conf, "--tenant", "Contoso", str(path))
    assert done.returncode == 0, done.stderr
    assert "1 parsed, 0 rejected" in done.stdout, done.stdout
    tickets = open_tickets(conf)
    assert [(t["identity"], t["kind"]) for t in tickets] == [
        ("staff@contoso.com", "AttributeValueMustBeUnique")
    ], tickets

"""Tenant spellings joined by an alias, and names with invisible characters (third review)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dirsync_bridge.pipeline import replay

from ..exportgen import csexport
from .test_tenant_pairs import ANN, BOB, START, cfg, email, open_tickets, put


@pytest.mark.parametrize("canonical", ["Contoso", "Contoso Ltd."])
def test_alias_added_after_both_spellings_had_tickets_and_both_still_report_them(
    tmp_path: Path, canonical: str
) -> None:
    other = "Contoso Ltd." if canonical == "Contoso" else "Contoso"
    state = tmp_path / "state"
    before = cfg(state, default="Contoso")
    replay([email(tmp_path, "Contoso Ltd.", 0, [ANN, BOB], "a0")], before)
    cs0 = csexport([("QU5O", ANN, ANN), ("Qk9C", BOB, BOB)], START + timedelta(hours=1))
    replay([put(tmp_path, "cs0.xml", cs0)], before)
    assert len(open_tickets(before)) == 4
    after = cfg(state, default="Contoso", aliases={canonical: [other]})
    for day in range(1, 4):
        replay([email(tmp_path, "Contoso Ltd.", day, [ANN, BOB], f"b{day}")], after)
        cs = csexport(
            [("QU5O", ANN, ANN), ("Qk9C", BOB, BOB)], START + timedelta(days=day, hours=1)
        )
        replay([put(tmp_path, f"cs{day}.xml", cs)], after)
    still = open_tickets(after)
    for who in (ANN, BOB):
        assert len([t for t in still.values() if who in t["summary"]]) == 1, (who, still)


@pytest.mark.parametrize(
    "odd",
    ["Contoso Ltd.\u200b", "\u200bContoso Ltd.", "\ufeffContoso Ltd.", "\u202eContoso Ltd.\u202c"],
)
def test_tenant_name_with_invisible_characters_is_the_same_tenant(tmp_path: Path, odd: str) -> None:
    config = cfg(tmp_path / "s")
    replay([email(tmp_path, "Contoso Ltd.", 0, [ANN], "a0")], config)
    replay([email(tmp_path, odd, 1, [ANN], "a1")], config)
    still = open_tickets(config)
    assert len(still) == 1, {k: v["summary"] for k, v in still.items()}


@pytest.mark.parametrize("order", ["ann-first", "zed-first"])
def test_two_pairs_of_one_object_at_the_same_report_time_do_not_depend_on_reading_order(
    tmp_path: Path, order: str
) -> None:
    """Pair ties: the 6941's problem must join the same identity whatever order the two
    exports were read in (compared with the other order's outcome)."""
    from ..exportgen import events_6941
    from .test_tenant_pairs import OID

    def outcome_for(o: str, base: Path) -> set[str]:
        config = cfg(base / "s", default="Contoso")
        a = put(base, "a.xml", csexport([(OID, ANN, "x@contoso.com")], START))
        z = put(base, "z.xml", csexport([(OID, "zed@contoso.com", "x@contoso.com")], START))
        for p in [a, z] if o == "ann-first" else [z, a]:
            replay([p], config)
        ev = events_6941([(OID, "x@contoso.com")], START + timedelta(days=1))
        replay([put(base, "ev.xml", ev)], config)
        return {v["summary"] for v in open_tickets(config).values()}

    mine = outcome_for(order, tmp_path / "one")
    other = outcome_for("zed-first" if order == "ann-first" else "ann-first", tmp_path / "two")
    assert mine == other


@pytest.mark.parametrize(
    "spelling", ["Ann@Contoso.com", "ann@contoso.com\u200b", "ann@contoso.com "]
)
def test_one_identity_spelled_two_ways_in_two_emails_is_one_problem(
    tmp_path: Path, spelling: str
) -> None:
    config = cfg(tmp_path / "s")
    replay([email(tmp_path, "Contoso", 0, [ANN], "a0")], config)
    replay([email(tmp_path, "Contoso", 1, [spelling], "a1")], config)
    still = open_tickets(config)
    assert len(still) == 1, {k: v["summary"] for k, v in still.items()}


def test_alias_join_on_jira_leaves_one_open_ticket_per_problem(tmp_path: Path, jira_cloud) -> None:  # type: ignore[no-untyped-def]
    from dirsync_bridge.config.settings import Config

    from ..reportgen import duplicate, report_email
    from .test_jira_faults import by_identity, run
    from .test_jira_people_review import open_keys, rerun_quiet
    from .test_jira_sink import jira_config

    sim, mail = jira_cloud, tmp_path / "mail"
    mail.mkdir()
    base = jira_config(sim, tmp_path / "state")

    def with_tenants(**tenants):  # type: ignore[no-untyped-def]
        data = base.model_dump()
        data["tenants"] = tenants
        return Config.model_validate(data)

    def mail_of(tenant: str, day: int, who: list[str], name: str) -> None:
        rows = [(w, duplicate("UserPrincipalName", w)) for w in who]
        at = START + timedelta(days=day)
        (mail / f"{name}.eml").write_bytes(report_email(tenant, at, rows, f"{name}@x"))

    before = with_tenants()
    mail_of("Contoso Ltd.", 0, [ANN, BOB], "a0")
    mail_of("Contoso", 0, [ANN], "b0")
    run(mail, before, sim)
    assert len(by_identity(sim, "ann@")) == 2
    after = with_tenants(aliases={"Contoso": ["Contoso Ltd."]})
    for day in range(1, 3):
        mail_of("Contoso Ltd.", day, [ANN, BOB], f"a{day}")
        mail_of("Contoso", day, [ANN, BOB], f"b{day}")
        run(mail, after, sim)
    run(mail, after, sim)
    assert len(open_keys(sim, "ann@")) == 1, open_keys(sim, "ann@")
    assert len(open_keys(sim, "bob@")) == 1, open_keys(sim, "bob@")
    rerun_quiet(mail, after, sim)

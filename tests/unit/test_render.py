"""Ticket texts: built-in templates, user overrides, and templates that must be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from jinja2.sandbox import SandboxedEnvironment
from pydantic import ValidationError

from dirsync_bridge.errors import ConfigError
from dirsync_bridge.models import FAMILY_OF, KINDS, Conflict, Family
from dirsync_bridge.problem import Details, Problem, Sighting
from dirsync_bridge.ticket_text.render import (
    BUILTIN_TEMPLATES,
    TEMPLATE_NAMES,
    CommentView,
    Markup,
    Renderer,
    TicketView,
    utc,
)

FP = "ab" * 32
AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
MESSAGE = (
    "Unable to update this object because the following attributes associated with this "
    "object have values that may already be associated with another object in your local "
    "directory services: [UserPrincipalName john@contoso.com;]."
)


def _view(**changes: object) -> TicketView:
    fields: dict[str, object] = {
        "fingerprint": FP,
        "label": f"dirsync-{FP[:16]}",
        "tenant": "Contoso",
        "family": "duplicate",
        "kinds": ("AttributeValueMustBeUnique",),
        "identity": "john@contoso.com",
        "object_ids": ("x4V0iaeB60KXxjftcwd7Hw==",),
        "conflicts": (
            Conflict(attribute="ProxyAddresses", values=("SMTP:john@contoso.com", "smtp:j@x.com")),
            Conflict(attribute="UserPrincipalName", values=("john@contoso.com",)),
        ),
        "invalid_attributes": (),
        "messages": (MESSAGE,),
        "tracking_ids": ("5f6e1c2a-0000-4000-8000-000000000001",),
        "first_seen": AT,
        "source": "reports/2026-11-24.eml",
        "subject": "Directory Synchronization Error Report",
        "episode": 0,
        "previous_ticket": None,
    }
    fields.update(changes)
    return TicketView.model_validate(fields)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# Summary


def test_summary_names_kinds_identity_and_tenant(renderer: Renderer) -> None:
    view = _view(kinds=("AttributeValueMustBeUnique", "InvalidSoftMatch"))
    assert renderer.ticket(view).summary == (
        "[dirsync] AttributeValueMustBeUnique/InvalidSoftMatch: john@contoso.com (Contoso)"
    )


def test_summary_falls_back_to_the_object_id_then_to_tenant_level(renderer: Renderer) -> None:
    assert renderer.ticket(_view(identity=None, tenant=None)).summary == (
        "[dirsync] AttributeValueMustBeUnique: x4V0iaeB60KXxjftcwd7Hw=="
    )
    quota = _view(family="quota", kinds=("ObjectQuotaExceeded",), identity=None, object_ids=())
    assert renderer.ticket(quota).summary == (
        "[dirsync] ObjectQuotaExceeded: (tenant-level) (Contoso)"
    )


def test_summary_is_one_line_when_the_identity_holds_newlines_and_tabs(
    renderer: Renderer,
) -> None:
    summary = renderer.ticket(_view(identity="john\n@contoso.com\t\r\n  evil")).summary
    assert "\n" not in summary and "\t" not in summary and "\r" not in summary
    assert summary == "[dirsync] AttributeValueMustBeUnique: john @contoso.com evil (Contoso)"


def test_summary_longer_than_255_characters_is_cut_with_an_ellipsis(renderer: Renderer) -> None:
    summary = renderer.ticket(_view(identity="x" * 400)).summary
    assert len(summary) == 255
    assert summary.endswith("x…")
    assert summary.startswith("[dirsync] AttributeValueMustBeUnique: xxx")


def test_summary_of_astral_characters_is_cut_to_255_utf16_units(tmp_path: Path) -> None:
    # Jira counts the summary in UTF-16 units (Java's String.length()): U+1D52D counts two.
    _write(tmp_path, "summary.txt.j2", "{{ t.identity }}")
    summary = Renderer(tmp_path).ticket(_view(identity="\U0001d52d" * 200)).summary
    assert len(summary.encode("utf-16-le")) // 2 <= 255
    assert summary == "\U0001d52d" * 127 + "…"


def test_summary_of_exactly_255_characters_is_not_cut(tmp_path: Path) -> None:
    _write(tmp_path, "summary.txt.j2", "{{ t.identity }}")
    summary = Renderer(tmp_path).ticket(_view(identity="y" * 255)).summary
    assert summary == "y" * 255


# Description


def test_description_holds_conflicts_messages_tracking_ids_and_fingerprint(
    renderer: Renderer,
) -> None:
    description = renderer.ticket(_view()).description
    assert "Conflicting values:" in description
    assert "- ProxyAddresses: SMTP:john@contoso.com, smtp:j@x.com" in description
    assert "- UserPrincipalName: john@contoso.com" in description
    assert MESSAGE in description
    assert "5f6e1c2a-0000-4000-8000-000000000001" in description
    assert "First seen: 2026-11-24 10:00 UTC" in description
    assert 'Report: 2026-11-24.eml ("Directory Synchronization Error Report")' in description
    assert description.splitlines()[-1] == f"Fingerprint: {FP}"


@pytest.mark.parametrize(
    ("source", "subject", "line"),
    [
        ("/srv/mail/2016/report.eml", None, "Report: report.eml"),
        ("archive/old.mbox#3", "Sync errors", 'Report: old.mbox#3 ("Sync errors")'),
        # A Graph reference is an opaque message id: the subject and date name the report.
        (
            "graph:sync@contoso.com/Inbox/AAMkAGI2TG93AAA=",
            "Directory Synchronization Error Report",
            'Report: "Directory Synchronization Error Report" of 2026-11-24 10:00 UTC',
        ),
        ("graph:provisioning-errors", None, "Report: the report of 2026-11-24 10:00 UTC"),
        # Standard input (`-`) has no file name worth showing: it read "Report: <stdin>".
        (
            "<stdin>",
            "Directory Synchronization Error Report",
            'Report: "Directory Synchronization Error Report" of 2026-11-24 10:00 UTC',
        ),
    ],
)
def test_the_report_line_names_a_file_by_its_base_name_and_graph_mail_by_subject_and_date(
    renderer: Renderer, source: str, subject: str | None, line: str
) -> None:
    description = renderer.ticket(_view(source=source, subject=subject)).description
    assert line in description.splitlines()
    assert "/srv/" not in description and "graph:" not in description
    assert "AAMkAGI2TG93AAA" not in description and "<stdin>" not in description


def test_standard_input_is_named_as_the_sources_name_it() -> None:
    from dirsync_bridge.sources.files import STDIN_SOURCE
    from dirsync_bridge.ticket_text.context import file_name

    assert file_name(STDIN_SOURCE) is None


def test_comments_name_a_report_file_by_its_base_name_and_never_a_graph_id(
    renderer: Renderer,
) -> None:
    after = Details(kinds=("InvalidSoftMatch",))
    from_file = CommentView(kind="reopened", at=AT, source="/srv/mail/r9.eml", after=after)
    assert renderer.comment(from_file).splitlines()[0] == (
        "Seen again in the report of 2026-11-24 10:00 UTC (r9.eml); reopened."
    )
    graph = "graph:sync@contoso.com/Inbox/AAMkAGI2TG93AAA="
    before = Details(kinds=("AttributeValueMustBeUnique",))
    changed = CommentView(kind="changed", at=AT, source=graph, before=before, after=after)
    assert renderer.comment(changed).splitlines()[0] == (
        "The report of 2026-11-24 10:00 UTC shows this problem changed:"
    )


def test_description_names_the_earlier_ticket_and_links_it(renderer: Renderer) -> None:
    content = renderer.ticket(_view(episode=1, previous_ticket="OPS-41"))
    assert "Earlier ticket for this problem: OPS-41" in content.description
    assert content.links == ("OPS-41",)
    first = renderer.ticket(_view())
    assert first.links == ()
    assert "Earlier ticket" not in first.description


def test_description_leaves_out_empty_sections(renderer: Renderer) -> None:
    view = _view(conflicts=(), invalid_attributes=(), tracking_ids=())
    description = renderer.ticket(view).description
    assert "Conflicting values" not in description
    assert "Invalid attributes" not in description
    assert "Tracking ID" not in description
    assert "\n\n\n" not in description


def test_description_lists_invalid_attributes_when_there_are_some(renderer: Renderer) -> None:
    view = _view(
        family="validation",
        kinds=("DataValidationFailed",),
        conflicts=(),
        invalid_attributes=("UserPrincipalName",),
    )
    assert "Invalid attributes: UserPrincipalName" in renderer.ticket(view).description


ADVICE: dict[Family, str] = {
    "duplicate": "https://support.microsoft.com/kb/2647098",
    "hard-match": "allow hard match for a moment",
    "validation": "Fix the value on-premises",
    "large-object": "remove expired userCertificate",
    "deletion": "restore the account from the recycle bin",
    "quota": "raise the directory object quota",
    "user-id-not-found": "run a full synchronization",
    "unknown": "not one the tool recognises",
}


@pytest.mark.parametrize("family", list(ADVICE))
def test_description_gives_the_advice_of_its_family_only(
    renderer: Renderer, family: Family
) -> None:
    description = renderer.ticket(_view(family=family)).description
    assert "What to do:" in description
    assert ADVICE[family] in description
    for other, advice in ADVICE.items():
        if other != family:
            assert advice not in description, other


def test_quarantined_duplicates_say_what_resolves_them(renderer: Renderer) -> None:
    view = _view(kinds=("QuarantinedAttributeValueMustBeUnique",))
    said = "resolved once complete Graph scans no longer list it; without it, resolve it by hand"
    assert said in renderer.ticket(view).description
    assert said not in renderer.ticket(_view()).description


def test_description_is_stripped_of_leading_and_trailing_blank_lines(tmp_path: Path) -> None:
    _write(tmp_path, "description.txt.j2", "\n  \n\n  indented {{ t.label }}\n\nend\n\n \n")
    description = Renderer(tmp_path).ticket(_view()).description
    assert description == f"  indented dirsync-{FP[:16]}\n\nend"


def test_ticket_view_from_a_sighting_carries_problem_and_details() -> None:
    details = Details(
        kinds=("AttributeValueMustBeUnique",),
        conflicts=(Conflict(attribute="UserPrincipalName", values=("a@x.com",)),),
        object_ids=("oid",),
    )
    sighting = Sighting(
        problem=Problem(
            fingerprint=FP,
            tenant="Contoso",
            family="duplicate",
            identity="a@x.com",
            object_key="identity:a@x.com",
        ),
        report_key="<m1@x>",
        at=AT,
        details=details,
        messages=("m",),
        tracking_ids=("t",),
        source="a.eml",
        subject=None,
    )
    view = TicketView.from_sighting(sighting, episode=2, previous_ticket="LOCAL-3")
    assert view.label == f"dirsync-{FP[:16]}"
    assert (view.identity, view.conflicts, view.object_ids) == (
        "a@x.com",
        details.conflicts,
        ("oid",),
    )
    assert (view.first_seen, view.source, view.episode, view.previous_ticket) == (
        AT,
        "a.eml",
        2,
        "LOCAL-3",
    )


# Comments


def test_changed_comment_says_which_kinds_and_values_came_and_went(renderer: Renderer) -> None:
    before = Details(
        kinds=("AttributeValueMustBeUnique",),
        conflicts=(
            Conflict(attribute="ProxyAddresses", values=("smtp:old@x.com", "smtp:kept@x.com")),
        ),
    )
    after = Details(
        kinds=("InvalidSoftMatch",),
        conflicts=(
            Conflict(attribute="ProxyAddresses", values=("smtp:kept@x.com", "smtp:new@x.com")),
            Conflict(attribute="UserPrincipalName", values=("john@contoso.com",)),
        ),
    )
    body = renderer.comment(
        CommentView(kind="changed", at=AT, source="r2.eml", before=before, after=after)
    )
    assert body.splitlines()[0] == (
        "The report of 2026-11-24 10:00 UTC (r2.eml) shows this problem changed:"
    )
    assert "- errors added: InvalidSoftMatch" in body
    assert "- errors gone: AttributeValueMustBeUnique" in body
    assert "- ProxyAddresses: values added: smtp:new@x.com" in body
    assert "- ProxyAddresses: values removed: smtp:old@x.com" in body
    assert "- UserPrincipalName: values added: john@contoso.com" in body
    assert "kept@x.com" not in body


def test_resolved_comment_gives_the_count_and_both_times(renderer: Renderer) -> None:
    body = renderer.comment(
        CommentView(
            kind="resolved", at=AT, absent_reports=3, last_seen=AT - timedelta(days=2, hours=1)
        )
    )
    assert body == (
        "Not seen in 3 consecutive reports since 2026-11-22 09:00 UTC; "
        "resolved automatically as of 2026-11-24 10:00 UTC."
    )


def test_reopened_comment_gives_the_report_time_and_source(renderer: Renderer) -> None:
    after = Details(
        kinds=("AttributeValueMustBeUnique",),
        conflicts=(Conflict(attribute="UserPrincipalName", values=("john@contoso.com",)),),
    )
    body = renderer.comment(CommentView(kind="reopened", at=AT, source="r9.eml", after=after))
    assert body.splitlines()[0] == (
        "Seen again in the report of 2026-11-24 10:00 UTC (r9.eml); reopened."
    )
    assert "UserPrincipalName: john@contoso.com" in body


def test_comment_view_refuses_to_be_built_without_the_facts_its_kind_needs() -> None:
    with pytest.raises(ValidationError, match="needs last_seen"):
        CommentView(kind="resolved", at=AT, absent_reports=3)
    with pytest.raises(ValidationError, match="needs source, before"):
        CommentView(kind="changed", at=AT, after=Details())


def test_utc_filter_converts_to_utc_and_drops_seconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert utc(datetime(2026, 11, 24, 12, 0, 59, tzinfo=plus_two)) == "2026-11-24 10:00 UTC"


# User templates


def test_user_directory_overrides_one_file_and_the_others_fall_back(tmp_path: Path) -> None:
    _write(tmp_path, "summary.txt.j2", "DIRSYNC {{ t.identity }} since {{ t.first_seen | utc }}")
    content = Renderer(tmp_path).ticket(_view())
    assert content.summary == "DIRSYNC john@contoso.com since 2026-11-24 10:00 UTC"
    assert content.description == Renderer().ticket(_view()).description


def test_a_template_with_a_syntax_error_is_refused_at_start_up(tmp_path: Path) -> None:
    path = _write(tmp_path, "description.txt.j2", "ok\n{% if t.tenant %}\nno endif\n")
    with pytest.raises(ConfigError) as caught:
        Renderer(tmp_path)
    assert caught.value.path == path
    assert caught.value.key == "[tickets] templates"
    assert caught.value.problem.startswith("description.txt.j2: line ")
    assert "\n" not in caught.value.problem


def test_a_template_using_an_undefined_variable_is_refused_at_start_up(tmp_path: Path) -> None:
    path = _write(tmp_path, "comment_resolved.txt.j2", "Gone since {{ c.last_sighting }}")
    with pytest.raises(ConfigError) as caught:
        Renderer(tmp_path)
    assert caught.value.path == path
    assert caught.value.problem.startswith("comment_resolved.txt.j2: line 1: ")
    assert "last_sighting" in caught.value.problem


def test_an_undefined_variable_in_a_branch_the_trial_missed_fails_at_render_time(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path, "summary.txt.j2", '{% if t.tenant == "Fabrikam" %}{{ nope }}{% endif %}x'
    )
    renderer = Renderer(tmp_path)
    assert renderer.ticket(_view()).summary == "x"
    with pytest.raises(ConfigError) as caught:
        renderer.ticket(_view(tenant="Fabrikam"))
    assert caught.value.path == path
    assert "summary.txt.j2" in caught.value.problem
    assert "'nope' is undefined" in caught.value.problem


@pytest.mark.parametrize("kind", KINDS)
def test_a_broken_branch_for_any_error_kind_is_refused_at_start_up(
    tmp_path: Path, kind: str
) -> None:
    """The advice follows the kind (FederatedDomainChangeError's is not DataValidationFailed's):
    the trial renders a sample of every kind, so no kind's branch waits for its first ticket."""
    branch = f'"{kind}" in t.kinds and t.family == "{FAMILY_OF[kind]}"'
    text = "{% if " + branch + " %}{{ nope }}{% endif %}x"
    path = _write(tmp_path, "description.txt.j2", text)
    with pytest.raises(ConfigError) as caught:
        Renderer(tmp_path)
    assert caught.value.path == path
    assert "'nope' is undefined" in caught.value.problem


@pytest.mark.parametrize(
    "text",
    [
        "{{ t.__class__.__mro__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ t.from_sighting.__globals__ }}",
        "{{ (t.first_seen | attr('__class__')).now() }}",
    ],
)
def test_a_template_reaching_for_python_internals_is_refused(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, "summary.txt.j2", text)
    with pytest.raises(ConfigError) as caught:
        Renderer(tmp_path)
    assert caught.value.path == path
    assert caught.value.problem.startswith("summary.txt.j2: ")
    assert "unsafe" in caught.value.problem


def test_a_template_raising_a_python_error_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "comment_changed.txt.j2", "{{ c.at | utc }} {{ 1 / 0 }}")
    with pytest.raises(ConfigError) as caught:
        Renderer(tmp_path)
    assert caught.value.path == path
    assert "ZeroDivisionError" in caught.value.problem


def test_a_templates_directory_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError) as caught:
        Renderer(missing)
    assert caught.value.path is None
    assert caught.value.key == "[tickets] templates"
    assert caught.value.problem == f"{missing} is not a directory"


def test_a_file_given_as_the_templates_directory_is_refused(tmp_path: Path) -> None:
    not_a_dir = _write(tmp_path, "templates", "")
    with pytest.raises(ConfigError, match="is not a directory"):
        Renderer(not_a_dir)


def test_an_include_of_a_missing_template_names_what_is_missing(tmp_path: Path) -> None:
    path = _write(tmp_path, "comment_reopened.txt.j2", '{% include "footer.txt.j2" %}')
    with pytest.raises(ConfigError) as caught:
        Renderer(tmp_path)
    assert caught.value.path == path
    assert "no template named footer.txt.j2" in caught.value.problem


def test_the_built_in_templates_run_unsandboxed_and_a_users_sandboxed(tmp_path: Path) -> None:
    """Ours are known to read only the views: the sandbox's check on every attribute they
    read is skipped (a third of the rendering's CPU). A user's file, even one of five, is
    configuration and stays in the sandbox."""
    _write(tmp_path, "comment_changed.txt.j2", "{{ c.kind }}")
    mixed = Renderer(tmp_path)
    sandboxed = {
        name: isinstance(template.environment, SandboxedEnvironment)
        for name, template in mixed._templates.items()
    }
    assert sandboxed == {name: name == "comment_changed.txt.j2" for name in TEMPLATE_NAMES}
    assert not any(
        isinstance(t.environment, SandboxedEnvironment) for t in Renderer()._templates.values()
    )


@pytest.mark.parametrize("markup", ["plain", "jira"])
def test_the_built_in_templates_read_the_same_outside_the_sandbox(
    tmp_path: Path, markup: Markup
) -> None:
    """Copies of the built-in files, given as the user's (so sandboxed), render every sample
    exactly as the built-in ones do unsandboxed: tickets say the same."""
    for name in TEMPLATE_NAMES:
        (tmp_path / name).write_bytes((BUILTIN_TEMPLATES / name).read_bytes())
    ours, users = Renderer(markup=markup), Renderer(tmp_path, markup=markup)
    assert all(isinstance(t.environment, SandboxedEnvironment) for t in users._templates.values())
    assert ours.fingerprint == users.fingerprint
    for view in (_view(), _view(tenant=None)):
        assert ours.ticket(view) == users.ticket(view)

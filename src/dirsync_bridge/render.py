"""Ticket texts: summaries, descriptions and comments, rendered from Jinja2 templates.

Templates are configuration, not code: an administrator may replace any of the five built-in
files with their own (``[tickets] templates``), so they run in Jinja's sandbox and see only
the frozen view models below (``t`` for a ticket, ``c`` for a comment), never the pipeline's
objects. Every template is compiled and tried once on sample data when a ``Renderer`` is
built, so a broken one stops the run at start-up, before any ticket is written; whatever
still fails at render time is the same ``ConfigError``.

Rendering reads no clock: every time it shows comes from the view (a report's time).

Markup: the local store shows plain text; Jira renders wiki markup, so for Jira every value a
template prints is escaped (``wiki.inline``) and the ``block`` filter fences multi-line text
(``wiki.block``). The same templates serve both: in plain mode ``block`` changes nothing.
Summaries are plain text in every sink (Jira does not render them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, model_validator

from . import wiki
from .enrich.advice import commands
from .enrich.facts import Advice, CloudHolder, Enrichment
from .enrich.holders import OnPremHolder
from .enrich.rules import RuleHit
from .errors import ConfigError
from .fingerprint import label
from .models import Conflict, Family, Kind
from .problem import Details, Sighting
from .sinks import TicketContent

CONFIG_KEY: Final = "[tickets] templates"
BUILTIN_TEMPLATES: Final = Path(__file__).resolve().parent / "templates"

SUMMARY: Final = "summary.txt.j2"
DESCRIPTION: Final = "description.txt.j2"
COMMENT_TEMPLATES: Final[dict[str, str]] = {
    "changed": "comment_changed.txt.j2",
    "resolved": "comment_resolved.txt.j2",
    "reopened": "comment_reopened.txt.j2",
    "verified": "comment_verified.txt.j2",
}
TEMPLATE_NAMES: Final = (SUMMARY, DESCRIPTION, *COMMENT_TEMPLATES.values())

SUMMARY_MAX: Final = 255
"""Jira's limit for a summary, applied whatever the sink so tickets read the same in each."""
ELLIPSIS: Final = "…"

CommentKind = Literal["changed", "resolved", "reopened", "verified"]
Markup = Literal["plain", "jira"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TicketView(_View):
    """What a ticket template sees as ``t``: one problem as it was when the ticket opened."""

    fingerprint: str
    label: str
    """``dirsync-<first 16 hex of the fingerprint>``, the Jira label."""
    tenant: str | None
    family: Family
    kinds: tuple[Kind, ...]
    identity: str | None
    object_ids: tuple[str, ...]
    conflicts: tuple[Conflict, ...]
    invalid_attributes: tuple[str, ...]
    messages: tuple[str, ...]
    tracking_ids: tuple[str, ...]
    first_seen: datetime
    """Tz-aware UTC: the time of the report that opened the ticket."""
    source: str
    """File or mailbox reference of the report that opened the ticket."""
    subject: str | None
    episode: int
    """0 for the first ticket of this problem, 1.. for tickets opened after an earlier one."""
    previous_ticket: str | None
    """Key of the earlier ticket for the same problem, if any."""
    enrichment: Enrichment | None = None
    """Who holds the values, the rules they break, the advice; None when not looked up."""

    @property
    def commands(self) -> tuple[str, ...]:
        """PowerShell to inspect the cloud holders and fix the on-premises ones."""
        if self.enrichment is None:
            return ()
        return tuple(commands(self.enrichment.holders, self.identity))

    @classmethod
    def from_sighting(
        cls, sighting: Sighting, *, episode: int = 0, previous_ticket: str | None = None
    ) -> TicketView:
        """The view of a ticket opened for this sighting."""
        problem, details = sighting.problem, sighting.details
        return cls(
            fingerprint=problem.fingerprint,
            label=label(problem.fingerprint),
            tenant=problem.tenant,
            family=problem.family,
            kinds=details.kinds,
            identity=problem.identity,
            object_ids=details.object_ids,
            conflicts=details.conflicts,
            invalid_attributes=details.invalid_attributes,
            messages=sighting.messages,
            tracking_ids=sighting.tracking_ids,
            first_seen=sighting.at,
            source=sighting.source,
            subject=sighting.subject,
            episode=episode,
            previous_ticket=previous_ticket,
            enrichment=sighting.enrichment,
        )


class CommentView(_View):
    """What a comment template sees as ``c``: one event in a ticket's life.

    The ``*_added`` / ``*_removed`` properties spell out a "changed" comment's difference
    between ``before`` and ``after``, because set arithmetic is clumsy to write in Jinja.
    They are empty for the other kinds.
    """

    kind: CommentKind
    at: datetime
    """The time (UTC) of the report that caused the comment."""
    source: str | None = None
    """The report that caused it; None for "resolved", which no report shows."""
    before: Details | None = None
    """"changed": the details before; else None."""
    after: Details | None = None
    """"changed" and "reopened": the details now; else None."""
    absent_reports: int = 0
    """"resolved": how many consecutive reports lacked the problem."""
    last_seen: datetime | None = None
    """"resolved": when the problem was last seen."""
    note: str | None = None
    """"verified": what was checked in Entra ID."""

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> CommentView:
        # Caught here, a missing fact is the caller's bug; caught in a template, it would
        # read as a broken template and send the administrator looking in the wrong place.
        needed = {
            "changed": ("source", "before", "after"),
            "resolved": ("last_seen",),
            "reopened": ("source", "after"),
            "verified": ("note",),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind!r} comment needs {', '.join(missing)}")
        return self

    @property
    def kinds_added(self) -> tuple[Kind, ...]:
        """Error kinds in ``after`` that were not in ``before``."""
        return _added(self._pair("kinds"))

    @property
    def kinds_removed(self) -> tuple[Kind, ...]:
        """Error kinds in ``before`` that are no longer in ``after``."""
        return _removed(self._pair("kinds"))

    @property
    def values_added(self) -> tuple[Conflict, ...]:
        """Per attribute, the conflicting values that are new (attributes without any left out)."""
        return _value_difference(self.before, self.after)

    @property
    def values_removed(self) -> tuple[Conflict, ...]:
        """Per attribute, the conflicting values that are gone (attributes without any left out)."""
        return _value_difference(self.after, self.before)

    @property
    def invalid_attributes_added(self) -> tuple[str, ...]:
        """Invalid attributes in ``after`` that were not in ``before``."""
        return _added(self._pair("invalid_attributes"))

    @property
    def invalid_attributes_removed(self) -> tuple[str, ...]:
        """Invalid attributes in ``before`` that are no longer in ``after``."""
        return _removed(self._pair("invalid_attributes"))

    @property
    def holders_added(self) -> tuple[str, ...]:
        """Holders found now that were not before (each a readable line)."""
        return _added(self._pair("holders"))

    @property
    def holders_first_known(self) -> bool:
        """The look-ups answered for the first time (before: unknown or failed)."""
        return (
            self.before is not None
            and self.after is not None
            and self.before.holders is None
            and self.after.holders is not None
        )

    @property
    def holders_removed(self) -> tuple[str, ...]:
        """Holders that no longer hold the value."""
        return _removed(self._pair("holders"))

    @property
    def object_ids_added(self) -> tuple[str, ...]:
        """On-premises object ids in ``after`` that were not in ``before``."""
        return _added(self._pair("object_ids"))

    @property
    def object_ids_removed(self) -> tuple[str, ...]:
        """On-premises object ids in ``before`` that are no longer in ``after``."""
        return _removed(self._pair("object_ids"))

    def _pair(self, field: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        if self.before is None or self.after is None:
            return (), ()
        return getattr(self.before, field) or (), getattr(self.after, field) or ()


def _added(pair: tuple[tuple[Any, ...], tuple[Any, ...]]) -> tuple[Any, ...]:
    before, after = pair
    return tuple(item for item in after if item not in before)


def _removed(pair: tuple[tuple[Any, ...], tuple[Any, ...]]) -> tuple[Any, ...]:
    before, after = pair
    return tuple(item for item in before if item not in after)


def _value_difference(old: Details | None, new: Details | None) -> tuple[Conflict, ...]:
    """Values in ``new`` and not in ``old``, per attribute, in ``new``'s order."""
    if old is None or new is None:
        return ()
    known: dict[str, set[str]] = {}
    for conflict in old.conflicts:
        known.setdefault(conflict.attribute, set()).update(conflict.values)
    out = []
    for conflict in new.conflicts:
        fresh = tuple(v for v in conflict.values if v not in known.get(conflict.attribute, ()))
        if fresh:
            out.append(Conflict(attribute=conflict.attribute, values=fresh))
    return tuple(out)


def utc(value: datetime) -> str:
    """A time as ``2026-11-24 10:00 UTC``: the ``utc`` filter of every template."""
    if not isinstance(value, datetime):
        raise TypeError(f"the utc filter needs a datetime, not {type(value).__name__}")
    # Every time in this tool is UTC; a naive one can only have lost its zone on the way.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def one_line_summary(text: str) -> str:
    """Whitespace runs (newlines, tabs) made one space, stripped, cut to 255 with "…"."""
    line = " ".join(text.split())
    if len(line) > SUMMARY_MAX:
        line = line[: SUMMARY_MAX - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return line


def strip_blank_lines(text: str) -> str:
    """The text without its leading and trailing blank lines (inner ones and indents kept)."""
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


class Renderer:
    """Renders tickets and comments from the built-in templates or a directory overriding them."""

    def __init__(self, directory: Path | None = None, markup: Markup = "plain") -> None:
        """Load and compile all five templates; a broken one raises ``ConfigError`` here.

        A file missing from ``directory`` falls back to the built-in one of the same name.
        """
        if directory is not None and not directory.is_dir():
            raise ConfigError(None, CONFIG_KEY, f"{directory} is not a directory")
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(BUILTIN_TEMPLATES)]
        if directory is not None:
            loaders.insert(0, jinja2.FileSystemLoader(directory))
        self._directory = directory
        self.markup = markup
        plain = self._environment(jinja2.ChoiceLoader(loaders), markup="plain")
        marked = self._environment(jinja2.ChoiceLoader(loaders), markup=markup)
        self._templates = {
            name: self._compile(plain if name == SUMMARY else marked, name)
            for name in TEMPLATE_NAMES
        }
        # A trial render on complete sample data catches what compiling cannot (a misspelt
        # field, a forbidden attribute) in every branch those samples reach, at start-up.
        self.ticket(_SAMPLE_TICKET)
        for sample in _SAMPLE_COMMENTS:
            self.comment(sample)

    def ticket(self, view: TicketView) -> TicketContent:
        """The summary, description and links of a new ticket."""
        summary = self._render(SUMMARY, t=view)
        description = self._fit(strip_blank_lines(self._render(DESCRIPTION, t=view)))
        return TicketContent(
            summary=one_line_summary(summary),
            description=description,
            links=(view.previous_ticket,) if view.previous_ticket else (),
        )

    def comment(self, view: CommentView) -> str:
        """The body of a "changed", "resolved" or "reopened" comment."""
        return self._fit(strip_blank_lines(self._render(COMMENT_TEMPLATES[view.kind], c=view)))

    def _fit(self, text: str) -> str:
        return wiki.fit(text) if self.markup == "jira" else text

    @staticmethod
    def _environment(loader: jinja2.BaseLoader, markup: Markup) -> SandboxedEnvironment:
        env = SandboxedEnvironment(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
            # Jira: whatever a template prints is a value from a report, so it is escaped
            # on the way out; template text itself (the admin's own markup) is not.
            finalize=wiki.escape_output if markup == "jira" else None,
        )
        env.filters["utc"] = utc
        env.filters["block"] = wiki.block if markup == "jira" else _unchanged
        env.filters["issue_key"] = wiki.issue_key if markup == "jira" else _unchanged
        return env

    def _path(self, name: str) -> Path:
        """The file a template name resolves to: the user's if present, else the built-in."""
        if self._directory is not None and (self._directory / name).is_file():
            return self._directory / name
        return BUILTIN_TEMPLATES / name

    def _compile(self, env: SandboxedEnvironment, name: str) -> jinja2.Template:
        try:
            return env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            failed = exc.name or name
            path = Path(exc.filename) if exc.filename else self._path(failed)
            raise ConfigError(
                path, CONFIG_KEY, f"{failed}: line {exc.lineno}: {_one_line(exc.message)}"
            ) from None
        except (jinja2.TemplateError, OSError, UnicodeDecodeError) as exc:
            raise ConfigError(self._path(name), CONFIG_KEY, f"{name}: {_describe(exc)}") from None

    def _render(self, name: str, **context: object) -> str:
        template = self._templates[name]
        try:
            return template.render(**context)
        # Deliberately broad: a user template can make any filter or operator raise
        # (``1 / 0``, ``"a" + 1``), and each of those is a configuration problem to report.
        except Exception as exc:
            path = Path(template.filename) if template.filename else self._path(name)
            where = _template_line(exc.__traceback__, str(path))
            line = f"line {where}: " if where else ""
            raise ConfigError(path, CONFIG_KEY, f"{name}: {line}{_describe(exc)}") from None


def _unchanged(value: object) -> str:
    return str(value)


def _describe(exc: BaseException) -> str:
    """One line about a failure; Jinja's own messages say enough, others get their type."""
    text = _one_line(str(exc)) or "(no message)"
    if isinstance(exc, jinja2.TemplateNotFound):
        # Its own message is the bare name, which reads as no explanation at all.
        return f"no template named {text} (in the templates directory or built in)"
    if isinstance(exc, jinja2.TemplateError):
        return text
    return f"{type(exc).__name__}: {text}"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    """The template line a render failed on: Jinja rewrites tracebacks to point at it."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


_SAMPLE_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
_SAMPLE_DETAILS = Details(
    kinds=("AttributeValueMustBeUnique",),
    conflicts=(Conflict(attribute="UserPrincipalName", values=("john@contoso.com",)),),
    invalid_attributes=("UserPrincipalName",),
    object_ids=("x4V0iaeB60KXxjftcwd7Hw==",),
)
_SAMPLE_TICKET = TicketView(
    fingerprint="0" * 64,
    label=label("0" * 64),
    tenant="Contoso",
    family="duplicate",
    kinds=_SAMPLE_DETAILS.kinds,
    identity="john@contoso.com",
    object_ids=_SAMPLE_DETAILS.object_ids,
    conflicts=_SAMPLE_DETAILS.conflicts,
    invalid_attributes=_SAMPLE_DETAILS.invalid_attributes,
    messages=("Sample message.",),
    tracking_ids=("00000000-0000-0000-0000-000000000000",),
    first_seen=_SAMPLE_AT,
    source="sample.eml",
    subject="Directory Synchronization Error Report",
    episode=1,
    previous_ticket="LOCAL-1",
    # Every branch of the enrichment section, so a broken override fails at start-up.
    enrichment=Enrichment(
        holders=(
            CloudHolder(
                value="john@contoso.com",
                object_type="user",
                id="00000000-0000-0000-0000-000000000001",
                display_name="John",
                user_principal_name="john1234@contoso.onmicrosoft.com",
                sync_state="synced",
                last_sync=_SAMPLE_AT,
                placeholder_upn=True,
            ),
            OnPremHolder(
                value="john@contoso.com",
                object_type="user",
                dn="CN=John,DC=contoso,DC=com",
                immutable_id="x4V0iaeB60KXxjftcwd7Hw==",
                created=_SAMPLE_AT,
                object_guid="00000000-0000-0000-0000-000000000002",
                changed=_SAMPLE_AT,
                disabled=True,
            ),
        ),
        rule_hits=(
            RuleHit(
                attribute="mail", value="jo hn@contoso.com", errors=("Character",), proposed="x"
            ),
        ),
        advice=Advice(code="synced-holder", summary="Sample advice."),
        unavailable=("cloud: sample",),
    ),
)
_SAMPLE_COMMENTS = (
    CommentView(
        kind="changed",
        at=_SAMPLE_AT,
        source="sample.eml",
        before=Details(kinds=("InvalidSoftMatch",), holders=("on-premises user CN=A",)),
        after=_SAMPLE_DETAILS.model_copy(update={"holders": ("cloud user b (cloud-only)",)}),
    ),
    CommentView(kind="resolved", at=_SAMPLE_AT, absent_reports=3, last_seen=_SAMPLE_AT),
    CommentView(kind="reopened", at=_SAMPLE_AT, source="sample.eml", after=_SAMPLE_DETAILS),
    CommentView(kind="verified", at=_SAMPLE_AT, note="nothing else holds the value"),
)

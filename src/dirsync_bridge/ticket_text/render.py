"""Ticket texts: summaries, descriptions and comments, rendered from Jinja2 templates.

Templates are configuration, not code: an administrator may replace any of the five built-in
files with their own (``[tickets] templates``), so they run in Jinja's sandbox and see only
the frozen view models below (``t`` for a ticket, ``c`` for a comment), never the pipeline's
objects. Every template is compiled and tried once on sample data when a ``Renderer`` is
built, so a broken one stops the run at start-up, before any ticket is written; whatever
still fails at render time is the same ``ConfigError``.

Rendering reads no clock: every time it shows comes from the view (a report's time).

Markup: the local store shows plain text; Jira renders wiki markup, so for Jira every value a
template prints is escaped (``jira_wiki.inline``) and the ``block`` filter fences multi-line text
(``jira_wiki.block``). The same templates serve both: in plain mode ``block`` changes nothing.
Summaries are plain text in every sink (Jira does not render them).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..errors import ConfigError
from ..lifecycle import CommentKind, Episode, PlannedComment
from ..ports import TicketContent
from ..problem import Problem
from . import jira_wiki
from .context import CommentView, TicketView, comment_view, ticket_view
from .samples import SAMPLE_COMMENTS, SAMPLE_KIND_COMMENTS, SAMPLE_KIND_TICKETS, SAMPLE_TICKET

__all__ = ["CommentKind", "CommentView", "Markup", "Renderer", "TicketView"]

CONFIG_KEY: Final = "[tickets] templates"
BUILTIN_TEMPLATES: Final = Path(__file__).resolve().parent / "templates"

SUMMARY: Final = "summary.txt.j2"
DESCRIPTION: Final = "description.txt.j2"
COMMENT_TEMPLATES: Final[dict[str, str]] = {
    "changed": "comment_changed.txt.j2",
    "resolved": "comment_resolved.txt.j2",
    "reopened": "comment_reopened.txt.j2",
    "verified": "comment_verified.txt.j2",
    "unverified": "comment_unverified.txt.j2",
}
TEMPLATE_NAMES: Final = (SUMMARY, DESCRIPTION, *COMMENT_TEMPLATES.values())

SUMMARY_MAX: Final = 255
"""Jira's limit for a summary, applied whatever the sink so tickets read the same in each."""
ELLIPSIS: Final = "…"

Markup = Literal["plain", "jira"]


def utc(value: datetime) -> str:
    """A time as ``2026-11-24 10:00 UTC``: the ``utc`` filter of every template."""
    if not isinstance(value, datetime):
        raise TypeError(f"the utc filter needs a datetime, not {type(value).__name__}")
    # Every time in this tool is UTC; a naive one can only have lost its zone on the way.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def one_line_summary(text: str) -> str:
    """Whitespace runs (newlines, tabs) made one space, stripped, cut to 255 with "…".

    255 as Jira counts (UTF-16 units, ``jira_wiki.java_length``), whatever the sink.
    """
    line = " ".join(text.split())
    if jira_wiki.java_length(line) > SUMMARY_MAX:
        line = jira_wiki.cut(line, SUMMARY_MAX - len(ELLIPSIS)).rstrip() + ELLIPSIS
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
        builtin = jinja2.FileSystemLoader(BUILTIN_TEMPLATES)
        loaders: list[jinja2.BaseLoader] = [builtin]
        if directory is not None:
            loaders.insert(0, jinja2.FileSystemLoader(directory))
        self._directory = directory
        self.markup = markup
        # A user's template runs sandboxed (it is configuration, and may include any other);
        # a built-in one, ours and known to read only the views, runs without the sandbox's
        # check on every attribute it reads (a third of the rendering's CPU in a replay).
        self._templates: dict[str, jinja2.Template] = {}
        for name in TEMPLATE_NAMES:
            mode: Markup = "plain" if name == SUMMARY else markup
            users = self._users(name)
            env = self._environment(
                jinja2.ChoiceLoader(loaders) if users else builtin, markup=mode, sandboxed=users
            )
            self._templates[name] = self._compile(env, name)
        # A trial render on complete sample data catches what compiling cannot (a misspelt
        # field, a forbidden attribute) in every branch those samples reach, at start-up.
        trial = [self.ticket(SAMPLE_TICKET).model_dump_json()]
        trial += [self.ticket(sample).model_dump_json() for sample in SAMPLE_KIND_TICKETS]
        trial += [self.comment(sample) for sample in (*SAMPLE_COMMENTS, *SAMPLE_KIND_COMMENTS)]
        self.fingerprint = hashlib.sha256("\0".join(trial).encode("utf-8")).hexdigest()
        """What the templates make of the samples: when it changes, every ticket may read
        differently, and the ledger has them all rendered again (``use_texts``)."""

    def ticket(self, view: TicketView) -> TicketContent:
        """The summary, description and links of a new ticket."""
        summary = self._render(SUMMARY, t=view)
        description = self._fit(strip_blank_lines(self._render(DESCRIPTION, t=view)))
        return TicketContent(
            summary=one_line_summary(summary),
            description=description,
            links=(view.previous_ticket,) if view.previous_ticket else (),
        )

    def ticket_text(
        self, problem: Problem, episode: Episode, previous_ticket: str | None
    ) -> TicketContent:
        """The ticket an episode of a problem calls for (``ticket_plan.TicketTexts``)."""
        return self.ticket(ticket_view(problem, episode, previous_ticket))

    def comment_text(self, comment: PlannedComment) -> str:
        """The body of one planned comment (``ticket_plan.TicketTexts``)."""
        return self.comment(comment_view(comment))

    def comment(self, view: CommentView) -> str:
        """The body of a "changed", "resolved" or "reopened" comment."""
        return self._fit(strip_blank_lines(self._render(COMMENT_TEMPLATES[view.kind], c=view)))

    def _fit(self, text: str) -> str:
        return jira_wiki.fit(text) if self.markup == "jira" else text

    def _users(self, name: str) -> bool:
        """Whether the user's templates directory holds a template of this name."""
        return self._directory is not None and (self._directory / name).is_file()

    @staticmethod
    def _environment(
        loader: jinja2.BaseLoader, markup: Markup, sandboxed: bool
    ) -> jinja2.Environment:
        kind = SandboxedEnvironment if sandboxed else jinja2.Environment
        env = kind(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
            # Jira: whatever a template prints is a value from a report, so it is escaped
            # on the way out; template text itself (the admin's own markup) is not.
            # Plain text: a value stays on its line (a line break in a holder's name must not
            # make a line of its own in the ticket); a ``block`` keeps its lines.
            finalize=jira_wiki.escape_output if markup == "jira" else _plain_output,
        )
        env.filters["utc"] = utc
        env.filters["block"] = jira_wiki.block if markup == "jira" else _fenced
        env.filters["issue_key"] = jira_wiki.issue_key if markup == "jira" else _unchanged
        return env

    def _path(self, name: str) -> Path:
        """The file a template name resolves to: the user's if present, else the built-in."""
        if self._directory is not None and (self._directory / name).is_file():
            return self._directory / name
        return BUILTIN_TEMPLATES / name

    def _compile(self, env: jinja2.Environment, name: str) -> jinja2.Template:
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


def _fenced(value: object) -> jira_wiki.Fenced:
    """Plain text's ``block``: the value as it is, its lines kept."""
    return jira_wiki.Fenced(str(value))


def _plain_output(value: object) -> object:
    """Plain text's ``finalize``: a printed text on one line, unless it is a ``block``."""
    if isinstance(value, jira_wiki.Fenced) or not isinstance(value, str):
        return value
    return jira_wiki.one_line(value)

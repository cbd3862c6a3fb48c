"""The subset of JQL the simulator understands, with Jira's 400 messages for the rest.

Covers what apis.md section 3.2 lists as useful for a dedupe-by-label sink, plus the reopen
window query of Alertmanager's notifier (same section): `project = X`, `labels = x`,
`labels in (a, b)`, `key|issuekey = X`, `key in (...)`, `status`, `statusCategory`,
`resolution = Unresolved`, `x is [not] EMPTY`, `created|updated|resolutiondate >= -5m` (or a
date), `status CHANGED [AFTER -5m]`, `AND`, `OR`, `NOT`, parentheses, and
`ORDER BY created|updated|resolutiondate|key|status [ASC|DESC]`. Keywords and values compare
case-insensitively, as in Jira. Like Jira, a value that names no project, status, category,
resolution or issue type, or an issue key that does not exist, is an error
rather than an empty result.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

View = Mapping[str, Any]  # field -> lower-cased names/ids (list fields) or a timestamp or None
Predicate = Callable[[View, float], bool]  # (issue view, now) -> matches

LIST_FIELDS = frozenset({"project", "labels", "key", "status", "statuscategory", "resolution"})
LIST_FIELDS |= {"issuetype"}
DATE_FIELDS = frozenset({"created", "updated", "resolutiondate"})
SORTABLE = frozenset({"created", "updated", "resolutiondate", "key", "status"})
ALIASES = {"issuekey": "key", "id": "key", "type": "issuetype", "resolved": "resolutiondate"}
EMPTY_WORDS = frozenset({"empty", "null"})
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}
_TOKEN = re.compile(
    r"""\s*(?:(?P<s>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<o>!=|>=|<=|=|>|<|!~|~|[(),])"""
    r"""|(?P<w>[^\s=!<>~(),"']+))"""
)


class JqlError(ValueError):
    """A query Jira refuses with 400; str() is Jira's message."""


@dataclass(frozen=True)
class Query:
    """A compiled query: a predicate (None matches everything) and the ORDER BY keys."""

    predicate: Predicate | None = None
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    def matches(self, view: View, now: float) -> bool:
        """Whether an issue (seen through `view`) matches at time `now`."""
        return self.predicate is None or self.predicate(view, now)


def compile_jql(text: str, known: Mapping[str, set[str]]) -> Query:
    """Parse `text`; `known` holds the valid lower-cased values of validated fields."""
    return _Parser(text, known).parse()


def parse_when(value: str, field_name: str) -> Callable[[float], float]:
    """A JQL date value as a function of now: `-5m`, `-1w 2d`, `2025-01-31`, `2025/01/31 10:00`."""
    period = value.replace(" ", "")
    if re.fullmatch(r"[+-]?(\d+[wdhm])+", period):
        sign = -1 if period.startswith("-") else 1
        secs = sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([wdhm])", period))
        return lambda now: now + sign * secs
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            fixed = datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
        return lambda now: fixed
    raise JqlError(
        f"Date value '{value}' for field '{field_name}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
        "format e.g. '-5d', '4w 2d'."
    )


class _Parser:
    def __init__(self, text: str, known: Mapping[str, set[str]]) -> None:
        self.text, self.known, self.pos = text, known, 0
        self.tokens: list[tuple[str, str, int]] = []  # (kind s|o|w, value, offset)
        at = 0
        while text[at:].strip():
            m = _TOKEN.match(text, at)
            if m is None or m.lastgroup is None:
                rest = text[at:].lstrip()
                self._fail("a value", got=rest[:1], offset=len(text) - len(rest))
            kind, raw = m.lastgroup, m.group(m.lastgroup)
            value = re.sub(r"\\(.)", r"\1", raw[1:-1]) if kind == "s" else raw
            self.tokens.append((kind, value, m.start(kind)))
            at = m.end()

    def _fail(self, expecting: str, got: str | None = None, offset: int | None = None) -> NoReturn:
        if got is None:
            tok = self.tokens[self.pos] if self.pos < len(self.tokens) else None
            got = tok[1] if tok else "EOF"
            offset = tok[2] if tok else len(self.text)
        raise JqlError(
            f"Error in the JQL Query: Expecting {expecting} but got '{got}'. "
            f"(line 1, character {(offset or 0) + 1})"
        )

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _word(self, *words: str) -> str | None:
        tok = self._peek()
        if tok and tok[0] == "w" and tok[1].lower() in words:
            self.pos += 1
            return tok[1].lower()
        return None

    def _op(self, *ops: str) -> str | None:
        tok = self._peek()
        if tok and tok[0] == "o" and tok[1] in ops:
            self.pos += 1
            return tok[1]
        return None

    def _value(self) -> tuple[str, bool]:  # (text, quoted)
        tok = self._peek()
        if tok is None or tok[0] == "o":
            self._fail("either a value, 'EMPTY' or a function")
        self.pos += 1
        return tok[1], tok[0] == "s"

    def parse(self) -> Query:
        predicate = None
        tok = self._peek()
        if tok and not (tok[0] == "w" and tok[1].lower() == "order"):
            predicate = self._or()
        order: list[tuple[str, bool]] = []
        if self._word("order"):
            if not self._word("by"):
                self._fail("'by'")
            while True:
                raw, _ = self._value()
                name = ALIASES.get(raw.lower(), raw.lower())
                if name not in SORTABLE:
                    raise JqlError(f"Not able to sort using field '{raw}'.")
                order.append((name, self._word("asc", "desc") == "desc"))
                if not self._op(","):
                    break
        if self._peek():
            self._fail("either 'OR' or 'AND'" if predicate else "a field name")
        return Query(predicate, order)

    def _or(self) -> Predicate:
        left = self._and()
        while self._word("or"):
            left = (lambda a, b: lambda v, n: a(v, n) or b(v, n))(left, self._and())
        return left

    def _and(self) -> Predicate:
        left = self._unary()
        while self._word("and"):
            left = (lambda a, b: lambda v, n: a(v, n) and b(v, n))(left, self._unary())
        return left

    def _unary(self) -> Predicate:
        if self._word("not"):
            inner = self._unary()
            return lambda v, n: not inner(v, n)
        if self._op("("):
            inner = self._or()
            if not self._op(")"):
                self._fail("')'")
            return inner
        return self._clause()

    def _clause(self) -> Predicate:
        raw, _ = self._value()
        name = ALIASES.get(raw.lower(), raw.lower())
        if name not in LIST_FIELDS | DATE_FIELDS:
            raise JqlError(
                f"Field '{raw}' does not exist or you do not have permission to view it."
            )
        if self._word("changed"):
            # History search, the one form asked of it: `status CHANGED [AFTER <when>]`.
            if name != "status":
                raise JqlError(f"History searches are not supported for the '{raw}' field.")
            if not self._word("after"):
                return lambda v, n: bool(v["status changes"])
            when = parse_when(self._value()[0], raw)
            return lambda v, n: any(t > when(n) for t in v["status changes"])
        if self._word("is"):
            negate = bool(self._word("not"))
            if not self._word(*EMPTY_WORDS):
                self._fail("'EMPTY' or 'null'")
            return lambda v, n: (not v[name]) is not negate
        negate = bool(self._word("not"))
        if negate and not self._word("in"):
            self._fail("'IN'")
        if negate or self._word("in"):
            return self._membership(raw, name, negate)
        op = self._op("=", "!=", ">", ">=", "<", "<=", "~", "!~")
        if op is None:
            self._fail("an operator")
        if op in {"~", "!~"} or (op not in {"=", "!="} and name not in DATE_FIELDS):
            raise JqlError(f"The operator '{op}' is not supported by the '{raw}' field.")
        value, quoted = self._value()
        special = EMPTY_WORDS | ({"unresolved"} if name == "resolution" else set())
        if not quoted and value.lower() in special:
            return lambda v, n: (not v[name]) is (op == "=")
        if name in DATE_FIELDS:
            when, test = parse_when(value, raw), _COMPARE[op]
            return lambda v, n: v[name] is not None and test(v[name], when(n))
        return self._membership(raw, name, op == "!=", [(value, quoted)])

    def _membership(
        self, raw: str, name: str, negate: bool, values: list[tuple[str, bool]] | None = None
    ) -> Predicate:
        if values is None:
            if not self._op("("):
                self._fail("'('")
            values = [self._value()]
            while self._op(","):
                values.append(self._value())
            if not self._op(")"):
                self._fail("')'")
        if name in DATE_FIELDS:
            raise JqlError(f"The operator 'in' is not supported by the '{raw}' field.")
        wanted = {self._check(raw, name, v) for v, _ in values}
        # Like Jira, "!=" and "not in" never match an issue whose field is empty.
        return lambda v, n: bool(v[name]) and bool(wanted & set(v[name])) is not negate

    def _check(self, raw: str, name: str, value: str) -> str:
        low = value.lower()
        if name in self.known and low not in self.known[name]:
            if name == "key":
                raise JqlError(f"An issue with key '{value}' does not exist for field '{raw}'.")
            raise JqlError(f"The value '{value}' does not exist for the field '{raw}'.")
        return low

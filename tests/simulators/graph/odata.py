"""The OData query subset the simulator understands: `$filter`, `$orderby`, `$select`, `$top`
and the opaque `$skiptoken` of `@odata.nextLink`.

`$filter` grammar (apis.md 1.1 "Filter forms used in practice" and 1.7):
    expr    := and ("or" and)*            and := unary ("and" unary)*
    unary   := "not" unary | "(" expr ")" | call | any | path op literal | path "in" "(" lits ")"
    call    := startswith|endswith|contains "(" path "," 'string' ")"
    any     := path "/any(" var ":" <expr over var> ")"
    literal := 'string' ('' escapes a quote) | 2024-09-01T00:00:00Z | number | true|false|null
Names of properties and keywords are case-insensitive; string comparisons are too, as in
Exchange and Entra. Which properties and operators a resource allows is the resource's business
(`mail` and `directory`); this module only parses, walks and evaluates.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

OPS = ("eq", "ne", "gt", "ge", "lt", "le")
FUNCS = ("startswith", "endswith", "contains")
Literal = str | int | float | bool | datetime | None
LINK_SAFE = "$'(),:/@"  # left unescaped in nextLinks, as Graph writes them


class ODataError(ValueError):
    """A query option that does not parse; the resource turns it into its own 400."""


@dataclass(frozen=True)
class Cmp:
    """`path op literal`."""

    path: str
    op: str
    value: Literal


@dataclass(frozen=True)
class In:
    """`path in ('a', 'b')`."""

    path: str
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Call:
    """`startswith(path, 'x')`, `endswith(...)`, `contains(...)`."""

    name: str
    path: str
    value: str


@dataclass(frozen=True)
class AnyOf:
    """`path/any(var: body)`: true when some element of the collection satisfies body."""

    path: str
    var: str
    body: Node


@dataclass(frozen=True)
class BoolOp:
    """`a and b and ...` or `a or b or ...`."""

    op: str
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """`not x`."""

    part: Node


Node = Cmp | In | Call | AnyOf | BoolOp | Not

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
    |(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
    |(?P<num>-?\d+(?:\.\d+)?)
    |(?P<name>[A-Za-z_@$][A-Za-z0-9_./@$]*)
    |(?P<punct>[(),:])
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ODataError(f"Syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def parse_datetime(text: str) -> datetime:
    """An OData DateTimeOffset literal; no offset means UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise ODataError(f"The DateTimeOffset text '{text}' is not valid.") from e
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.toks, self.i = text, _tokens(text), 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok[0] == "end" or (value is not None and tok[1].lower() != value):
            raise ODataError(f"Syntax error: expected {value or 'more'} in '{self.text}'.")
        self.i += 1
        return tok

    def word(self, offset: int = 0) -> str:
        kind, value = self.peek(offset)
        return value.lower() if kind == "name" else ""

    def parse(self) -> Node:
        node = self.expr()
        if self.peek()[0] != "end":
            raise ODataError(f"Syntax error at '{self.peek()[1]}' in '{self.text}'.")
        return node

    def expr(self) -> Node:
        return self._chain("or", self.conj)

    def conj(self) -> Node:
        return self._chain("and", self.unary)

    def _chain(self, op: str, sub: Callable[[], Node]) -> Node:
        parts = [sub()]
        while self.word() == op:
            self.take()
            parts.append(sub())
        return parts[0] if len(parts) == 1 else BoolOp(op, tuple(parts))

    def unary(self) -> Node:
        if self.word() == "not":
            self.take()
            return Not(self.unary())
        if self.peek() == ("punct", "("):
            self.take("(")
            node = self.expr()
            self.take(")")
            return node
        if self.word() in FUNCS and self.peek(1) == ("punct", "("):
            name = self.take()[1].lower()
            self.take("(")
            path = self.path()
            self.take(",")
            value = self.literal()
            self.take(")")
            if not isinstance(value, str):
                raise ODataError(f"{name} takes a string literal in '{self.text}'.")
            return Call(name, path, value)
        path = self.path()
        if path.lower().endswith(("/any", "/all")) and self.peek() == ("punct", "("):
            if path.lower().endswith("/all"):
                raise ODataError("Lambda operator 'all' is not supported.")
            self.take("(")
            var = self.take()[1]
            self.take(":")
            body = self.expr()
            self.take(")")
            return AnyOf(path[: -len("/any")], var, body)
        op = self.word()
        if op == "in":
            self.take()
            self.take("(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.take(",")
                values.append(self.literal())
            self.take(")")
            return In(path, tuple(values))
        if op not in OPS:
            raise ODataError(f"Syntax error: '{self.peek()[1]}' is not an operator.")
        self.take()
        return Cmp(path, op, self.literal())

    def path(self) -> str:
        kind, value = self.take()
        if kind != "name" or value.lower() in ("and", "or", "not", *OPS):
            raise ODataError(f"Syntax error: expected a property name, not '{value}'.")
        return value

    def literal(self) -> Literal:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "dt":
            return parse_datetime(value)
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "name" and value.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[value.lower()]
        raise ODataError(f"Syntax error: '{value}' is not a literal in '{self.text}'.")


def parse_filter(text: str) -> Node:
    """Parse a `$filter` value into a tree; raises `ODataError`."""
    return _Parser(text).parse()


def walk(node: Node) -> Iterator[Node]:
    """Every node, depth first, left to right (the order the client wrote them)."""
    yield node
    if isinstance(node, BoolOp):
        for part in node.parts:
            yield from walk(part)
    elif isinstance(node, Not):
        yield from walk(node.part)
    elif isinstance(node, AnyOf):
        yield from walk(node.body)


def filter_properties(node: Node) -> list[str]:
    """Top-level property paths in order of first appearance, lower-cased."""
    seen: list[str] = []
    inner_vars = {n.var.lower() for n in walk(node) if isinstance(n, AnyOf)}
    for n in walk(node):
        if isinstance(n, Cmp | In | Call | AnyOf):
            path = n.path.lower()
            if path not in seen and path not in inner_vars:
                seen.append(path)
    return seen


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _compare(left: Any, op: str, right: Literal) -> bool:
    left, right = _fold(left), _fold(right)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


def evaluate(node: Node, get: Callable[[str], Any]) -> bool:
    """Whether an entity satisfies the filter; `get(path)` reads one property of it."""
    if isinstance(node, BoolOp):
        results = (evaluate(p, get) for p in node.parts)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not evaluate(node.part, get)
    if isinstance(node, Cmp):
        return _compare(get(node.path), node.op, node.value)
    if isinstance(node, In):
        value = _fold(get(node.path))
        return any(value == _fold(v) for v in node.values)
    if isinstance(node, Call):
        value, needle = _fold(get(node.path) or ""), node.value.casefold()
        if node.name == "startswith":
            return bool(value.startswith(needle))
        if node.name == "endswith":
            return bool(value.endswith(needle))
        return needle in value
    var = node.var.lower()

    def within(item: Any) -> bool:
        def inner(path: str) -> Any:
            name, _, sub = path.lower().partition("/")
            if name != var:
                return get(path)
            if not sub:
                return item
            # `o/category`: a property of a complex element (onPremisesProvisioningErrors).
            found = item if isinstance(item, dict) else {}
            return next((v for k, v in found.items() if k.lower() == sub), None)

        return evaluate(node.body, inner)

    return any(within(item) for item in get(node.path) or [])


def parse_orderby(text: str | None) -> list[tuple[str, bool]]:
    """`receivedDateTime desc, subject` -> [("receiveddatetime", True), ("subject", False)]."""
    out: list[tuple[str, bool]] = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ODataError(f"Syntax error in $orderby '{text}'.")
        out.append((words[0].lower(), len(words) == 2 and words[1].lower() == "desc"))
    return out


def parse_select(text: str | None) -> list[str]:
    """`id,subject` -> ["id", "subject"] (as written; resources match case-insensitively)."""
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def parse_top(text: str | None, default: int, maximum: int) -> int:
    """`$top` within 1..maximum; raises `ODataError` outside it (apis.md 1.1: 1 to 1000)."""
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise ODataError(f"The value '{text}' is not valid for $top: it must be 1 to {maximum}.")
    return int(text)


def sort_key(value: Any) -> tuple[int, Any]:
    """Order None first, then by value (strings case-insensitively)."""
    return (0, "") if value is None else (1, _fold(value))


def skiptoken(offset: int) -> str:
    """An opaque paging cursor: the client must follow `@odata.nextLink` verbatim."""
    return base64.urlsafe_b64encode(f"sim-page:{offset}".encode()).decode().rstrip("=")


def read_skiptoken(token: str) -> int:
    """The offset a `skiptoken` encodes; raises `ODataError` for anything else."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, offset = text.partition(":")
        if kind == "sim-page" and offset.isdigit():
            return int(offset)
    except ValueError:
        pass
    raise ODataError(f"The $skiptoken '{token}' is not valid.")


def next_link(base_url: str, path: str, params: dict[str, list[str]], offset: int) -> str:
    """An absolute `@odata.nextLink`: the request's own options plus a new `$skiptoken`."""
    pairs = [
        (k, v) for k, vs in params.items() if k.lower() not in ("$skiptoken", "$skip") for v in vs
    ]
    pairs.append(("$skiptoken", skiptoken(offset)))
    return f"{base_url}{path}?{urlencode(pairs, quote_via=quote, safe=LINK_SAFE)}"


def select_fields(
    selected: Sequence[str], known: Sequence[str], *, resource: str
) -> list[str] | None:
    """The canonical names of a `$select` list, None for "no $select"; unknown -> ODataError."""
    if not selected:
        return None
    canonical = {k.lower(): k for k in known}
    out: list[str] = []
    for name in selected:
        if name.lower() not in canonical:
            raise ODataError(f"Could not find a property named '{name}' on type '{resource}'.")
        out.append(canonical[name.lower()])
    return out

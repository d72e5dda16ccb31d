"""SOQL subset parser: text -> ``Query`` tree (no schema knowledge; see soql_compile).

Supported: ``SELECT f1, Rel__r.f2 | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]``; conditions with AND / OR / NOT and
parentheses, ``= != <> < <= > >=``, ``[NOT] IN (...)``, ``LIKE``; literals: quoted strings with
SOQL escapes, numbers, true/false, null, unquoted date and datetime literals.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.salesforce.emulator.values import parse_datetime


class SoqlError(Exception):
    """A query Salesforce would reject; ``error_code`` is MALFORMED_QUERY, INVALID_FIELD..."""

    def __init__(self, message: str, error_code: str = "MALFORMED_QUERY", pos: int = 0):
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.pos = pos


@dataclass(frozen=True)
class Literal:
    kind: str  # string | number | boolean | null | date | datetime
    value: Any
    raw: str = ""  # the source text (inner text for strings, used for LIKE escapes)
    pos: int = 0


@dataclass(frozen=True)
class Condition:
    field: tuple[str, ...]
    op: str  # = != < <= > >= IN NOTIN LIKE
    value: Literal | tuple[Literal, ...]
    pos: int = 0


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR | NOT
    items: tuple[Any, ...]


@dataclass(frozen=True)
class OrderItem:
    field: tuple[str, ...]
    descending: bool = False
    nulls_last: bool = False


@dataclass
class Query:
    sobject: str
    fields: list[tuple[str, ...]] = field(default_factory=list)
    count_only: bool = False
    where: Condition | BoolOp | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>[+-]?\d+(?:\.\d+)?)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "_": "_",
    "%": "%",
}
KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "OFFSET",
    "NULL",
    "TRUE",
    "FALSE",
    "COUNT",
}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def unescape(inner: str, pos: int = 0) -> str:
    """Decode SOQL string escapes (``\\%`` and ``\\_`` decode to ``%``/``_``)."""
    out: list[str] = []
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\":
            if i + 1 >= len(inner):
                raise SoqlError("unterminated escape sequence", pos=pos + i)
            nxt = inner[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", inner[i + 2 : i + 6]):
                out.append(chr(int(inner[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt not in _ESCAPES:
                raise SoqlError(
                    f"Invalid string literal '{inner}'. Illegal character sequence '\\{nxt}' in string literal.",
                    pos=pos + i,
                )
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def like_regex(inner: str) -> re.Pattern[str]:
    """LIKE pattern (raw inner text of the literal) -> case-insensitive regex.

    Unescaped ``%`` and ``_`` are wildcards; ``\\%`` and ``\\_`` are literal characters.
    """
    parts: list[str] = []
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            parts.append(re.escape(unescape(inner[i : i + 2])))
            i += 2
            continue
        parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            snippet = text[pos : pos + 10]
            raise SoqlError(f"unexpected token: '{snippet}'", pos=pos)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def at(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.upper in words

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise SoqlError("unexpected end of query", pos=len(self.text))
        self.i += 1
        return tok

    def expect(self, word: str) -> Token:
        tok = self.take()
        if tok.upper != word:
            raise SoqlError(f"unexpected token: '{tok.text}'", pos=tok.pos)
        return tok

    def field_path(self) -> tuple[str, ...]:
        tok = self.take()
        if tok.kind != "ident" or tok.upper in KEYWORDS - {"COUNT"}:
            raise SoqlError(f"unexpected token: '{tok.text}'", pos=tok.pos)
        return tuple(tok.text.split("."))

    def parse(self) -> Query:
        self.expect("SELECT")
        fields: list[tuple[str, ...]] = []
        count_only = False
        nxt = self.peek(1)
        if self.at("COUNT") and nxt is not None and nxt.text == "(":
            self.take()
            self.expect("(")
            self.expect(")")
            count_only = True
        else:
            fields.append(self.field_path())
            while self.at(","):
                self.take()
                fields.append(self.field_path())
        self.expect("FROM")
        sobject_tok = self.take()
        if sobject_tok.kind != "ident":
            raise SoqlError(f"unexpected token: '{sobject_tok.text}'", pos=sobject_tok.pos)
        query = Query(sobject=sobject_tok.text, fields=fields, count_only=count_only)
        if self.at("WHERE"):
            self.take()
            query.where = self.or_expr()
        if self.at("ORDER"):
            self.take()
            self.expect("BY")
            query.order_by.append(self.order_item())
            while self.at(","):
                self.take()
                query.order_by.append(self.order_item())
        if self.at("LIMIT"):
            self.take()
            query.limit = self.int_value()
        if self.at("OFFSET"):
            self.take()
            query.offset = self.int_value()
        tok = self.peek()
        if tok is not None:
            raise SoqlError(f"unexpected token: '{tok.text}'", pos=tok.pos)
        return query

    def int_value(self) -> int:
        tok = self.take()
        if tok.kind != "number" or not tok.text.isdigit():
            raise SoqlError(f"unexpected token: '{tok.text}'", pos=tok.pos)
        return int(tok.text)

    def order_item(self) -> OrderItem:
        path = self.field_path()
        descending = False
        if self.at("ASC", "DESC"):
            descending = self.take().upper == "DESC"
        nulls_last = False
        if self.at("NULLS"):
            self.take()
            tok = self.take()
            if tok.upper not in ("FIRST", "LAST"):
                raise SoqlError(f"unexpected token: '{tok.text}'", pos=tok.pos)
            nulls_last = tok.upper == "LAST"
        return OrderItem(path, descending, nulls_last)

    def or_expr(self) -> Condition | BoolOp:
        items = [self.and_expr()]
        while self.at("OR"):
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def and_expr(self) -> Condition | BoolOp:
        items = [self.not_expr()]
        while self.at("AND"):
            self.take()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def not_expr(self) -> Condition | BoolOp:
        if self.at("NOT"):
            self.take()
            return BoolOp("NOT", (self.not_expr(),))
        if self.at("("):
            self.take()
            inner = self.or_expr()
            self.expect(")")
            return inner
        return self.condition()

    def condition(self) -> Condition:
        start = self.peek()
        path = self.field_path()
        pos = start.pos if start else 0
        tok = self.take()
        op = tok.upper
        if op == "NOT":
            self.expect("IN")
            return Condition(path, "NOTIN", self.literal_list(), pos)
        if op == "IN":
            return Condition(path, "IN", self.literal_list(), pos)
        if op == "<>":
            op = "!="
        if op not in ("=", "!=", "<", "<=", ">", ">=", "LIKE"):
            raise SoqlError(f"unexpected token: '{tok.text}'", pos=tok.pos)
        return Condition(path, op, self.literal(), pos)

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("(")
        items = [self.literal()]
        while self.at(","):
            self.take()
            items.append(self.literal())
        self.expect(")")
        return tuple(items)

    def literal(self) -> Literal:
        tok = self.take()
        if tok.kind == "string":
            inner = tok.text[1:-1]
            return Literal("string", unescape(inner, tok.pos), inner, tok.pos)
        if tok.kind == "number":
            return Literal("number", Decimal(tok.text), tok.text, tok.pos)
        if tok.kind == "date":
            try:
                return Literal("date", dt.date.fromisoformat(tok.text), tok.text, tok.pos)
            except ValueError:
                raise SoqlError(f"invalid date: {tok.text}", pos=tok.pos) from None
        if tok.kind == "datetime":
            try:
                return Literal("datetime", parse_datetime(tok.text), tok.text, tok.pos)
            except ValueError:
                raise SoqlError(f"invalid datetime: {tok.text}", pos=tok.pos) from None
        if tok.upper in ("TRUE", "FALSE"):
            return Literal("boolean", tok.upper == "TRUE", tok.text, tok.pos)
        if tok.upper == "NULL":
            return Literal("null", None, tok.text, tok.pos)
        raise SoqlError(f"unexpected token: '{tok.text}'", pos=tok.pos)


def parse(text: str) -> Query:
    """Parse one SOQL statement; raises SoqlError (MALFORMED_QUERY) on bad syntax."""
    return _Parser(text).parse()

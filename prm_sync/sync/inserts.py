"""Rows a unit of work creates, written at its end with one multi-row INSERT per table.

An initial pull creates rows and links by the hundred thousand. Handing each to the ORM session
costs an ORM instance and the session's unit-of-work bookkeeping (identity map, dependency sort,
per-row state): measured, that was the largest single cost of a pull. A new row is instead a
`Draft`, a plain object holding every column, which the PRM rules can read and adjust like a row
before it is written; at the end of the unit of work the drafts go to the database in a few
`executemany` calls, tables in the order they were first added (a partner before its status
history). On PostgreSQL (psycopg 3) a table with at least `COPY_MIN_ROWS` new rows goes in
with one `COPY ... FROM STDIN` instead: the values are the same bind-processed ones the INSERT
would send, so the stored rows are the same (tests/e2e/test_pull_copy.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from prm_sync.store.tables import DERIVED_COLUMNS, Link
from prm_sync.store.types import UtcDateTime
from prm_sync.sync.rows import column_defaults, crm_hash_of

#: below this many new rows of one table in a unit of work, COPY's own round trips cost more
COPY_MIN_ROWS = 200


class Draft:
    """A row made in this unit of work and not stored yet. Attributes: every column of `table`
    (scalar column defaults filled in, None where no value was given)."""

    def __init__(self, table: type[Any], values: Mapping[str, Any]) -> None:
        self.__dict__ = {**_shape(table).template, **values}


class PendingRows:
    def __init__(self) -> None:
        self._rows: dict[type[Any], list[Draft]] = {}

    def new(self, table: type[Any], values: Mapping[str, Any]) -> Any:
        """A draft row of `table`, written at the next `write` (typed Any: it stands in for a row)."""
        row = Draft(table, values)
        self._rows.setdefault(table, []).append(row)
        return row

    @staticmethod
    def holds(row: Any) -> bool:
        """Whether `row` is a draft (it must then not be handed to the session as well)."""
        return isinstance(row, Draft)

    def clear(self) -> None:
        self._rows.clear()

    def drafts(self, table: type[Any]) -> list[Any]:
        """The drafts of `table` made since the last write."""
        return list(self._rows.get(table, ()))

    def take(self) -> list[tuple[type[Any], list[Any]]]:
        """The drafts made since the last write, per table in the order tables were first added;
        forgotten here (they are someone else's to write)."""
        taken = list(self._rows.items())
        self._rows = {}
        return taken

    def write(self, session: Session) -> dict[type[Any], int]:
        """INSERT every draft made since the last write, in the session's transaction.
        Returns the rows written per table."""
        return write_rows(session, [(table, values_of(table, rows)) for table, rows in self.take()])


def values_of(table: type[Any], drafts: list[Any]) -> list[tuple[Any, ...]]:
    """The drafts' values in `columns_of(table)` order (a draft holds every column in its __dict__)."""
    values = operator.itemgetter(*columns_of(table))
    return [values(row.__dict__) for row in drafts]


# columns computed as rows are written: the store's (DERIVED_COLUMNS) and a new link's hash
_DERIVED: dict[type[Any], dict[str, Callable[[Mapping[str, Any]], Any]]] = {
    **DERIVED_COLUMNS,
    Link: {**DERIVED_COLUMNS.get(Link, {}), "crm_hash": lambda row: crm_hash_of(row["base"], row["crm_hash"])}}


def columns_of(table: type[Any]) -> tuple[str, ...]:
    """Every column of `table`: the attributes a draft of it holds."""
    return _shape(table).columns


def write_rows(session: Session, batches: Sequence[tuple[type[Any], Sequence[Sequence[Any]]]]) -> dict[type[Any], int]:
    """INSERT rows (every column of the table, in `columns_of(table)` order) per table, in this
    order, in the session's transaction. Returns the rows written per table. (Rows as value
    sequences, not dicts: the writer process receives them so, and a dict per row cost it ~10 %.)"""
    written = {}
    for table, rows in batches:
        shape = _shape(table)
        if shape.derived:
            rows = _with_derived(shape, rows)
        by_columns: dict[tuple[str, ...], list[Sequence[Any]]] = {}
        if not shape.generated:  # most tables: one statement, no per-row test
            by_columns[shape.columns] = list(rows)
        for row in rows if shape.generated else ():
            # a database-generated id still None is left out: PostgreSQL refuses an explicit NULL
            columns = shape.columns if all(row[i] is not None for i in shape.generated_at) else shape.without_generated
            by_columns.setdefault(columns, []).append(row)
        for columns, values in by_columns.items():
            _insert_many(session, table, columns, values)
        written[table] = len(rows)
    return written


class _RowView(Mapping[str, Any]):
    """One row (a list in its table's column order) read by column name: what the derived
    columns' functions take. One view serves a whole batch, moved from row to row."""

    def __init__(self, index: Mapping[str, int]) -> None:
        self.index = index
        self.row: list[Any] = []

    def __getitem__(self, key: str) -> Any:
        return self.row[self.index[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def _with_derived(shape: _Shape, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The rows with their derived columns computed from the values as the page left them (in the
    order the columns are declared: one may read another computed before it)."""
    view = _RowView(shape.index)
    out = []
    for values in rows:
        row = view.row = list(values)
        for at, derive in shape.derived:
            row[at] = derive(view)
        out.append(row)
    return out


def _insert_many(session: Session, table: type[Any], columns: tuple[str, ...], rows: list[Sequence[Any]]) -> None:
    """One executemany (or COPY) through the driver, values converted by the columns' own bind
    processors. (The same as `session.execute(insert(table), rows)`, without SQLAlchemy's per-row
    parameter assembly, which cost as much as SQLite's own work here.) `rows`: every column of the
    table, in its order (`columns` may leave some out)."""
    connection = session.connection()
    dialect = connection.dialect
    statement = _statement(table, columns, dialect)
    if len(rows) >= COPY_MIN_ROWS and dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy(connection.connection.driver_connection, table, statement, rows, dialect)
        return
    params = [tuple(values) if statement.positional else dict(zip(statement.order, values, strict=True))
              for values in _bound_values(statement, rows)]
    connection.exec_driver_sql(statement.sql, params)


def _bound_values(statement: _Statement, rows: list[Sequence[Any]]) -> Iterator[list[Any]]:
    """Each row's values in the statement's column order, through the columns' bind processors."""
    take = operator.itemgetter(*statement.at)
    processors, keeping_none = statement.processors, statement.keeping_none
    for row in rows:
        values = list(take(row)) if len(statement.at) > 1 else [take(row)]
        for index, process in processors:
            value = values[index]
            if value is not None or index not in keeping_none:
                values[index] = process(value)
        yield values


def _copy_query(table: type[Any], statement: _Statement, *, binary: bool = False) -> Any:
    from psycopg import sql

    return sql.SQL("COPY {} ({}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")).format(
        sql.Identifier(table.__table__.name), sql.SQL(", ").join(map(sql.Identifier, statement.order)))


def _copy(driver: Any, table: type[Any], statement: _Statement, rows: list[Sequence[Any]], dialect: Dialect) -> None:
    """`COPY table (columns) FROM STDIN` on the session's own psycopg connection (its transaction):
    in PostgreSQL's binary format when every value is of the very Python class its column's binary
    form is made from (`_binary_oids`), else as text. Why binary: psycopg formats a row ~3.5x
    faster (no escaping: each value is its bytes and their length) and the server parses no text
    (dates, times, numbers); measured on 2,000 registrations: 5.1 -> 1.4 us a row in the writer,
    11 -> 6.6 ms for the whole COPY with the server's work. Either way the stored values are the
    same (tests/integration/store/test_copy_formats.py)."""
    values = list(_bound_values(statement, rows))
    oids = _binary_oids(statement, values)
    query = _copy_query(table, statement, binary=oids is not None)
    with _as_sqlalchemy_error(dialect, driver, query), driver.cursor() as cursor, cursor.copy(query) as copy:
        if oids is not None:
            copy.set_types(oids)
        for row in values:
            copy.write_row(row)


#: the PostgreSQL types a COPY sends in binary (by the column's type as SQLAlchemy compiles it), as
#: (the oid whose binary form is sent, the one Python class such a value must be); anything else
#: goes as text. JSON (`_binary_form`): SQLAlchemy's bind processor wraps the value in psycopg's
#: `Json`, which psycopg dumps with the engine's serializer in either format (`json`'s binary form
#: is its text; `jsonb` is not listed).
_BINARY_FORMS: dict[str, tuple[int, type]] = {
    "VARCHAR": (1043, str), "TEXT": (25, str),
    "TIMESTAMP WITH TIME ZONE": (1184, datetime), "DATE": (1082, date), "NUMERIC": (1700, Decimal),
    "BOOLEAN": (16, bool), "INTEGER": (23, int), "BIGINT": (20, int),
}


def _binary_form(type_name: str) -> tuple[int, type] | None:
    if type_name == "JSON":
        from psycopg.types.json import Json

        return (114, Json)
    return _BINARY_FORMS.get(type_name)


def _binary_oids(statement: _Statement, rows: list[list[Any]]) -> list[int] | None:
    """The oids to send `rows` (bound values, in `statement.order`) as binary, or None when a column
    is not of a listed type or holds a value of another class (a datetime in a date column, a str in
    a date-time column: their binary forms differ; text COPY lets the server read them)."""
    if statement.binary_forms is None:
        return None
    for (_oid, kind), column in zip(statement.binary_forms, zip(*rows, strict=True), strict=False):
        if not set(map(type, column)) <= {kind, type(None)}:
            return None
    return [oid for oid, _kind in statement.binary_forms]


@contextmanager
def _as_sqlalchemy_error(dialect: Dialect, driver: Any, query: Any) -> Iterator[None]:
    """A failed COPY raised as SQLAlchemy raises a failed statement (`DBAPIError` and its kinds,
    the driver's error as `.orig`), like every other write of the store: callers tell store errors
    by that type (a run whose lock was broken, a full disk)."""
    try:
        yield
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(query.as_string(driver), None, exc, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from exc


class _Statement:
    def __init__(self, table: type[Any], columns: tuple[str, ...], dialect: Dialect) -> None:
        compiled = insert(table.__table__).compile(dialect=dialect, column_keys=list(columns))
        self.sql = str(compiled)
        self.positional = bool(compiled.positiontup)
        self.order: tuple[str, ...] = tuple(compiled.positiontup or columns)
        position = _shape(table).index
        self.at: tuple[int, ...] = tuple(position[key] for key in self.order)  # in a row of every column
        by_key = {c.key: c for c in table.__table__.columns}
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []  # (position in `order`, processor)
        # positions whose processor turns None into None (most; not JSON's, which writes 'null'):
        # a pull's rows hold many empty columns, and each call costs a few nested Python calls
        self.keeping_none: set[int] = set()
        forms: list[tuple[int, type]] = []  # each column's binary COPY form (PostgreSQL: `_binary_form`)
        for index, key in enumerate(self.order):
            impl = by_key[key].type.dialect_impl(dialect)
            form = _binary_form(impl.compile(dialect=dialect).split(" COLLATE")[0]) \
                if dialect.name == "postgresql" else None
            if form is not None:
                forms.append(form)
            processor = impl.bind_processor(dialect)
            if processor is not None and isinstance(by_key[key].type, UtcDateTime):
                processor = _sqlite_utc_text(processor) if dialect.name == "sqlite" else _utc_as_is(processor)
            elif processor is not None and dialect.name == "sqlite" and by_key[key].type._type_affinity is Date:
                processor = _sqlite_date_text(processor)
            if processor is not None:
                self.processors.append((index, processor))
                if _keeps_none(processor):
                    self.keeping_none.add(index)
        #: the columns' binary COPY forms, or None when one column has none (the table goes as text)
        self.binary_forms: list[tuple[int, type]] | None = forms if len(forms) == len(self.order) else None


def _keeps_none(processor: Callable[[Any], Any]) -> bool:
    try:
        return processor(None) is None
    except Exception:  # a processor that refuses None: always call it
        return False


#: datetimes a fast UTC bind path is checked against (its general processor's answers) before use
_UTC_PROBES = (datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC))


def _sqlite_utc_text(general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UtcDateTime's SQLite bind processor, with a fast path for what a pull writes by the hundred
    thousand (an aware datetime in UTC): one C `isoformat` instead of UtcDateTime's checks and
    conversion plus SQLAlchemy's `%`-formatting of seven fields, for the same text. Anything else
    (another zone, a naive datetime it must refuse, None) goes through `general`. If `general` ever
    writes another text (a changed storage format), `general` alone is used."""

    last: list[Any] = [None, None]  # the last datetime converted and its text: a page's rows share
    # their `now` (created_at, updated_at, a link's synced_at are one object)

    def process(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        if value.__class__ is datetime and value.tzinfo is UTC:
            text = value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
            last[0], last[1] = value, text
            return text
        return general(value)

    return process if all(process(p) == general(p) for p in _UTC_PROBES) else general


#: dates a fast date bind path is checked against (its general processor's answers) before use
_DATE_PROBES = (date(2026, 1, 2), date(999, 12, 31), date(1, 1, 1), date(9999, 12, 31))


def _sqlite_date_text(general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A date column's SQLite bind processor, with a fast path for a `date` (not a datetime, which
    `general` writes without its time): its C `isoformat` instead of SQLAlchemy's `%`-formatting of
    three fields, for the same text (checked on probes, else `general` alone is used)."""

    def process(value: Any) -> Any:
        if value.__class__ is date:
            return value.isoformat()
        return general(value)

    return process if all(process(p) == general(p) for p in _DATE_PROBES) else general


def _utc_as_is(general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UtcDateTime's bind processor elsewhere (PostgreSQL): an aware datetime in UTC, what a pull
    writes by the hundred thousand (~1 us each through UtcDateTime's checks and `astimezone`), is
    sent as it is: `astimezone(UTC)` of it is an equal datetime in UTC, which the driver writes as
    the same text. Anything else goes through `general`; if `general` ever returns something else
    for a UTC datetime, `general` alone is used."""

    def process(value: Any) -> Any:
        if value.__class__ is datetime and value.tzinfo is UTC:
            return value
        return general(value)

    def same(value: datetime) -> bool:
        converted = general(value)
        return converted.__class__ is datetime and converted == value and converted.tzinfo is UTC

    return process if all(same(p) for p in _UTC_PROBES) else general


_STATEMENTS: dict[tuple[type[Any], tuple[str, ...], str], _Statement] = {}


def _statement(table: type[Any], columns: tuple[str, ...], dialect: Dialect) -> _Statement:
    key = (table, columns, dialect.name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _Statement(table, columns, dialect)
    return _STATEMENTS[key]


class _Shape:
    def __init__(self, table: type[Any]) -> None:
        columns = list(sa_inspect(table).columns)
        self.columns = tuple(c.key for c in columns)
        self.generated = tuple(c.key for c in columns if c.primary_key and c.autoincrement is not False
                               and c.type.python_type is int)
        self.index = {key: at for at, key in enumerate(self.columns)}
        self.generated_at = tuple(self.index[key] for key in self.generated)
        self.without_generated = tuple(key for key in self.columns if key not in self.generated)
        #: (position, function of the row) of the columns computed as rows are written (_DERIVED)
        self.derived = tuple((self.index[key], derive) for key, derive in _DERIVED.get(table, {}).items())
        defaults = column_defaults(table)  # type: ignore[arg-type]  # a model class is hashable; its metaclass hides it
        self.template = {key: default for key, (_nullable, default) in defaults.items()}


_SHAPES: dict[type[Any], _Shape] = {}


def _shape(table: type[Any]) -> _Shape:
    shape = _SHAPES.get(table)
    if shape is None:
        shape = _SHAPES[table] = _Shape(table)
    return shape

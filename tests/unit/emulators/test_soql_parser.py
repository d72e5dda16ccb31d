"""Pure unit tests of the SOQL subset parser and compiler (no server, no SDK)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from simple_salesforce.format import format_soql

from connectors.salesforce.emulator.schema import default_schema
from connectors.salesforce.emulator.soql import BoolOp, Condition, SoqlError, like_regex, parse
from connectors.salesforce.emulator.soql_compile import compile_query


def test_select_fields_where_order_limit() -> None:
    query = parse("select Id, Partner_Account__r.PRM_Id__c from Lead where Name = 'x' "
                  "order by SystemModstamp asc nulls last, Id desc limit 10 offset 5")
    assert query.sobject == "Lead"
    assert query.fields == [("Id",), ("Partner_Account__r", "PRM_Id__c")]
    assert isinstance(query.where, Condition) and query.where.value.value == "x"
    assert [(o.field, o.descending, o.nulls_last) for o in query.order_by] == [
        (("SystemModstamp",), False, True), (("Id",), True, False)]
    assert (query.limit, query.offset) == (10, 5)


def test_count_and_precedence() -> None:
    query = parse("SELECT COUNT() FROM Account WHERE A = 1 OR B = 2 AND NOT (C = 3)")
    assert query.count_only
    assert isinstance(query.where, BoolOp) and query.where.op == "OR"
    right = query.where.items[1]
    assert right.op == "AND" and right.items[1].op == "NOT"


@pytest.mark.parametrize("literal, expected", [
    ("2024-01-01T00:00:00Z", dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    ("2024-01-01T00:00:00.000Z", dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    ("2024-01-01T00:00:00+00:00", dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    ("2024-01-01T02:00:00+0200", dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
])
def test_datetime_literals(literal: str, expected: dt.datetime) -> None:
    cond = parse(f"SELECT Id FROM Account WHERE SystemModstamp >= {literal}").where
    assert isinstance(cond, Condition)
    assert cond.value.kind == "datetime" and cond.value.value == expected


def test_other_literals() -> None:
    where = parse("SELECT Id FROM A WHERE X IN ('a', 'b') AND Y NOT IN (1, 2.5) AND Z = null "
                  "AND W = true AND V = 2024-02-29").where
    assert isinstance(where, BoolOp)
    ops = [(c.op, c.value) for c in where.items]
    assert ops[0][0] == "IN" and [v.value for v in ops[0][1]] == ["a", "b"]
    assert ops[1][0] == "NOTIN" and [v.value for v in ops[1][1]] == [Decimal(1), Decimal("2.5")]
    assert ops[2][1].kind == "null" and ops[3][1].value is True
    assert ops[4][1].value == dt.date(2024, 2, 29)


@pytest.mark.parametrize("value", ["O'Brien", "back\\slash", "line\nbreak", 'quote"d', "tab\t"])
def test_string_escapes_round_trip_format_soql(value: str) -> None:
    cond = parse(format_soql("SELECT Id FROM Account WHERE Name = {}", value)).where
    assert isinstance(cond, Condition) and cond.value.value == value


def test_like_escapes() -> None:
    pattern = like_regex(format_soql("{:like}", "50%_off") + "%")
    assert pattern.fullmatch("50%_off and more")
    assert not pattern.fullmatch("50XYoff")
    assert like_regex("a_c").fullmatch("ABC")


@pytest.mark.parametrize("soql", [
    "SELECT FROM Account", "SELECT Id Account", "SELECT Id FROM Account WHERE",
    "SELECT Id FROM Account WHERE Name = 'unterminated", "SELECT Id FROM Account LIMIT x",
    "SELECT Id FROM Account WHERE Name == 'x'", "SELECT Id FROM Account WHERE Name = 'a\\q'",
])
def test_malformed(soql: str) -> None:
    with pytest.raises(SoqlError) as info:
        parse(soql)
    assert info.value.error_code == "MALFORMED_QUERY"


@pytest.mark.parametrize("soql, code", [
    ("SELECT Id FROM Account WHERE SystemModstamp > '2024-01-01T00:00:00Z'", "INVALID_FIELD"),
    ("SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01", "INVALID_FIELD"),
    ("SELECT Id FROM Account WHERE Name = 5", "INVALID_FIELD"),
    ("SELECT Bogus FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Bogus", "INVALID_TYPE"),
    ("SELECT Nope__r.Name FROM Lead", "INVALID_FIELD"),
])
def test_compile_errors(soql: str, code: str) -> None:
    with pytest.raises(SoqlError) as info:
        compile_query(soql, default_schema(), lambda obj, rid: None)
    assert info.value.error_code == code


def test_compiled_predicate_and_sort() -> None:
    stamp = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = [
        {"Id": "b", "Name": "beta", "SystemModstamp": stamp, "Partner_Tier__c": None},
        {"Id": "a", "Name": "Alpha", "SystemModstamp": stamp, "Partner_Tier__c": "Gold"},
        {"Id": "c", "Name": "gamma", "SystemModstamp": stamp + dt.timedelta(seconds=1),
         "Partner_Tier__c": "Silver"},
    ]
    compiled = compile_query(
        "SELECT Id FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00Z AND "
        "Name != 'GAMMA' ORDER BY SystemModstamp, Id", default_schema(), lambda o, i: None)
    assert compiled.predicate is not None and compiled.sort is not None
    assert [r["Id"] for r in compiled.sort([r for r in rows if compiled.predicate(r)])] == \
        ["a", "b"]
    by_tier = compile_query("SELECT Id FROM Account ORDER BY Partner_Tier__c DESC NULLS LAST",
                            default_schema(), lambda o, i: None)
    assert by_tier.sort is not None
    assert [r["Id"] for r in by_tier.sort(rows)] == ["c", "a", "b"]

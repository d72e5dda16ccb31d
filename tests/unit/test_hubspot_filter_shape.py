"""A HubSpot mapping's `filter` is checked offline for what HubSpot's search would refuse: the value
each operator takes, and how many filters fit beside the ones each read adds (HubSpot: 6 filters
a group, 18 in all; a read adds 2 to each of up to 3 groups, so 4 at most). Errors name FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from prm_sync.errors import MappingError
from prm_sync.mapping import compile_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "mappings" / "hubspot.yaml").read_text(encoding="utf-8")
PARTNER_FILTER = '      - {property: prm_is_partner, operator: EQ, value: "true"}\n'


def compile_with(filters: list[str]) -> MappingError | None:
    assert PARTNER_FILTER in SHIPPED
    text = SHIPPED.replace(PARTNER_FILTER, "".join(f"      - {item}\n" for item in filters), 1)
    try:
        compile_text(text, "mappings/hubspot.yaml")
    except MappingError as exc:
        return exc
    return None


def line_of(needle: str, filters: list[str]) -> int:
    text = SHIPPED.replace(PARTNER_FILTER, "".join(f"      - {item}\n" for item in filters), 1)
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("item", "said"), [
    ("{property: hs_pipeline, operator: IN, value: partner_registrations}",
     "operator IN takes values (a list), not value"),
    ("{property: hs_pipeline, operator: NOT_IN, values: []}", "operator NOT_IN takes values (a list of at least one)"),
    ("{property: amount, operator: BETWEEN, value: 1}", "operator BETWEEN takes value and highValue"),
    ("{property: amount, operator: GT}", "operator GT takes value"),
    ("{property: amount, operator: HAS_PROPERTY, value: 1}", "operator HAS_PROPERTY takes no value"),
    ("{property: amount, operator: EQ, value: 1, values: [1, 2]}", "operator EQ takes value, not values"),
])
def test_each_operator_takes_its_own_values(item: str, said: str) -> None:
    error = compile_with(['{property: prm_is_partner, operator: EQ, value: "true"}', item])
    assert error is not None
    (problem,) = error.problems
    assert problem.line == line_of(item.split(",")[0], ['{property: prm_is_partner, operator: EQ, value: "true"}',
                                                         item])
    assert problem.path == "entities.partner.filter[1]"
    assert said in problem.message


def test_well_formed_filters_of_each_shape_compile() -> None:
    assert compile_with(['{property: prm_is_partner, operator: EQ, value: "true"}',
                         "{property: hs_pipeline, operator: IN, values: [a, b]}",
                         "{property: amount, operator: BETWEEN, value: 1, highValue: 9}",
                         "{property: domain, operator: HAS_PROPERTY}"]) is None


def test_at_most_four_filters() -> None:
    filters = ['{property: prm_is_partner, operator: EQ, value: "true"}'] + \
        [f"{{property: domain, operator: NEQ, value: x{i}.com}}" for i in range(4)]
    error = compile_with(filters)
    assert error is not None
    (problem,) = error.problems
    assert problem.path == "entities.partner.filter"
    assert "at most 4 filters" in problem.message and "5" in problem.message


def test_four_filters_fit_the_widest_search_a_read_makes() -> None:
    """The most filter groups a read sends (the settled window, then a timestamp's rest by id and
    what comes after it: 3 groups of 2) with MAX_MAPPING_FILTERS beside each stay within the
    search's limits as the emulator keeps them (HubSpot's: 5 groups, 6 filters a group, 18 in all)."""
    from connectors.hubspot.emulator.schema import default_portal_schema
    from connectors.hubspot.emulator.search import SearchError, compile_search
    from connectors.hubspot.filters import MAX_MAPPING_FILTERS
    from connectors.hubspot.pull import ChangeReader

    reader = ChangeReader(None, "companies", "hs_lastmodifieddate", ["name"],  # type: ignore[arg-type]
                          [{"propertyName": "domain", "operator": "NEQ", "value": f"x{i}.com"}
                           for i in range(MAX_MAPPING_FILTERS)], associate=lambda hits: {})
    groups = reader._window_groups(1_000, (2_000, 7), (500, 1_500), 3_000)
    assert len(groups) == 3 and all(len(group) == 2 for group in groups)
    companies = default_portal_schema().object_types["companies"]
    body = {"filterGroups": [{"filters": [*group, *reader.filters]} for group in groups]}
    compile_search(companies, body)                      # within the limits
    one_more = {"filterGroups": [{"filters": [*group, *reader.filters, reader.filters[0]]} for group in groups]}
    with pytest.raises(SearchError, match="Too many filters"):
        compile_search(companies, one_more)

"""A HubSpot mapping's `filter`: a list of CRM search filters, each {property, operator, value}.

Registered through the CrmPlugin hook (`filter_model`), so the mapping schema stays CRM-neutral:
the core validates each list item with this model and the connector turns the validated items
into search API filter objects (pull.mapping_filters).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | bool
#: filters a mapping may give: the search API takes 6 filters a group and 18 in all, and each read
#: adds 2 of its own to each of up to 3 groups (pull.Search._window_groups), so 3 x (2 + 4) = 18
MAX_MAPPING_FILTERS = 4
#: why, said with a mapping that gives more
MAX_FILTERS_HINT = ("HubSpot's search takes 6 filters in a group and 18 in all, and each read adds 2 of its own "
                    "to up to 3 groups")
#: the search API's filter operators (vendor-specs: CRM search, "filterGroups[].filters[].operator")
Operator = Literal["EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
                   "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"]


class HubSpotFilter(BaseModel):
    """HubSpot search filter: {property, operator, value} (highValue with BETWEEN, values with IN)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    property: str = Field(min_length=1, description="HubSpot property name")
    operator: Operator
    value: Scalar | None = None
    high_value: Scalar | None = Field(None, alias="highValue", description="upper bound with BETWEEN")
    values: list[Scalar] | None = Field(None, description="the values with IN / NOT_IN")

    @model_validator(mode="after")
    def _values_fit_the_operator(self) -> HubSpotFilter:
        """What HubSpot's search would refuse (400) for this operator, said at the mapping's line."""
        op, given = self.operator, {"value": self.value, "highValue": self.high_value, "values": self.values}
        if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            takes: tuple[str, ...] = ()
        elif op in ("IN", "NOT_IN"):
            takes = ("values",)
        elif op == "BETWEEN":
            takes = ("value", "highValue")
        else:
            takes = ("value",)
        extra = [name for name, value in given.items() if value is not None and name not in takes]
        if not takes and extra:
            raise ValueError(f"operator {op} takes no value ({', '.join(extra)} given)")
        if op in ("IN", "NOT_IN") and (extra or not self.values):
            raise ValueError(f"operator {op} takes values (a list), not {extra[0]}" if extra
                             else f"operator {op} takes values (a list of at least one)")
        missing = [name for name in takes if given[name] is None]
        if missing or extra:
            wanted = " and ".join(takes)
            raise ValueError(f"operator {op} takes {wanted}" + (f", not {', '.join(extra)}" if extra else ""))
        return self

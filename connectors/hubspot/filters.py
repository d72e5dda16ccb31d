"""A HubSpot mapping's `filter`: a list of CRM search filters, each {property, operator, value}.

Registered through the CrmPlugin hook (`filter_model`), so the mapping schema stays CRM-neutral:
the core validates each list item with this model and the connector turns the validated items
into search API filter objects (pull.mapping_filters).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | bool
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

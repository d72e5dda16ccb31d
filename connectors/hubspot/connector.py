"""The HubSpot connector: prm-sync's Connector protocol over hubspot-api-client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from connectors.hubspot import associations, pull
from connectors.hubspot.budget import Budget
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.describe import describe
from connectors.hubspot.objects import ObjectTypes
from connectors.hubspot.push import Pusher
from connectors.hubspot.settings import HubSpotSettings
from connectors.hubspot.setup import HubSpotSetup
from prm_sync.connector import (
    ApiUsage,
    Capabilities,
    Cursor,
    Deletion,
    EntityMapper,
    FieldInfo,
    Page,
    PushRecord,
    RetryPolicy,
    SetupOutcome,
    SetupPlan,
    UpsertResult,
)

SYSTEM_PROPERTIES = ("hs_object_id",)


class HubSpotConnector:
    crm = "hubspot"
    #: prm_sync.connector.SettledRechecks; CrmSetup (connectors/hubspot/setup.py)
    capabilities = Capabilities(rechecks_settled_windows=True, sets_up_crm=True)

    def __init__(self, settings: HubSpotSettings, *, policy: RetryPolicy | None = None,
                 daily_api_budget: int | None = None) -> None:
        self.budget = Budget(configured=daily_api_budget)
        self.client = HubSpotClient(settings, policy or RetryPolicy(), self.budget)
        self.types = ObjectTypes(self.client)
        self.setup = HubSpotSetup(self.client, self.types)

    def plan_setup(self, mappers: Sequence[EntityMapper]) -> SetupPlan:
        return self.setup.plan(mappers)

    def apply_setup(self, plan: SetupPlan) -> SetupOutcome:
        return self.setup.apply(plan)

    def describe(self, mapper: EntityMapper) -> dict[str, FieldInfo]:
        return describe(self.client, self.types.path_name(mapper.object),
                        self.types.required_properties(mapper.object))

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime, *,
                     settled: tuple[dt.datetime, dt.datetime] | None = None) -> Iterator[Page]:
        object_type = self.types.path_name(mapper.object)
        modified = self.types.modified_property(mapper.object)
        properties = list(dict.fromkeys([*mapper.crm_fields_to_read(), *SYSTEM_PROPERTIES, modified]))
        refs = [r for r in mapper.references if r.association is not None and r.pull]
        targets = {r.name: self.types.path_name(str(r.association)) for r in refs}

        def associate(hits: Sequence[pull.Hit]) -> dict[int, dict[str, tuple[str, ...]]]:
            linked: dict[int, dict[str, tuple[str, ...]]] = {h.id: {} for h in hits}
            ids = [str(h.id) for h in hits]
            for ref in refs:
                found = associations.read_targets(self.client, object_type, targets[ref.name], ids,
                                                  ref.association_type)
                for hit in hits:
                    linked[hit.id][ref.name] = found.get(str(hit.id), ())
            return linked

        reader = pull.ChangeReader(self.client, object_type, modified, properties,
                                   pull.mapping_filters(mapper.filter), associate)
        return reader.pages(since, until, settled)

    def read_deletions(self, mapper: EntityMapper, since: dt.datetime | None) -> Iterator[Deletion]:
        return pull.archived_since(self.client, self.types.path_name(mapper.object), mapper.crm_key, since)

    def upsert(self, mapper: EntityMapper, records: Sequence[PushRecord]) -> list[UpsertResult]:
        if not records:
            return []
        return Pusher(self.client, self.types, mapper).upsert(records)

    def delete(self, mapper: EntityMapper, crm_ids: Sequence[str]) -> list[UpsertResult]:
        if not crm_ids:
            return []
        return Pusher(self.client, self.types, mapper).archive(crm_ids)

    def usage(self) -> ApiUsage:
        return self.budget.usage()

    def close(self) -> None:
        self.client.close()

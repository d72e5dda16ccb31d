"""SalesforceConnector: prm-sync's Connector protocol over simple-salesforce (see the modules it uses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from connectors.salesforce import describe as describing
from connectors.salesforce import pull, push
from connectors.salesforce.budget import Budget
from connectors.salesforce.bulk import bulk_write
from connectors.salesforce.bulk_query import DEFAULT_MAX_RECORDS, FIRST_POLL_S, BulkQuerySettings
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.setup import SalesforceSetup
from connectors.salesforce.soql import identifier
from prm_sync.connector import (
    ApiUsage,
    Capabilities,
    Cursor,
    Deletion,
    EntityMapper,
    FieldInfo,
    Page,
    PushRecord,
    SetupOutcome,
    SetupPlan,
    UpsertResult,
)


class SalesforceConnector:
    crm = "salesforce"

    def __init__(self, client: SalesforceClient, *, bulk_threshold: int = 2000, bulk_wait_s: float = 1.0,
                 bulk_query_threshold: int = 10_000, bulk_query_page: int = DEFAULT_MAX_RECORDS) -> None:
        self.client = client
        #: first full reads above this many rows (the first REST page's totalSize tells) go through a
        #: Bulk API 2.0 query job
        # a query job's first status poll: the ingest wait (1 s from the CLI) is long for a job that
        # may be done in a second; backoff takes over from FIRST_POLL_S
        self.bulk_query = BulkQuerySettings(threshold=bulk_query_threshold,
                                            first_wait_s=min(bulk_wait_s, FIRST_POLL_S),
                                            max_records=bulk_query_page)
        self.bulk_threshold = bulk_threshold
        # The engine hands over this many records at once, so a push above the threshold goes bulk.
        # Bounded: a threshold set very high (bulk off, in effect) must not make the engine hold
        # every pending row in memory at once.
        # queryAll returns deleted rows in the change stream, so no separate deletion sweep is due.
        self.capabilities = Capabilities(
            change_stream_has_deletions=True,
            push_batch_size=max(10_000, bulk_threshold + 1) if bulk_threshold < 50_000 else 10_000,
            sets_up_crm=True,
            prepares_reads=True,
        )
        self.bulk_wait_s = bulk_wait_s
        self._described: dict[str, dict[str, FieldInfo]] = {}
        self._setup = SalesforceSetup(client, on_change=self._described.clear)

    @property
    def budget(self) -> Budget:
        return self.client.budget

    def describe(self, mapper: EntityMapper) -> dict[str, FieldInfo]:
        obj = identifier(mapper.object)
        if obj not in self._described:
            body = self.client.call(lambda sf: sf.restful(f"sobjects/{obj}/describe"))
            self._described[obj] = describing.fields_of(body or {})
        return dict(self._described[obj])

    def read_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> Iterator[Page]:
        return pull.read_changes(self.client, mapper, since, until, self.bulk_query)

    def prepare_changes(self, mapper: EntityMapper, since: Cursor | None, until: dt.datetime) -> pull.PreparedRead:
        """PreparedReads: the first REST page now and, when it chooses Bulk, the query job's create; the
        job takes its rows on Salesforce's side until `pages()` polls it. A prepared read never read
        is abandoned, not aborted: an abort is one call more, refused anyway once the budget or the
        deadline stopped the run, and it returns nothing (Salesforce deletes a query job and its
        results 7 days after it finished)."""
        return pull.prepare_changes(self.client, mapper, since, until, self.bulk_query)

    def read_deletions(self, mapper: EntityMapper, since: dt.datetime | None) -> Iterator[Deletion]:
        return pull.read_deletions(self.client, mapper, since)

    def upsert(self, mapper: EntityMapper, records: Sequence[PushRecord]) -> list[UpsertResult]:
        upserts, updates, results = push.prepare(mapper, records)
        for group, by_key in ((upserts, True), (updates, False)):
            use_bulk = len(group) > self.bulk_threshold

            def bulk(items: Sequence[push.Item], keyed: bool) -> list[UpsertResult]:
                return bulk_write(self.client, mapper, items, keyed, self.bulk_wait_s)

            written = push.write_group(self.client, mapper, group, by_key, bulk if use_bulk else None)
            results.update((item.index, result) for item, result in zip(group, written, strict=True))
        return [results[i] for i in range(len(records))]

    def delete(self, mapper: EntityMapper, crm_ids: Sequence[str]) -> list[UpsertResult]:
        return push.delete(self.client, crm_ids)

    def plan_setup(self, mappers: Sequence[EntityMapper]) -> SetupPlan:
        """`crm setup`: what the org lacks for `mappers` (connectors/salesforce/setup.py); reads only."""
        return self._setup.plan_setup(mappers)

    def apply_setup(self, plan: SetupPlan) -> SetupOutcome:
        return self._setup.apply_setup(plan)

    def usage(self) -> ApiUsage:
        return self.budget.usage()

    def close(self) -> None:
        self.client.close()

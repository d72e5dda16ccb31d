"""HubSpot emulator, batch API (read/create/update/upsert/archive), driven by the real SDK."""

from __future__ import annotations

import pytest
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
)

from tests.integration.emulators.hs_fixtures import error_json


def create_many(hub, count: int, prefix: str = "k"):
    inputs = [{"properties": {"name": f"n{i}", "prm_id": f"{prefix}{i}"}} for i in range(count)]
    return hub.c_batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))


def upsert(hub, inputs):
    return hub.c_batch.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))


def test_batch_create_answers_201_in_shuffled_order(hub):
    answer = create_many(hub, 20)
    assert answer.status == "COMPLETE" and len(answer.results) == 20
    keys = [r.properties["prm_id"] for r in answer.results]
    assert sorted(keys) == sorted(f"k{i}" for i in range(20))
    assert keys != [f"k{i}" for i in range(20)]
    stamps = {r.properties["hs_lastmodifieddate"] for r in answer.results}
    assert len(stamps) == 1  # one request, one millisecond


def test_101_inputs_are_refused_with_hubspots_message(hub):
    for call in (lambda: create_many(hub, 101),
                 lambda: upsert(hub, [{"id": f"x{i}", "idProperty": "prm_id", "properties": {}}
                                      for i in range(101)]),
                 lambda: hub.c_batch.read(BatchReadInputSimplePublicObjectId(
                     inputs=[{"id": str(i)} for i in range(101)], properties=[],
                     properties_with_history=[]))):
        with pytest.raises(Exception) as refused:
            call()
        assert refused.value.status == 400
        body = error_json(refused.value)
        assert body["category"] == "VALIDATION_ERROR"
        assert body["message"].startswith("The maximum number of inputs supported in a batch is 100")
    assert hub.emu.store.tables["companies"].records == {}


def test_one_invalid_input_fails_the_whole_batch(hub):
    inputs = [{"properties": {"name": "ok"}}, {"properties": {"prm_partner_tier": "diamond"}}]
    with pytest.raises(Exception) as refused:
        hub.c_batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    body = error_json(refused.value)
    assert refused.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "INVALID_OPTION"
    assert body["errors"][0]["context"]["inputIndex"] == ["1"]
    assert hub.emu.store.tables["companies"].records == {}
    with pytest.raises(Exception) as refused:
        upsert(hub, [{"id": "a", "idProperty": "prm_id", "properties": {"name": "a"}},
                     {"id": "b", "idProperty": "prm_id", "properties": {"nope": "1"}}])
    assert error_json(refused.value)["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert hub.emu.store.tables["companies"].records == {}


def test_upsert_creates_then_updates_by_unique_property(hub):
    first = upsert(hub, [{"id": f"u{i}", "idProperty": "prm_id", "properties": {"name": "one"}}
                         for i in range(100)])
    assert len(first.results) == 100 and all(r.new for r in first.results)
    hub.clock.advance(seconds=1)
    second = upsert(hub, [{"id": "u1", "idProperty": "prm_id", "properties": {"name": "two"}},
                          {"id": "u100", "idProperty": "prm_id", "properties": {"name": "new"}}])
    by_key = {r.properties["prm_id"]: r for r in second.results}
    assert not by_key["u1"].new and by_key["u1"].properties["name"] == "two"
    assert by_key["u100"].new
    assert by_key["u1"].id == next(r.id for r in first.results if r.properties["prm_id"] == "u1")


def test_upsert_refuses_duplicate_ids_and_non_unique_id_property(hub):
    with pytest.raises(Exception) as dupes:
        upsert(hub, [{"id": "d", "idProperty": "prm_id", "properties": {}}] * 2)
    assert "Duplicate IDs found in batch input" in error_json(dupes.value)["message"]
    with pytest.raises(Exception) as not_unique:
        upsert(hub, [{"id": "d", "idProperty": "name", "properties": {}}])
    assert not_unique.value.status == 400


def test_batch_read_and_update_give_207_for_missing_ids(hub):
    ids = [r.id for r in create_many(hub, 3).results]
    read = hub.c_batch.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": i} for i in [*ids, "999999"]], properties=["name"],
        properties_with_history=[]))
    assert sorted(r.id for r in read.results) == sorted(ids)
    assert read.num_errors == 1 and read.errors[0].category == "OBJECT_NOT_FOUND"
    assert read.errors[0].context == {"ids": ["999999"]}
    by_key = hub.c_batch.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": "k0"}], id_property="prm_id", properties=[], properties_with_history=[]))
    assert by_key.results[0].properties["prm_id"] == "k0"

    updated = hub.c_batch.update(BatchInputSimplePublicObjectBatchInput(inputs=[
        {"id": ids[0], "properties": {"name": "renamed"}},
        {"id": "999999", "properties": {"name": "ghost"}}]))
    assert [r.properties["name"] for r in updated.results] == ["renamed"]
    assert updated.errors[0].context == {"ids": ["999999"]}


def test_batch_archive_then_read_archived(hub):
    ids = [r.id for r in create_many(hub, 4).results]
    assert hub.c_batch.archive(BatchInputSimplePublicObjectId(
        inputs=[{"id": i} for i in ids[:2]])) is None
    live = hub.c_batch.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": i} for i in ids], properties=[], properties_with_history=[]))
    assert sorted(r.id for r in live.results) == sorted(ids[2:])
    gone = hub.c_batch.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": i} for i in ids[:2]], properties=[], properties_with_history=[]),
        archived=True)
    assert all(r.archived for r in gone.results) and len(gone.results) == 2
    assert hub.emu.calls("batch/archive") == 1


def test_unique_value_clash_in_batch_update(hub):
    by_key = {r.properties["prm_id"]: r.id for r in create_many(hub, 2).results}
    with pytest.raises(Exception) as clash:
        hub.c_batch.update(BatchInputSimplePublicObjectBatchInput(inputs=[
            {"id": by_key["k0"], "properties": {"prm_id": "k1"}}]))
    assert error_json(clash.value)["errors"][0]["code"] == "CONFLICTING_UNIQUE_VALUE"

"""HubSpot emulator, basic objects API, properties and schemas, driven by the real SDK."""

from __future__ import annotations

import datetime as dt

import pytest
from hubspot.crm.companies import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.objects import SimplePublicObjectInputForCreate as ObjectCreate

from connectors.hubspot.emulator import default_portal_schema
from tests.integration.emulators.hs_fixtures import Hub, error_json, running_hub


def create_company(hub: Hub, **props: str):
    return hub.c_basic.create(SimplePublicObjectInputForCreate(properties=props))


def test_create_get_update_archive_roundtrip(hub):
    created = create_company(hub, name="Acme", prm_id="p-1", prm_partner_tier="gold")
    assert created.properties["hs_object_id"] == created.id
    assert created.properties["createdate"] == "2026-11-26T21:27:33.123Z"
    assert created.created_at == dt.datetime(2026, 11, 26, 21, 27, 33, 123000, tzinfo=dt.UTC)

    hub.clock.advance(seconds=5)
    hub.c_basic.update(created.id, SimplePublicObjectInput(properties={"prm_partner_tier": "silver"}))
    got = hub.c_basic.get_by_id(created.id, properties=["prm_partner_tier", "domain"])
    assert got.properties["prm_partner_tier"] == "silver"
    assert got.properties["domain"] is None
    assert got.properties["hs_lastmodifieddate"] == "2026-11-26T21:27:38.123Z"
    by_unique = hub.c_basic.get_by_id("p-1", id_property="prm_id")
    assert by_unique.id == created.id and set(by_unique.properties) >= {"name", "domain"}

    hub.clock.advance(seconds=5)
    hub.c_basic.archive(created.id)
    with pytest.raises(Exception) as missing:
        hub.c_basic.get_by_id(created.id)
    assert missing.value.status == 404
    archived = hub.c_basic.get_by_id(created.id, archived=True)
    assert archived.archived and archived.archived_at.second == 43
    assert archived.properties["hs_lastmodifieddate"] == "2026-11-26T21:27:38.123Z"


def test_list_pages_past_three_pages_and_archived_listing(hub):
    ids = [create_company(hub, name=f"c{i}").id for i in range(25)]
    seen, after, pages = [], None, 0
    while True:
        page = hub.c_basic.get_page(limit=7, after=after, properties=["name"])
        pages += 1
        seen += [r.id for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert pages == 4 and seen == ids
    for record_id in ids[:3]:
        hub.c_basic.archive(record_id)
    archived = hub.c_basic.get_page(archived=True)
    assert [r.id for r in archived.results] == ids[:3]
    assert all(r.archived and r.archived_at for r in archived.results)
    assert len(hub.c_basic.get_page(limit=100).results) == 22


def test_validation_errors_have_hubspots_shape(hub):
    with pytest.raises(Exception) as bad:
        create_company(hub, name="X", prm_partner_tier="diamond", nope="1")
    assert bad.value.status == 400
    body = error_json(bad.value)
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
    assert body["correlationId"] and body["message"].startswith("Property values were not valid")
    codes = {e["code"]: e["context"]["propertyName"] for e in body["errors"]}
    assert codes == {"INVALID_OPTION": ["prm_partner_tier"], "PROPERTY_DOESNT_EXIST": ["nope"]}
    for props, code in [({"prm_partner_since": "2026-01-01T10:00:00Z"}, "INVALID_DATE"),
                        ({"hs_is_closed": "true"}, "PROPERTY_DOESNT_EXIST"),
                        ({"prm_is_partner": "maybe"}, "INVALID_BOOLEAN")]:
        with pytest.raises(Exception) as bad:
            create_company(hub, **props)
        assert error_json(bad.value)["errors"][0]["code"] == code
    create_company(hub, prm_id="dup")
    with pytest.raises(Exception) as dup:
        create_company(hub, prm_id="dup")
    assert error_json(dup.value)["errors"][0]["code"] == "CONFLICTING_UNIQUE_VALUE"


def test_deal_calculated_properties_follow_the_stage(hub):
    deals = hub.client.crm.deals.basic_api
    from hubspot.crm.deals import SimplePublicObjectInput as DealUpdate
    from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate
    deal = deals.create(DealCreate(properties={"dealname": "D", "dealstage": "contractsent",
                                               "amount": "12.50"}))
    assert deal.properties["hs_is_closed_won"] == "false"
    deals.update(deal.id, DealUpdate(properties={"dealstage": "closedwon"}))
    got = deals.get_by_id(deal.id, properties=["hs_is_closed_won", "hs_is_closed"])
    assert got.properties["hs_is_closed_won"] == "true" and got.properties["hs_is_closed"] == "true"
    with pytest.raises(Exception) as read_only:
        deals.update(deal.id, DealUpdate(properties={"hs_is_closed_won": "false"}))
    assert error_json(read_only.value)["errors"][0]["code"] == "READ_ONLY_VALUE"


def test_contacts_keep_lastmodifieddate(hub):
    contacts = hub.client.crm.contacts.basic_api
    from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
    contact = contacts.create(ContactCreate(properties={"email": "a@b.example"}))
    assert contact.properties["lastmodifieddate"] == "2026-11-26T21:27:33.123Z"


@pytest.mark.parametrize("type_ref", ["2-12345", "p12345_partner_commissions",
                                      "partner_commissions", "p_partner_commissions"])
def test_custom_object_by_type_id_full_name_and_name(hub, type_ref):
    created = hub.o_basic.create(type_ref, ObjectCreate(properties={
        "prm_id": "c-1", "amount": "10.5", "status": "approved"}))
    got = hub.o_basic.get_by_id("2-12345", created.id, properties=["amount", "status"])
    assert got.properties["amount"] == "10.5" and got.properties["status"] == "approved"


def test_unknown_object_type_is_a_400(hub):
    with pytest.raises(Exception) as bad:
        hub.o_basic.get_page("widgets")
    assert bad.value.status == 400


def test_properties_api(hub):
    tier = hub.properties.get_by_name("companies", "prm_partner_tier")
    assert tier.type == "enumeration" and [o.value for o in tier.options] == [
        "platinum", "gold", "silver", "registered"]
    prm_id = hub.properties.get_by_name("deals", "prm_id")
    assert prm_id.has_unique_value and not prm_id.modification_metadata.read_only_value
    won = hub.properties.get_by_name("deals", "hs_is_closed_won")
    assert won.calculated and won.modification_metadata.read_only_value and won.type == "bool"
    names = {p.name for p in hub.properties.get_all("contacts").results}
    assert {"email", "prm_id", "lastmodifieddate"} <= names
    with pytest.raises(Exception) as missing:
        hub.properties.get_by_name("companies", "nope")
    assert missing.value.status == 404


def test_schemas_api_lists_the_custom_object(hub):
    by_name = {s.name: s for s in hub.schemas.get_all().results}
    assert set(by_name) == {"partner_commissions", "partner_fund_requests", "partner_fund_claims"}
    schema = by_name["partner_commissions"]
    assert schema.object_type_id == "2-12345"
    assert schema.fully_qualified_name == "p12345_partner_commissions"
    assert {p.name for p in schema.properties} >= {"prm_id", "amount", "status"}
    assert hub.schemas.get_by_id("partner_commissions").name == "partner_commissions"
    claims = by_name["partner_fund_claims"]
    assert claims.object_type_id == "2-12347"
    assert {(a.from_object_type_id, a.to_object_type_id) for a in claims.associations} == {
        ("2-12347", "2-12346"), ("2-12347", "0-2")}


def test_a_portal_can_lack_properties_or_have_other_options():
    schema = default_portal_schema()
    schema.remove_property("companies", "prm_partner_tier")
    schema.set_options("companies", "prm_partner_status", ["active", "gone"])
    with running_hub(schema=schema) as hub:
        with pytest.raises(Exception) as bad:
            create_company(hub, prm_partner_tier="gold")
        assert error_json(bad.value)["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
        assert create_company(hub, prm_partner_status="gone").properties[
            "prm_partner_status"] == "gone"


def test_missing_or_wrong_token_is_a_401(hub):
    for token in (None, "wrong"):
        answer = hub.raw("GET", "/crm/v3/objects/companies", token=token)
        assert answer.status == 401
        assert answer.json()["category"] == "INVALID_AUTHENTICATION"

"""`crm setup` for Salesforce: create the custom fields, objects and permissions a mapping needs.

Only what a connected app really has (no metadata zip deploys):

- Tooling API ``POST tooling/sobjects/CustomObject`` and ``.../CustomField`` with JSON
  ``{"FullName", "Metadata"}``: ONE component per call (the Tooling sObject endpoints take no
  arrays), objects before their fields.
- Field-level security: a field created through the API is visible to no profile, so setup
  creates (or completes) the permission set ``PRM_Sync`` with read/edit on every mapped field and
  read/create/edit on every mapped object, and assigns it to the integration user. The grants go
  through sObject Collections (up to 200 records per call, ``allOrNone``), the assignment is one
  create.

Reading what exists (the plan never writes): ``oauth2/userinfo`` (who we are), describeGlobal,
one describe per existing mapped object, one Tooling query on CustomObject and one on CustomField
(fields the user cannot see yet are missing from describe but not from the Tooling API), and the
permission set with its grants and assignment (up to four queries).

A field that exists with another type, a key that is not an external id, a lookup to another
object: a conflict (the plan is never applied). A missing standard field or object cannot be
created: a refusal with advice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.describe import kind_of
from connectors.salesforce.errors import error_code, error_text
from prm_sync.connector import (
    EntityMapper,
    FieldKind,
    MappingPath,
    SetupConflict,
    SetupItem,
    SetupKind,
    SetupOutcome,
    SetupPlan,
    SetupRefusal,
)

PERMISSION_SET = "PRM_Sync"
PERMISSION_SET_LABEL = "PRM Sync"
COLLECTION_LIMIT = 200
KEY_LENGTH = 36
TEXT_LENGTH = 255
LONG_TEXT_LENGTH = 32768
#: PRM field names whose text can exceed 255 characters (a Long Text Area, not a Text field)
LONG_TEXT_NAMES = ("explanation", "description", "notes", "comment")
#: Tooling Metadata type -> the describe type it shows as
METADATA_TYPES = {"Text": "string", "TextArea": "textarea", "LongTextArea": "textarea", "Html": "textarea",
                  "Email": "email", "Phone": "phone", "Url": "url", "Number": "double", "Currency": "currency",
                  "Percent": "percent", "Date": "date", "DateTime": "datetime", "Checkbox": "boolean",
                  "Picklist": "picklist", "MultiselectPicklist": "multipicklist", "Lookup": "reference",
                  "MasterDetail": "reference", "AutoNumber": "string"}
#: which mapping types a Salesforce field of each kind holds (the same rule `check --online` applies)
STORES: dict[FieldKind, frozenset[FieldKind]] = {
    FieldKind.STRING: frozenset({FieldKind.STRING, FieldKind.EMAIL, FieldKind.URL}),
    FieldKind.INT: frozenset({FieldKind.INT}),
    FieldKind.DECIMAL: frozenset({FieldKind.DECIMAL, FieldKind.INT}),
    FieldKind.BOOL: frozenset({FieldKind.BOOL}),
    FieldKind.DATE: frozenset({FieldKind.DATE}),
    FieldKind.DATETIME: frozenset({FieldKind.DATETIME}),
    FieldKind.EMAIL: frozenset({FieldKind.EMAIL, FieldKind.STRING}),
    FieldKind.URL: frozenset({FieldKind.URL, FieldKind.STRING}),
}


def _created_with_object(org: _Org) -> set[str]:
    """Standard fields every custom object gets (CurrencyIsoCode only in a multi-currency org,
    which the objects already described tell)."""
    names = {"id", "name", "ownerid", "createddate", "createdbyid", "lastmodifieddate", "lastmodifiedbyid",
             "systemmodstamp", "isdeleted"}
    if any("currencyisocode" in fields for fields in org.described.values()):
        names.add("currencyisocode")
    return names


def _describe_call(obj: str) -> Callable[[Salesforce], Any]:
    return lambda sf: sf.restful(f"sobjects/{obj}/describe")


def _label(api_name: str) -> str:
    return api_name.removesuffix("__c").replace("_", " ").strip()[:40] or api_name


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class _Wanted:
    """One CRM field a mapping line needs, and what to create when it is missing."""

    obj: str
    name: str
    entity: str
    path: MappingPath
    kind: FieldKind                 # the mapping's type for it
    key: bool = False               # the upsert key: External ID + unique
    values: tuple[str, ...] = ()    # picklist values (the mapping's `values`)
    reference_to: str | None = None
    long_text: bool = False
    money: bool = False
    percent: bool = False


@dataclass
class _Action:
    """How to create one plan item (kept by the connector between plan and apply)."""

    how: str                         # "tooling", "permission_set", "grant", "assign"
    data: dict[str, Any] = field(default_factory=dict)
    tooling_type: str = ""


@dataclass
class _Org:
    """What the plan read."""

    user_id: str = ""
    user_name: str = ""
    visible_objects: set[str] = field(default_factory=set)
    custom_objects: dict[str, str] = field(default_factory=dict)      # name lower -> tooling id
    custom_fields: dict[tuple[str, str], str] = field(default_factory=dict)  # (object, field) lower -> id
    described: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # obj lower -> name lower -> describe
    permission_set_id: str | None = None
    #: "Obj.Field" lower -> the PRM_Sync FieldPermissions row (Id, PermissionsRead, PermissionsEdit)
    field_grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: object lower -> the PRM_Sync ObjectPermissions row
    object_grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    assigned: bool = False


class SalesforceSetup:
    """plan_setup / apply_setup for SalesforceConnector (prm_sync.connector.CrmSetup)."""

    def __init__(self, client: SalesforceClient, on_change: Callable[[], None] | None = None) -> None:
        self.client = client
        self.on_change = on_change
        self._actions: dict[SetupItem, _Action] = {}
        self._permission_set_id: str | None = None
        self._calls = 0

    # ----- reading ------------------------------------------------------------------------
    def _read(self, fn: Callable[[Salesforce], Any]) -> Any:
        self._calls += 1
        return self.client.call(fn)

    def _query(self, soql: str, tooling: bool = False) -> list[dict[str, Any]]:
        if tooling:
            body = self._read(lambda sf: sf.toolingexecute("query/", params={"q": soql}))
        else:
            body = self._read(lambda sf: sf.query(soql))
        return list((body or {}).get("records") or [])

    def _read_org(self, mappers: Sequence[EntityMapper]) -> _Org:
        org = _Org()
        info = self._read(lambda sf: sf.oauth2("userinfo")) or {}
        org.user_id = str(info.get("user_id") or "")
        org.user_name = str(info.get("preferred_username") or info.get("name") or org.user_id)
        listing = self._read(lambda sf: sf.describe()) or {}
        org.visible_objects = {str(o["name"]).lower() for o in listing.get("sobjects") or ()}
        objects = list(dict.fromkeys(m.object for m in mappers))
        custom = [o for o in objects if o.endswith("__c")]
        if custom:
            names = ", ".join(_quote(o.removesuffix("__c")) for o in custom)
            for row in self._query(f"SELECT Id, DeveloperName FROM CustomObject WHERE DeveloperName IN ({names})",
                                   tooling=True):
                org.custom_objects[f"{row['DeveloperName']}__c".lower()] = str(row["Id"])
        tables = {o.lower(): o for o in objects if not o.endswith("__c")}
        tables.update({tid.lower(): name for name, tid in org.custom_objects.items()})
        if tables:
            listed = ", ".join(_quote(t) for t in sorted(set(tables.values()) - set(org.custom_objects)) +
                               sorted(org.custom_objects.values()))
            for row in self._query("SELECT Id, DeveloperName, TableEnumOrId FROM CustomField "
                                   f"WHERE TableEnumOrId IN ({listed})", tooling=True):
                table = str(row["TableEnumOrId"])
                obj = next((n for n, tid in org.custom_objects.items() if tid.lower() == table.lower()), table)
                org.custom_fields[(obj.lower(), f"{row['DeveloperName']}__c".lower())] = str(row["Id"])
        for obj in objects:
            if obj.lower() in org.visible_objects:
                body = self._read(_describe_call(obj)) or {}
                org.described[obj.lower()] = {str(f["name"]).lower(): f for f in body.get("fields") or ()}
        rows = self._query(f"SELECT Id, Name FROM PermissionSet WHERE Name = {_quote(PERMISSION_SET)}")
        if rows:
            ps = org.permission_set_id = str(rows[0]["Id"])
            for row in self._query("SELECT Id, SobjectType, PermissionsRead, PermissionsCreate, PermissionsEdit, "
                                   f"PermissionsDelete FROM ObjectPermissions WHERE ParentId = {_quote(ps)}"):
                org.object_grants[str(row["SobjectType"]).lower()] = row
            for row in self._query("SELECT Id, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions "
                                   f"WHERE ParentId = {_quote(ps)}"):
                org.field_grants[str(row["Field"]).lower()] = row
            org.assigned = bool(self._query(
                "SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = "
                f"{_quote(ps)} AND AssigneeId = {_quote(org.user_id)}"))
        return org

    # ----- planning -----------------------------------------------------------------------
    def plan_setup(self, mappers: Sequence[EntityMapper]) -> SetupPlan:
        self._calls = 0
        self._actions = {}
        org = self._read_org(mappers)
        self._permission_set_id = org.permission_set_id
        objects: list[SetupItem] = []
        fields: list[SetupItem] = []
        conflicts: list[SetupConflict] = []
        refusals: list[SetupRefusal] = []
        grants: list[tuple[SetupItem, _Action]] = []
        object_grants: list[tuple[SetupItem, _Action]] = []
        targets = {m.entity.value: m.object for m in mappers}
        seen: set[tuple[str, str]] = set()
        granted_objects: set[str] = set()
        for mapper in mappers:
            entity = mapper.entity.value
            obj = mapper.object
            exists = obj.lower() in org.visible_objects or obj.lower() in org.custom_objects
            if not exists and not obj.endswith("__c"):
                refusals.append(SetupRefusal(obj, f"the org has no object {obj}",
                                             "a standard object cannot be created: enable it in Setup or "
                                             "map another object", entity, ("entities", entity, "object")))
                continue
            if not exists:
                item, action = self._object_item(mapper)
                objects.append(item)
                self._actions[item] = action
            described = org.described.get(obj.lower(), {})
            for want in _wanted(mapper, targets):
                if (obj.lower(), want.name.lower()) in seen:
                    continue
                seen.add((obj.lower(), want.name.lower()))
                info = described.get(want.name.lower())
                hidden = org.custom_fields.get((obj.lower(), want.name.lower()))
                if info is None and hidden is not None:
                    info = self._hidden_field(hidden, want.name)
                if info is not None:
                    conflict = _conflict(want, info)
                    if conflict is not None:
                        conflicts.append(conflict)
                        continue
                    permissionable = bool(info.get("permissionable", want.name.endswith("__c")))
                    # describe reflects field-level security: a field read-only for *this* user says
                    # updateable false; one that field-level security governs and is not computed can
                    # be granted edit all the same
                    writable = bool(info.get("createable") or info.get("updateable")) or (
                        permissionable and not info.get("calculated") and not info.get("autoNumber"))
                elif obj.lower() not in org.visible_objects and want.name.lower() in _created_with_object(org):
                    continue    # comes with the custom object (new, or not visible yet): no FLS applies
                elif not want.name.endswith("__c"):
                    refusals.append(SetupRefusal(
                        f"{obj}.{want.name}", f"{obj} has no standard field {want.name}",
                        "a standard field cannot be created: enable the feature that provides it, or map a "
                        "custom field (a name ending in __c) that crm setup can create", entity, want.path))
                    continue
                else:
                    item, action = self._field_item(want)
                    fields.append(item)
                    self._actions[item] = action
                    permissionable, writable = True, True
                if permissionable:
                    grant = self._field_grant(org, want, writable)
                    if grant is not None:
                        grants.append(grant)
            if obj.lower() not in granted_objects:
                granted_objects.add(obj.lower())
                grant = self._object_grant(org, mapper)
                if grant is not None:
                    object_grants.append(grant)
        permissions: list[SetupItem] = []
        if org.permission_set_id is None:
            item = SetupItem(SetupKind.PERMISSION, f"PermissionSet {PERMISSION_SET}",
                             f"permission set '{PERMISSION_SET_LABEL}' holding prm-sync's object and field access")
            permissions.append(item)
            self._actions[item] = _Action("permission_set", {"Name": PERMISSION_SET, "Label": PERMISSION_SET_LABEL,
                                                             "Description": "Created by prm-sync crm setup"})
        for item, action in object_grants + grants:
            permissions.append(item)
            self._actions[item] = action
        if not org.assigned and org.user_id:
            item = SetupItem(SetupKind.PERMISSION, f"PermissionSetAssignment {PERMISSION_SET} -> {org.user_name}",
                             f"assign {PERMISSION_SET} to the integration user ({org.user_id})")
            permissions.append(item)
            self._actions[item] = _Action("assign", {"AssigneeId": org.user_id})
        return SetupPlan(items=tuple(objects + fields + permissions), conflicts=tuple(conflicts),
                         refusals=tuple(refusals), calls=self._calls)

    def _hidden_field(self, field_id: str, name: str) -> dict[str, Any]:
        """A field that exists but the user may not see yet (no grant): its type from the Tooling
        API's Metadata (which Salesforce serves for one record per query only)."""
        rows = self._query(f"SELECT Id, Metadata FROM CustomField WHERE Id = {_quote(field_id)}", tooling=True)
        md = (rows[0].get("Metadata") if rows else None) or {}
        ref = md.get("referenceTo")
        keyed = bool(md.get("externalId")) or bool(md.get("unique"))
        return {"name": name, "type": METADATA_TYPES.get(str(md.get("type")), "string"),
                "referenceTo": [ref] if ref else [], "externalId": bool(md.get("externalId")),
                "unique": bool(md.get("unique")), "idLookup": keyed, "permissionable": True,
                "createable": True, "updateable": True}

    def _object_item(self, mapper: EntityMapper) -> tuple[SetupItem, _Action]:
        obj = mapper.object
        label = _label(obj)
        initials = "".join(w[0] for w in label.split()).upper() or "R"
        display = f"{initials}-{{000000}}"
        metadata = {"label": label, "pluralLabel": f"{label}s", "deploymentStatus": "Deployed",
                    "sharingModel": "ReadWrite",
                    "nameField": {"type": "AutoNumber", "label": f"{label} Number", "displayFormat": display}}
        detail = f"custom object '{label}', name auto-numbered {display}, sharing Read/Write, deployed"
        item = SetupItem(SetupKind.OBJECT, obj, detail, mapper.entity.value,
                         ("entities", mapper.entity.value, "object"))
        return item, _Action("tooling", {"FullName": obj, "Metadata": metadata}, "CustomObject")

    def _field_item(self, want: _Wanted) -> tuple[SetupItem, _Action]:
        metadata, detail = _field_metadata(want)
        item = SetupItem(SetupKind.FIELD, f"{want.obj}.{want.name}", detail, want.entity, want.path)
        return item, _Action("tooling", {"FullName": f"{want.obj}.{want.name}", "Metadata": metadata}, "CustomField")

    def _field_grant(self, org: _Org, want: _Wanted, writable: bool) -> tuple[SetupItem, _Action] | None:
        """The FieldPermissions to create in PRM_Sync, or the widening of PRM_Sync's own grant (read-only
        where the field needs edit); None when PRM_Sync already grants enough."""
        full = f"{want.obj}.{want.name}"
        row = org.field_grants.get(full.lower())
        wanted = {"PermissionsRead": True, "PermissionsEdit": writable}
        if row is not None and all(row.get(k) or not v for k, v in wanted.items()):
            return None
        what = "read, edit" if writable else "read"
        if row is not None:
            item = SetupItem(SetupKind.PERMISSION, f"FieldPermissions {PERMISSION_SET}: {full}",
                             f"{what} (widens {PERMISSION_SET}'s own grant)", want.entity, want.path)
            return item, _Action("grant_update", {"attributes": {"type": "FieldPermissions"}, "Id": row["Id"],
                                                  **wanted})
        item = SetupItem(SetupKind.PERMISSION, f"FieldPermissions {PERMISSION_SET}: {full}", what, want.entity,
                         want.path)
        data = {"attributes": {"type": "FieldPermissions"}, "SobjectType": want.obj, "Field": full, **wanted}
        return item, _Action("grant", data)

    def _object_grant(self, org: _Org, mapper: EntityMapper) -> tuple[SetupItem, _Action] | None:
        delete = mapper.on_delete == "delete"
        wanted = {"PermissionsRead": True, "PermissionsCreate": True, "PermissionsEdit": True,
                  "PermissionsDelete": delete}
        what = "read, create, edit" + (", delete" if delete else "")
        row = org.object_grants.get(mapper.object.lower())
        target = f"ObjectPermissions {PERMISSION_SET}: {mapper.object}"
        path = ("entities", mapper.entity.value, "object")
        if row is not None:
            if all(row.get(k) or not v for k, v in wanted.items()):
                return None
            item = SetupItem(SetupKind.PERMISSION, target, f"{what} (widens {PERMISSION_SET}'s own grant)",
                             mapper.entity.value, path)
            widened = {k: bool(row.get(k)) or v for k, v in wanted.items()}
            return item, _Action("grant_update", {"attributes": {"type": "ObjectPermissions"}, "Id": row["Id"],
                                                  **widened})
        item = SetupItem(SetupKind.PERMISSION, target, what, mapper.entity.value, path)
        data = {"attributes": {"type": "ObjectPermissions"}, "SobjectType": mapper.object, **wanted,
                "PermissionsViewAllRecords": False, "PermissionsModifyAllRecords": False}
        return item, _Action("grant", data)

    # ----- applying -----------------------------------------------------------------------
    def apply_setup(self, plan: SetupPlan) -> SetupOutcome:
        if plan.conflicts:
            return SetupOutcome(not_attempted=plan.items, error="the plan has conflicts: nothing created")
        self._calls = 0
        items = list(plan.items)
        created: list[SetupItem] = []
        try:
            index = 0
            while index < len(items):
                item = items[index]
                action = self._actions.get(item)
                if action is None:
                    return self._stop(created, item, items[index + 1:], "this item was not planned by this "
                                      "connector: plan again")
                if action.how in ("grant", "grant_update"):
                    batch = [item]
                    while (index + len(batch) < len(items) and len(batch) < COLLECTION_LIMIT
                           and (nxt := self._actions.get(items[index + len(batch)])) is not None
                           and nxt.how == action.how):
                        batch.append(items[index + len(batch)])
                    failed, grant_error = self._grant(batch, update=action.how == "grant_update")
                    if failed is not None:
                        rest = [i for i in batch if i is not failed] + items[index + len(batch):]
                        return self._stop(created, failed, rest, grant_error)
                    created += batch
                    index += len(batch)
                    continue
                error = self._create(item, action)
                if error is not None:
                    return self._stop(created, item, items[index + 1:], error)
                created.append(item)
                index += 1
        finally:
            if self.on_change is not None:
                self.on_change()
        return SetupOutcome(created=tuple(created), calls=self._calls)

    def _stop(self, created: list[SetupItem], failed: SetupItem, rest: list[SetupItem], error: str
              ) -> SetupOutcome:
        return SetupOutcome(created=tuple(created), failed=failed, not_attempted=tuple(rest), error=error,
                            calls=self._calls)

    def _write(self, fn: Callable[[Salesforce], Any], already: str | None = None) -> tuple[Any, str | None]:
        """One write (retried by the client's policy on a network error or 5xx); a refusal by Salesforce
        (4xx but auth and limits) is returned, not raised. `already` is the error code that a RETRY
        gets when the first attempt did create the thing and only its answer was lost: then it is
        created, not failed (idempotent rerun of one call)."""
        attempts = 0

        def attempt(sf: Salesforce) -> tuple[Any, str | None]:
            nonlocal attempts
            attempts += 1
            self._calls += 1
            try:
                return fn(sf), None
            except SalesforceError as exc:
                status = getattr(exc, "status", 0) or 0
                code = error_code(exc.content)
                if status in (400, 403, 404) and code != "REQUEST_LIMIT_EXCEEDED":
                    if attempts > 1 and already is not None and code == already:
                        return {"success": True, "id": None}, None
                    return None, error_text(exc.content)
                raise

        result: tuple[Any, str | None] = self.client.call(attempt)
        return result

    def _create(self, item: SetupItem, action: _Action) -> str | None:
        if action.how == "tooling":
            path = f"sobjects/{action.tooling_type}/"
            body, error = self._write(lambda sf: sf.toolingexecute(path, method="POST", data=action.data),
                                      already="DUPLICATE_DEVELOPER_NAME")
            if error is None and not (isinstance(body, dict) and body.get("success")):
                error = error_text((body or {}).get("errors") if isinstance(body, dict) else body)
            return error
        if action.how == "permission_set":
            body, error = self._write(lambda sf: sf.restful("sobjects/PermissionSet", method="POST",
                                                            json=action.data), already="DUPLICATE_DEVELOPER_NAME")
            if error is None and body.get("id") is None:    # created by an attempt whose answer was lost
                soql = f"SELECT Id FROM PermissionSet WHERE Name = {_quote(PERMISSION_SET)}"
                found = self.client.call(lambda sf: sf.query(soql)) or {}
                rows = found.get("records") or []
                body = {"id": rows[0]["Id"]} if rows else body
            if error is None:
                self._permission_set_id = str(body["id"])
            return error
        if self._permission_set_id is None:
            return f"no permission set {PERMISSION_SET} to assign"
        data = {**action.data, "PermissionSetId": self._permission_set_id}
        _, error = self._write(lambda sf: sf.restful("sobjects/PermissionSetAssignment", method="POST", json=data),
                               already="DUPLICATE_VALUE")
        return error

    def _grant(self, batch: list[SetupItem], update: bool) -> tuple[SetupItem | None, str]:
        """One sObject Collections call: create (POST) or widen (PATCH) up to 200 grants, all or none."""
        if self._permission_set_id is None:
            return batch[0], f"no permission set {PERMISSION_SET} to hold the grant"
        if update:
            records = [dict(self._actions[i].data) for i in batch]
        else:
            records = [{**self._actions[i].data, "ParentId": self._permission_set_id} for i in batch]
        body, error = self._write(lambda sf: sf.restful("composite/sobjects", method="PATCH" if update else "POST",
                                                        json={"allOrNone": True, "records": records}))
        if error is not None:
            return batch[0], error
        for item, result in zip(batch, body or [], strict=False):
            errors = result.get("errors") or []
            if not result.get("success") and not any(e.get("statusCode") == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
                                                     for e in errors):
                return item, error_text(errors) + " (the other grants of this call were rolled back)"
        if len(body or []) != len(batch) or not all(r.get("success") for r in body):
            return batch[0], "the grants were rolled back"
        return None, ""


# ----- what a mapper needs ------------------------------------------------------------------
def _wanted(mapper: EntityMapper, targets: dict[str, str]) -> list[_Wanted]:
    """The CRM fields `mapper` names; `targets` gives the object of each entity planned together
    (a lookup's target; the shipped mapping's objects for an entity set up on its own)."""
    entity = mapper.entity.value
    base: tuple[str | int, ...] = ("entities", entity)
    out: list[_Wanted] = []
    if mapper.crm_key:
        out.append(_Wanted(mapper.object, mapper.crm_key, entity, (*base, "crm_key"), FieldKind.STRING, key=True))
    maps_currency = any(f.crm.lower() == "currencyisocode" for f in mapper.fields)
    for fld in mapper.fields:
        values: tuple[str, ...] = ()
        if fld.to_prm_values is not None and fld.crm_type is FieldKind.STRING:
            values = tuple(str(v) for v in fld.to_prm_values)
        name = fld.name.lower()
        out.append(_Wanted(
            mapper.object, fld.crm, entity, (*base, "fields", fld.name, "crm"), fld.crm_type, values=values,
            long_text=any(word in name for word in LONG_TEXT_NAMES),
            money=fld.crm_type is FieldKind.DECIMAL and (maps_currency or "amount" in name or "value" in name),
            percent=fld.crm_type is FieldKind.DECIMAL and ("percent" in name or "discount" in name)))
    for ref in mapper.references:
        if ref.crm is None:
            continue
        target = targets.get(ref.target.value) or DEFAULT_OBJECTS.get(ref.target.value, "Account")
        out.append(_Wanted(mapper.object, ref.crm, entity, (*base, "references", ref.name, "crm"),
                           FieldKind.STRING, reference_to=target))
    for name in mapper.constants:
        out.append(_Wanted(mapper.object, name, entity, (*base, "constants", name), FieldKind.STRING))
    return out


#: the shipped mapping's object per entity (the target of a lookup when its entity is not planned too)
DEFAULT_OBJECTS = {"partner": "Account", "partner_contact": "Contact", "lead": "Lead", "deal": "Opportunity",
                   "commission": "Partner_Commission__c"}


#: field kinds whose Salesforce field needs nothing but its kind: metadata attributes, and how the plan shows it
_PLAIN_FIELD_TYPES: dict[FieldKind, tuple[dict[str, Any], str]] = {
    FieldKind.EMAIL: ({"type": "Email"}, "Email"),
    FieldKind.URL: ({"type": "Url"}, "URL"),
    FieldKind.DATE: ({"type": "Date"}, "Date"),
    FieldKind.DATETIME: ({"type": "DateTime"}, "Date/Time"),
    FieldKind.BOOL: ({"type": "Checkbox", "defaultValue": "false"}, "Checkbox (default unchecked)"),
    FieldKind.INT: ({"type": "Number", "precision": 18, "scale": 0}, "Number(18, 0)"),
}


def _field_metadata(want: _Wanted) -> tuple[dict[str, Any], str]:
    label = _label(want.name)
    md: dict[str, Any] = {"label": label}
    if want.reference_to is not None:
        child = want.obj.removesuffix("__c")
        rel = f"{child}_{want.name.removesuffix('__c')}"[:40].rstrip("_")
        md.update(type="Lookup", referenceTo=want.reference_to, relationshipName=rel,
                  relationshipLabel=_label(f"{child} {label}"), deleteConstraint="SetNull")
        return md, f"Lookup({want.reference_to}), child relationship {rel}"
    if want.key:
        md.update(type="Text", length=KEY_LENGTH, externalId=True, unique=True, caseSensitive=False)
        return md, f"Text({KEY_LENGTH}), External ID, unique"
    if want.values:
        md.update(type="Picklist", valueSet={"restricted": True, "valueSetDefinition": {
            "sorted": False, "value": [{"fullName": v, "label": v, "default": False} for v in want.values]}})
        return md, f"Picklist ({', '.join(want.values)}), restricted"
    kind = want.kind
    if kind in _PLAIN_FIELD_TYPES:
        attributes, shown = _PLAIN_FIELD_TYPES[kind]
        md.update(attributes)
        return md, shown
    if kind is FieldKind.DECIMAL:
        if want.percent:
            md.update(type="Percent", precision=5, scale=2)
            return md, "Percent(3, 2)"
        if want.money:
            md.update(type="Currency", precision=18, scale=2)
            return md, "Currency(16, 2)"
        md.update(type="Number", precision=18, scale=2)
        return md, "Number(16, 2)"
    if want.long_text:
        md.update(type="LongTextArea", length=LONG_TEXT_LENGTH, visibleLines=5)
        return md, f"Long Text Area({LONG_TEXT_LENGTH})"
    md.update(type="Text", length=TEXT_LENGTH)
    return md, f"Text({TEXT_LENGTH})"


def _conflict(want: _Wanted, info: dict[str, Any]) -> SetupConflict | None:
    """How an existing field differs from what the mapping line needs (None: it fits)."""
    sf_type = str(info.get("type") or "")
    target = f"{want.obj}.{info.get('name') or want.name}"
    if want.reference_to is not None:
        refs = [str(r) for r in info.get("referenceTo") or ()]
        if sf_type != "reference" or not any(r.lower() == want.reference_to.lower() for r in refs):
            found = f"a {sf_type} field" + (f" referring to {', '.join(refs)}" if refs else "")
            return SetupConflict(target, f"a lookup to {want.reference_to}", found, want.entity, want.path)
        return None
    kind = kind_of(sf_type)
    if want.kind not in STORES.get(kind, frozenset({want.kind})):
        return SetupConflict(target, f"a field holding {want.kind.value} values", f"a {sf_type} field ({kind.value})",
                             want.entity, want.path)
    if want.key and not (info.get("externalId") or (info.get("idLookup") and info.get("unique"))):
        return SetupConflict(target, "an External ID (unique) text field, the upsert key",
                             f"a {sf_type} field that is neither External ID nor unique", want.entity, want.path)
    return None

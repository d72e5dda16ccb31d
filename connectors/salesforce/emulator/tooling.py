"""Org setup in the Salesforce emulator: Tooling API metadata, permission sets, field-level security.

What a connected app really has to prepare an org (no zip deploys):

- Tooling API ``POST tooling/sobjects/CustomField`` and ``.../CustomObject``, one record per call,
  JSON ``{"FullName": "Account.X__c", "Metadata": {...}}``; ``GET tooling/query`` on CustomField
  (Id, DeveloperName, TableEnumOrId) and CustomObject (Id, DeveloperName).
- REST sObjects ``PermissionSet``, ``ObjectPermissions``, ``FieldPermissions`` and
  ``PermissionSetAssignment``: created one by one or through sObject Collections (200 per call),
  read through ``query``; ``GET /services/oauth2/userinfo`` names the integration user.

Field-level security (``enforce_fls``): a field or object created through the API is invisible to
the integration user (absent from describe, "No such column" in SOQL and on writes, "sObject type
... is not supported" for an object) until a permission set assigned to the user grants it: read
makes it visible, edit makes it writable. Without ``enforce_fls`` (the default emulator) the user
sees what is created at once, like an administrator. The fields of ``default_schema()`` are always
visible, so the rest of the suite is unchanged.

Switches for tests: ``can_customize`` (Customize Application + Modify Metadata: Tooling writes),
``can_manage_permissions`` (Manage Profiles and Permission Sets: permission set writes).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connectors.emulator_kit import json_response
from connectors.salesforce.emulator.errors import not_found, sf_error
from connectors.salesforce.emulator.schema import FieldDef, ObjectDef, _currency, _obj, _ro
from connectors.salesforce.emulator.values import make_id

if TYPE_CHECKING:
    from connectors.salesforce.emulator.app import SalesforceEmulator

INTEGRATION_USER_ID = "0058d0000000IntAAA"
ORG_ID = "00D8d0000000EmuEAA"
MAX_COLLECTION = 200
SETUP_OBJECTS = ("PermissionSet", "ObjectPermissions", "FieldPermissions", "PermissionSetAssignment", "User")
_PREFIX = {"PermissionSet": "0PS", "ObjectPermissions": "110", "FieldPermissions": "01k",
           "PermissionSetAssignment": "0Pa", "User": "005", "CustomField": "00N", "CustomObject": "01I"}
_DEV_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")
_NO_PERMISSION = ("Insufficient Privileges: You do not have the level of access necessary to perform the "
                  "operation you requested. Please contact the owner of the record or your administrator if "
                  "access is necessary.")

#: Metadata type -> (describe type, default length)
_TYPES: dict[str, tuple[str, int]] = {
    "Text": ("string", 0), "TextArea": ("textarea", 255), "LongTextArea": ("textarea", 0),
    "Email": ("email", 80), "Phone": ("phone", 40), "Url": ("url", 255), "Number": ("double", 0),
    "Currency": ("currency", 0), "Percent": ("percent", 0), "Date": ("date", 0),
    "DateTime": ("datetime", 0), "Checkbox": ("boolean", 0), "Picklist": ("picklist", 255),
    "Lookup": ("reference", 18),
}
_OBJECT_PERMS = ("PermissionsRead", "PermissionsCreate", "PermissionsEdit", "PermissionsDelete",
                 "PermissionsViewAllRecords", "PermissionsModifyAllRecords")


class SetupError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def response(self) -> Response:
        return sf_error(self.status, self.code, self.message, self.fields)


@dataclass
class OrgSetup:
    """Metadata made through the API, the permission sets, and what the integration user may see."""

    enforce_fls: bool = False
    can_customize: bool = True
    can_manage_permissions: bool = True
    #: "Obj.Field__c" -> full definition of each field created through the Tooling API
    fields: dict[str, FieldDef] = field(default_factory=dict)
    field_ids: dict[str, str] = field(default_factory=dict)
    #: custom object name -> its full definition (standard fields + Name), created through the API
    objects: dict[str, ObjectDef] = field(default_factory=dict)
    object_ids: dict[str, str] = field(default_factory=dict)
    #: (parent object, child relationship name) taken by lookups
    child_relationships: set[tuple[str, str]] = field(default_factory=set)
    #: sObject type -> id -> row, for the setup sObjects (PermissionSet, FieldPermissions, ...)
    rows: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in SETUP_OBJECTS})
    _numbers: Any = field(default_factory=lambda: itertools.count(1))
    _prefix_numbers: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.rows["User"][INTEGRATION_USER_ID] = {
            "Id": INTEGRATION_USER_ID, "Username": "integration@prm-sync.example", "Name": "Integration User",
            "IsActive": True}

    def new_id(self, kind: str) -> str:
        return make_id(_PREFIX[kind], 7_000_000_000 + next(self._numbers))

    def state(self) -> dict[str, Any]:
        """Everything setup can change, as plain data (tests compare it before and after)."""
        return {
            "fields": {k: dataclasses.asdict(v) for k, v in sorted(self.fields.items())},
            "objects": sorted(self.objects),
            "rows": {k: sorted(v.values(), key=lambda r: r["Id"]) for k, v in self.rows.items()},
        }

    # ----- what the integration user may see ---------------------------------------------
    def _assigned_sets(self) -> set[str]:
        return {r["PermissionSetId"] for r in self.rows["PermissionSetAssignment"].values()
                if r["AssigneeId"] == INTEGRATION_USER_ID}

    def field_access(self, full_name: str) -> tuple[bool, bool]:
        if not self.enforce_fls:
            return True, True
        sets = self._assigned_sets()
        grants = [r for r in self.rows["FieldPermissions"].values()
                  if r["ParentId"] in sets and r["Field"].lower() == full_name.lower()]
        return (any(r["PermissionsRead"] for r in grants), any(r["PermissionsEdit"] for r in grants))

    def object_access(self, name: str) -> bool:
        if not self.enforce_fls:
            return True
        sets = self._assigned_sets()
        return any(r["ParentId"] in sets and r["SobjectType"].lower() == name.lower() and r["PermissionsRead"]
                   for r in self.rows["ObjectPermissions"].values())

    def refresh(self, emu: SalesforceEmulator) -> None:
        """Put into ``emu.schema`` exactly what the integration user may see and write."""
        schema = emu.schema
        for name, objdef in self.objects.items():
            emu.store.add_object(name)
            if self.object_access(name):
                schema.objects[name] = objdef
            else:
                schema.objects.pop(name, None)
        for full_name, fdef in self.fields.items():
            obj, fname = full_name.split(".", 1)
            target = self.objects.get(obj) or schema.objects.get(obj)
            if target is None:
                continue
            read, edit = self.field_access(full_name)
            if read:
                target.fields[fname] = dataclasses.replace(
                    fdef, createable=fdef.createable and edit, updateable=fdef.updateable and edit)
            else:
                target.fields.pop(fname, None)
        emu.store._rebuild_indexes()

    # ----- lookups over the whole org (whatever the user may see) ------------------------
    def org_object(self, emu: SalesforceEmulator, name: str) -> ObjectDef | None:
        found = emu.schema.obj(name)
        if found is not None:
            return found
        return next((o for n, o in self.objects.items() if n.lower() == name.lower()), None)

    def org_field(self, emu: SalesforceEmulator, obj: str, fname: str) -> FieldDef | None:
        objdef = self.org_object(emu, obj)
        if objdef is None:
            return None
        key = f"{objdef.name}.{fname}".lower()
        created = next((f for k, f in self.fields.items() if k.lower() == key), None)
        if created is not None:
            return created
        return next((f for n, f in objdef.fields.items() if n.lower() == fname.lower()), None)


# ----- Tooling API ---------------------------------------------------------------------------
def tooling(emu: SalesforceEmulator, request: Request, version: str, parts: list[str]) -> Response:
    setup = emu.setup
    if parts[:1] == ["query"] and request.method == "GET":
        return _tooling_query(emu, request.args.get("q", ""))
    if len(parts) == 2 and parts[0] == "sobjects" and request.method == "POST":
        kind = parts[1]
        body = request.get_json(silent=True, force=True)
        if isinstance(body, list):
            return sf_error(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {kind} from START_ARRAY")
        if not isinstance(body, dict):
            return sf_error(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
        if kind not in ("CustomField", "CustomObject"):
            return not_found(f"The requested resource does not exist: tooling sObject {kind}")
        if not setup.can_customize:
            return sf_error(403, "INSUFFICIENT_ACCESS", _NO_PERMISSION)
        try:
            with emu.lock:
                new_id = (_create_field if kind == "CustomField" else _create_object)(emu, body)
                setup.refresh(emu)
        except SetupError as exc:
            return exc.response()
        return json_response({"id": new_id, "success": True, "errors": [], "warnings": [], "infos": []}, 201)
    return not_found()


def _metadata(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    full_name, metadata = body.get("FullName"), body.get("Metadata")
    if not isinstance(full_name, str) or not full_name:
        raise SetupError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [FullName]", ["FullName"])
    if not isinstance(metadata, dict):
        raise SetupError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Metadata]", ["Metadata"])
    if not metadata.get("label"):
        raise SetupError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Label]", ["Label"])
    return full_name, metadata


def _check_dev_name(name: str, what: str) -> None:
    base = name.removesuffix("__c")
    if not name.endswith("__c") or not _DEV_NAME.match(base) or base.endswith("_") or len(base) > 40:
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION", (
            f"The {what} name can only contain underscores and alphanumeric characters, must end with "
            f"__c, begin with a letter, not include spaces, not end with an underscore, and not contain "
            f"two consecutive underscores: {name}"), ["FullName"])


def _int(metadata: dict[str, Any], key: str, default: int = 0) -> int:
    value = metadata.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION", f"{key}: value not of required type: {value}",
                         [key]) from None


def _flag(metadata: dict[str, Any], key: str) -> bool:
    value = metadata.get(key, False)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _create_field(emu: SalesforceEmulator, body: dict[str, Any]) -> str:
    setup = emu.setup
    full_name, md = _metadata(body)
    obj_name, _, fname = full_name.partition(".")
    objdef = setup.org_object(emu, obj_name)
    if objdef is None or not fname:
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION", f"Cannot find object: {obj_name}", ["FullName"])
    _check_dev_name(fname, "Field")
    if setup.org_field(emu, objdef.name, fname) is not None:
        raise SetupError(400, "DUPLICATE_DEVELOPER_NAME",
                         f"There is already a field named {fname.removesuffix('__c')} on {objdef.name}.",
                         ["FullName"])
    md_type = md.get("type")
    if md_type not in _TYPES:
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                         f"type: bad value for restricted picklist field: {md_type}", ["type"])
    sf_type, length = _TYPES[str(md_type)]
    kw: dict[str, Any] = {"label": str(md["label"]), "length": length}
    if md_type in ("Text", "LongTextArea"):
        length = _int(md, "length")
        limits = (1, 255) if md_type == "Text" else (256, 131072)
        if not limits[0] <= length <= limits[1]:
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                             f"Length: the length must be between {limits[0]} and {limits[1]}", ["length"])
        if md_type == "LongTextArea" and not md.get("visibleLines"):
            raise SetupError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [VisibleLines]",
                             ["visibleLines"])
        kw["length"] = length
    if md_type in ("Number", "Currency", "Percent"):
        precision, scale = _int(md, "precision"), _int(md, "scale")
        if not 1 <= precision <= 18 or not 0 <= scale <= precision:
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                             "Precision: the sum of the length and decimal places must be an integer less than "
                             "or equal to 18, and decimal places must be 0 or more", ["precision"])
        kw.update(precision=precision, scale=scale)
    if md_type == "Checkbox":
        default = md.get("defaultValue")
        if default is None or str(default).lower() not in ("true", "false"):
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                             "Default Value: a Checkbox field needs a default value of true or false",
                             ["defaultValue"])
        kw.update(nillable=False, defaulted_on_create=True, default_value=str(default).lower() == "true")
    if md_type == "Picklist":
        values = (((md.get("valueSet") or {}).get("valueSetDefinition") or {}).get("value")) or []
        names = [str(v.get("fullName")) for v in values if isinstance(v, dict) and v.get("fullName")]
        if not names:
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                             "Values: a picklist needs at least one value", ["valueSet"])
        kw.update(picklist=names, restricted_picklist=_flag(md.get("valueSet") or {}, "restricted"))
    if md_type == "Lookup":
        target = setup.org_object(emu, str(md.get("referenceTo") or ""))
        if target is None:
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                             f"referenceTo: bad value for restricted picklist field: {md.get('referenceTo')}",
                             ["referenceTo"])
        rel = str(md.get("relationshipName") or "")
        if not rel or not _DEV_NAME.match(rel):
            raise SetupError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [RelationshipName]",
                             ["relationshipName"])
        if (target.name, rel.lower()) in setup.child_relationships:
            raise SetupError(400, "DUPLICATE_DEVELOPER_NAME",
                             f"There is already a Child Relationship named {rel} on {target.name}.",
                             ["relationshipName"])
        setup.child_relationships.add((target.name, rel.lower()))
        kw["reference_to"] = [target.name]
    external_id, unique = _flag(md, "externalId"), _flag(md, "unique")
    if (external_id or unique) and md_type not in ("Text", "Number", "Email"):
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                         f"External ID / Unique: not available for fields of type {md_type}", ["externalId"])
    if _flag(md, "required"):
        kw["nillable"] = False
    kw.update(external_id=external_id, unique=unique)
    fdef = FieldDef(name=fname, type=sf_type, **kw)
    key = f"{objdef.name}.{fname}"
    setup.fields[key] = fdef
    setup.field_ids[key] = setup.new_id("CustomField")
    return setup.field_ids[key]


def _create_object(emu: SalesforceEmulator, body: dict[str, Any]) -> str:
    setup = emu.setup
    full_name, md = _metadata(body)
    _check_dev_name(full_name, "Object")
    if setup.org_object(emu, full_name) is not None:
        raise SetupError(400, "DUPLICATE_DEVELOPER_NAME",
                         f"There is already an object named {full_name.removesuffix('__c')}.", ["FullName"])
    for key in ("pluralLabel", "nameField", "deploymentStatus", "sharingModel"):
        if not md.get(key):
            raise SetupError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{key}]", [key])
    if md["sharingModel"] not in ("Private", "Read", "ReadWrite", "ReadWriteTransfer", "FullAccess",
                                  "ControlledByParent"):
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                         f"sharingModel: bad value for restricted picklist field: {md['sharingModel']}",
                         ["sharingModel"])
    if md["deploymentStatus"] not in ("Deployed", "InDevelopment"):
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                         f"deploymentStatus: bad value for restricted picklist field: {md['deploymentStatus']}",
                         ["deploymentStatus"])
    name_field = md["nameField"]
    if not isinstance(name_field, dict) or name_field.get("type") not in ("Text", "AutoNumber") \
            or not name_field.get("label"):
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION", "nameField: a Text or AutoNumber field with a label",
                         ["nameField"])
    autonumber = None
    if name_field["type"] == "AutoNumber":
        display = str(name_field.get("displayFormat") or "")
        match = re.search(r"\{(0+)\}", display)
        if match is None:
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                             "Display Format: must contain {0} with as many zeros as digits", ["displayFormat"])
        autonumber = display.replace(match.group(0), "{0:0" + str(len(match.group(1))) + "d}")
        name = _ro("Name", "string", length=80, nillable=False, defaulted_on_create=True,
                   label=str(name_field["label"]))
    else:
        name = FieldDef("Name", "string", label=str(name_field["label"]), length=80, nillable=False)
    prefix = f"a{next(setup._prefix_numbers) + 10:02d}"[:3]
    objdef = _obj(full_name, prefix, [name, _currency()], custom=True, autonumber_format=autonumber,
                  label=str(md["label"]))
    setup.objects[full_name] = objdef
    setup.object_ids[full_name] = setup.new_id("CustomObject")
    emu.store.add_object(full_name)
    return setup.object_ids[full_name]


# ----- queries (Tooling: CustomField / CustomObject; REST: the setup sObjects) ----------------
_QUERY = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
                    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.IGNORECASE | re.DOTALL)
_COND = re.compile(r"^\s*(\w+)\s*(=|IN)\s*(.+?)\s*$", re.IGNORECASE | re.DOTALL)
_LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'|(true|false)", re.IGNORECASE)


def _conditions(where: str | None) -> list[tuple[str, set[Any]]]:
    out: list[tuple[str, set[Any]]] = []
    for part in re.split(r"\s+AND\s+", where or "", flags=re.IGNORECASE) if where else []:
        match = _COND.match(part)
        if match is None:
            raise SetupError(400, "MALFORMED_QUERY", f"unexpected token: {part.strip()}")
        values: set[Any] = set()
        for text, flag in _LITERAL.findall(match.group(3)):
            values.add(flag.lower() == "true" if flag else text.replace("\\'", "'"))
        out.append((match.group(1), values))
    return out


def _run_query(kind: str, rows: list[dict[str, Any]], soql: str, url_base: str, tooling: bool = True) -> Response:
    match = _QUERY.match(soql)
    if match is None:
        return sf_error(400, "MALFORMED_QUERY", f"unexpected token: {soql[:40]}")
    names = [n.strip() for n in match.group("fields").split(",")]
    try:
        conditions = _conditions(match.group("where"))
    except SetupError as exc:
        return exc.response()
    known = {k.lower(): k for row in rows[:1] for k in row} or None

    def value(row: dict[str, Any], name: str) -> Any:
        return next((v for k, v in row.items() if k.lower() == name.lower()), None)

    for name in names + [c[0] for c in conditions]:
        if known is not None and name.lower() not in known:
            return sf_error(400, "INVALID_FIELD", f"\n{soql}\nERROR at Row:1:Column:1\n"
                                                  f"No such column '{name}' on entity '{kind}'.")
    found = [r for r in rows if all(value(r, f) in vals or (isinstance(value(r, f), str) and any(
        isinstance(v, str) and v.lower() == value(r, f).lower() for v in vals)) for f, vals in conditions)]
    if match.group("limit"):
        found = found[:int(match.group("limit"))]
    if len(found) > 1 and {n.lower() for n in names} & {"metadata", "fullname"}:
        return sf_error(400, "MALFORMED_QUERY", "When retrieving results with Metadata or FullName fields, the "
                        "query qualifications must specify no more than one row for retrieval. Result size: "
                        f"{len(found)}")
    records = [{"attributes": {"type": kind, "url": f"{url_base}/sobjects/{kind}/{r['Id']}"},
                **{n: value(r, n) for n in names}} for r in found]
    if not tooling:
        return json_response({"totalSize": len(records), "done": True, "records": records})
    return json_response({"size": len(records), "totalSize": len(records), "done": True, "records": records,
                          "entityTypeName": kind})


def _tooling_query(emu: SalesforceEmulator, soql: str) -> Response:
    match = _QUERY.match(soql)
    kind = match.group("obj") if match else ""
    setup = emu.setup
    with emu.lock:
        if kind.lower() == "customobject":
            rows = [{"Id": setup.object_ids[n], "DeveloperName": n.removesuffix("__c"), "NamespacePrefix": None}
                    for n in setup.objects]
            rows += [{"Id": _object_id(o), "DeveloperName": o.name.removesuffix("__c"), "NamespacePrefix": None}
                     for o in emu.schema.objects.values() if o.custom and o.name not in setup.objects]
            return _run_query("CustomObject", rows, soql, f"/services/data/v{emu.api_version}/tooling")
        if kind.lower() == "customfield":
            rows = []
            for obj_name, objdef in _all_objects(emu).items():
                table = setup.object_ids.get(obj_name) or (_object_id(objdef) if objdef.custom else obj_name)
                names = {n for n in objdef.fields if n.endswith("__c")}
                names |= {k.split(".", 1)[1] for k in setup.fields if k.split(".", 1)[0] == obj_name}
                for fname in sorted(names):
                    key = f"{obj_name}.{fname}"
                    fdef = setup.fields.get(key) or objdef.fields[fname]
                    rows.append({"Id": setup.field_ids.get(key) or make_id("00N", 5_000_000_000 + len(rows)),
                                 "DeveloperName": fname.removesuffix("__c"), "TableEnumOrId": table,
                                 "NamespacePrefix": None, "FullName": key, "Metadata": field_metadata(fdef)})
            return _run_query("CustomField", rows, soql, f"/services/data/v{emu.api_version}/tooling")
    return sf_error(400, "INVALID_TYPE", f"\n{soql}\nERROR at Row:1:Column:1\nsObject type '{kind}' is not "
                                         "supported.")


_METADATA_TYPE = {"string": "Text", "email": "Email", "phone": "Phone", "url": "Url", "double": "Number",
                  "int": "Number", "currency": "Currency", "percent": "Percent", "date": "Date",
                  "datetime": "DateTime", "boolean": "Checkbox", "picklist": "Picklist", "reference": "Lookup"}


def field_metadata(fdef: FieldDef) -> dict[str, Any]:
    """The Tooling API's `Metadata` of a custom field (the CustomField metadata type, in JSON)."""
    md_type = _METADATA_TYPE.get(fdef.type) or ("LongTextArea" if fdef.length > 255 else "TextArea")
    md: dict[str, Any] = {"label": fdef.label, "type": md_type, "externalId": fdef.external_id,
                          "unique": fdef.unique, "required": not fdef.nillable and fdef.type != "boolean",
                          "length": fdef.length if md_type in ("Text", "TextArea", "LongTextArea") else None,
                          "precision": fdef.precision or None, "scale": fdef.scale if fdef.precision else None,
                          "referenceTo": fdef.reference_to[0] if fdef.reference_to else None,
                          "relationshipName": (fdef.relationship_name or "").removesuffix("__r") or None}
    if md_type == "Picklist":
        md["valueSet"] = {"restricted": fdef.restricted_picklist, "valueSetDefinition": {
            "sorted": False, "value": [{"fullName": v, "label": v, "default": False} for v in fdef.picklist]}}
    return md


def _object_id(objdef: ObjectDef) -> str:
    """The CustomObject id of a custom object the org started with (stable: from its key prefix)."""
    return make_id("01I", 6_000_000_000 + sum(ord(c) for c in objdef.key_prefix))


def _all_objects(emu: SalesforceEmulator) -> dict[str, ObjectDef]:
    out = dict(emu.schema.objects)
    out.update(emu.setup.objects)
    return out


def query_setup_object(emu: SalesforceEmulator, kind: str, soql: str, version: str) -> Response:
    with emu.lock:
        rows = list(emu.setup.rows[kind].values())
        return _run_query(kind, rows, soql, f"/services/data/v{version}", tooling=False)


def setup_kind(name: str) -> str | None:
    return next((k for k in SETUP_OBJECTS if k.lower() == name.lower()), None)


# ----- creating the setup sObjects ------------------------------------------------------------
def create_setup_row(emu: SalesforceEmulator, kind: str, body: dict[str, Any]) -> str:
    """Validate and store one PermissionSet / ObjectPermissions / FieldPermissions / assignment."""
    setup = emu.setup
    data = {k: v for k, v in body.items() if k != "attributes"}
    if kind == "User":
        raise SetupError(400, "INVALID_TYPE", "sObject type 'User' cannot be created here")
    if not setup.can_manage_permissions:
        raise SetupError(400, "INSUFFICIENT_ACCESS_OR_READONLY",
                         "insufficient access rights on object id (Manage Profiles and Permission Sets)")
    rows = setup.rows[kind]
    if kind == "PermissionSet":
        name, label = data.get("Name"), data.get("Label")
        missing = [k for k, v in (("Name", name), ("Label", label)) if not v]
        if missing:
            raise SetupError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                             missing)
        if not _DEV_NAME.match(str(name)):
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION", f"API Name: invalid developer name: {name}", ["Name"])
        if any(r["Name"].lower() == str(name).lower() for r in rows.values()):
            raise SetupError(400, "DUPLICATE_DEVELOPER_NAME",
                             f"The API name '{name}' is already in use by another permission set.", ["Name"])
        row = {"Name": str(name), "Label": str(label), "Description": data.get("Description"),
               "IsOwnedByProfile": False}
    elif kind in ("ObjectPermissions", "FieldPermissions"):
        parent = data.get("ParentId")
        if parent not in setup.rows["PermissionSet"]:
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                             f"Parent ID: id value of incorrect type: {parent}", ["ParentId"])
        sobject = str(data.get("SobjectType") or "")
        objdef = setup.org_object(emu, sobject)
        if objdef is None:
            raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                             f"SObject Type Name: bad value for restricted picklist field: {sobject}",
                             ["SobjectType"])
        if kind == "ObjectPermissions":
            row = {"ParentId": parent, "SobjectType": objdef.name,
                   **{p: data.get(p) is True for p in _OBJECT_PERMS}}
            if not row["PermissionsRead"] and any(row[p] for p in _OBJECT_PERMS[1:]):
                raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                                 "Permission Create, Edit, Delete depends on permission(s): Read", ["PermissionsRead"])
            same = ("ParentId", "SobjectType")
        else:
            full = str(data.get("Field") or "")
            obj_part, _, fname = full.partition(".")
            fdef = setup.org_field(emu, obj_part, fname) if obj_part.lower() == objdef.name.lower() else None
            if fdef is None or not permissionable(fdef):
                raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                                 f"Field Name: bad value for restricted picklist field: {full}", ["Field"])
            row = {"ParentId": parent, "SobjectType": objdef.name, "Field": f"{objdef.name}.{fdef.name}",
                   "PermissionsRead": data.get("PermissionsRead") is True,
                   "PermissionsEdit": data.get("PermissionsEdit") is True}
            if row["PermissionsEdit"] and not row["PermissionsRead"]:
                raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                                 "Permission Edit depends on permission(s): Read", ["PermissionsRead"])
            if row["PermissionsEdit"] and not (fdef.createable or fdef.updateable):
                raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION",
                                 f"Field {row['Field']} is read-only: PermissionsEdit must be false",
                                 ["PermissionsEdit"])
            same = ("ParentId", "Field")
        _no_duplicate(rows, row, same)
    else:   # PermissionSetAssignment
        ps, user = data.get("PermissionSetId"), data.get("AssigneeId")
        if ps not in setup.rows["PermissionSet"]:
            raise SetupError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["PermissionSetId"])
        if user not in setup.rows["User"]:
            raise SetupError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["AssigneeId"])
        row = {"PermissionSetId": ps, "AssigneeId": user}
        _no_duplicate(rows, row, ("PermissionSetId", "AssigneeId"))
    row["Id"] = setup.new_id(kind)
    rows[row["Id"]] = row
    return str(row["Id"])


def _no_duplicate(rows: dict[str, dict[str, Any]], row: dict[str, Any], keys: tuple[str, ...]) -> None:
    for other in rows.values():
        if all(str(other[k]).lower() == str(row[k]).lower() for k in keys):
            raise SetupError(400, "DUPLICATE_VALUE",
                             f"duplicate value found: {keys[-1]} duplicates value on record with id: {other['Id']}",
                             [keys[-1]])


def permissionable(fdef: FieldDef) -> bool:
    """Whether field-level security applies (FieldPermissions may name it): optional fields; required
    and system fields are always visible and cannot be granted."""
    if fdef.name.endswith("__c"):
        return fdef.nillable or fdef.type == "boolean"
    return fdef.nillable and (fdef.createable or fdef.updateable) \
        and fdef.name not in ("Id", "Name", "OwnerId", "CurrencyIsoCode")


def create_one(emu: SalesforceEmulator, kind: str, request: Request) -> Response:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return sf_error(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
    try:
        with emu.lock:
            new_id = create_setup_row(emu, kind, body)
            emu.setup.refresh(emu)
    except SetupError as exc:
        return exc.response()
    return json_response({"id": new_id, "success": True, "errors": []}, 201)


def update_setup_row(emu: SalesforceEmulator, kind: str, body: dict[str, Any]) -> str:
    """Change the permission flags of one ObjectPermissions / FieldPermissions row (by Id)."""
    setup = emu.setup
    if not setup.can_manage_permissions:
        raise SetupError(400, "INSUFFICIENT_ACCESS_OR_READONLY",
                         "insufficient access rights on object id (Manage Profiles and Permission Sets)")
    row = setup.rows[kind].get(str(body.get("Id")))
    if row is None or kind not in ("ObjectPermissions", "FieldPermissions"):
        raise SetupError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["Id"])
    flags = _OBJECT_PERMS if kind == "ObjectPermissions" else ("PermissionsRead", "PermissionsEdit")
    unknown = [k for k in body if k not in ("attributes", "Id", *flags)]
    if unknown:
        raise SetupError(400, "INVALID_FIELD_FOR_INSERT_UPDATE", f"Unable to create/update fields: {unknown[0]}",
                         unknown)
    changed = {**row, **{k: body[k] is True for k in flags if k in body}}
    if not changed["PermissionsRead"] and any(changed.get(p) for p in flags[1:]):
        raise SetupError(400, "FIELD_INTEGRITY_EXCEPTION", "Permission Create, Edit, Delete depends on "
                         "permission(s): Read", ["PermissionsRead"])
    setup.rows[kind][row["Id"]] = changed
    return str(row["Id"])


def write_collection(emu: SalesforceEmulator, records: list[Any], all_or_none: bool, update: bool = False
                     ) -> Response:
    """sObject Collections create (POST) or update (PATCH, by Id) of setup sObjects (every record
    names its type in attributes)."""
    results: list[dict[str, Any]] = []
    setup = emu.setup
    with emu.lock:
        snapshot = {k: dict(v) for k, v in setup.rows.items()}
        failed = False
        for record in records:
            attrs = record.get("attributes") if isinstance(record, dict) else None
            kind = setup_kind(str(attrs.get("type"))) if isinstance(attrs, dict) else None
            if kind is None or not isinstance(record, dict):
                results.append({"success": False, "errors": [{"statusCode": "INVALID_TYPE", "message":
                                "sObject type must be specified and supported", "fields": []}]})
                failed = True
                continue
            try:
                write = update_setup_row if update else create_setup_row
                results.append({"id": write(emu, kind, record), "success": True, "errors": []})
            except SetupError as exc:
                results.append({"success": False, "errors": [{"statusCode": exc.code, "message": exc.message,
                                                              "fields": exc.fields}]})
                failed = True
        if failed and all_or_none:
            setup.rows.clear()
            setup.rows.update(snapshot)
            rolled = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because "
                      "not all records were valid and the request was using AllOrNone header", "fields": []}
            results = [r if not r["success"] else {"id": None, "success": False, "errors": [rolled]}
                       for r in results]
            results = [{**r, "id": None} for r in results]
        setup.refresh(emu)
    return json_response(results, 200)


def userinfo(emu: SalesforceEmulator) -> Response:
    user = emu.setup.rows["User"][INTEGRATION_USER_ID]
    return json_response({"user_id": INTEGRATION_USER_ID, "organization_id": ORG_ID,
                          "preferred_username": user["Username"], "name": user["Name"],
                          "sub": f"{emu.base_url}/id/{ORG_ID}/{INTEGRATION_USER_ID}"})

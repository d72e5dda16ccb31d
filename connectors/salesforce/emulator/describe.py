"""describe / describeGlobal / limits bodies in Salesforce's shapes."""

from __future__ import annotations

from typing import Any

from connectors.salesforce.emulator.schema import FieldDef, ObjectDef, Schema

_SOAP_TYPE = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "date": "xsd:date",
    "datetime": "xsd:dateTime", "currency": "xsd:double", "double": "xsd:double",
    "int": "xsd:int", "percent": "xsd:double",
}


def _field_describe(fdef: FieldDef) -> dict[str, Any]:
    picklist = [
        {"value": v, "label": v, "active": True, "validFor": None,
         "defaultValue": v == fdef.default_value}
        for v in fdef.picklist
    ]
    return {
        "name": fdef.name, "label": fdef.label, "type": fdef.type, "length": fdef.length,
        "byteLength": fdef.length * 3, "precision": fdef.precision, "scale": fdef.scale,
        "digits": 0, "nillable": fdef.nillable, "createable": fdef.createable,
        "updateable": fdef.updateable, "externalId": fdef.external_id, "unique": fdef.unique,
        "idLookup": fdef.id_lookup, "calculated": fdef.calculated,
        "defaultedOnCreate": fdef.defaulted_on_create,
        "defaultValue": fdef.default_value if not isinstance(fdef.default_value, bool) else None,
        "picklistValues": picklist, "restrictedPicklist": fdef.restricted_picklist,
        "referenceTo": list(fdef.reference_to), "relationshipName": fdef.relationship_name,
        "custom": fdef.name.endswith("__c"), "filterable": True,
        "sortable": fdef.type != "textarea", "groupable": fdef.type != "textarea",
        "autoNumber": False, "caseSensitive": False, "htmlFormatted": False,
        "nameField": fdef.name == "Name", "soapType": _SOAP_TYPE.get(fdef.type, "xsd:string"),
        "permissionable": _permissionable(fdef),
        "compoundFieldName": fdef.compound_field_name,
    }


def _permissionable(fdef: FieldDef) -> bool:
    from connectors.salesforce.emulator.tooling import permissionable

    return permissionable(fdef)


def _urls(obj: ObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def _summary(obj: ObjectDef, version: str) -> dict[str, Any]:
    return {
        "name": obj.name, "label": obj.label, "labelPlural": obj.label + "s",
        "keyPrefix": obj.key_prefix, "custom": obj.custom, "queryable": True,
        "createable": True, "updateable": True, "deletable": True, "retrieveable": True,
        "searchable": True, "layoutable": True, "urls": _urls(obj, version),
    }


def describe_object(obj: ObjectDef, version: str) -> dict[str, Any]:
    body = _summary(obj, version)
    body["fields"] = [_field_describe(f) for f in obj.fields.values()]
    body["childRelationships"] = []
    body["recordTypeInfos"] = []
    return body


def describe_global(schema: Schema, version: str) -> dict[str, Any]:
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [_summary(o, version) for o in schema.objects.values()]}


def basic_info(obj: ObjectDef, version: str) -> dict[str, Any]:
    return {"objectDescribe": _summary(obj, version), "recentItems": []}


def limits(daily_max: int, daily_used: int) -> dict[str, Any]:
    def pair(maximum: int, used: int = 0) -> dict[str, int]:
        return {"Max": maximum, "Remaining": max(maximum - used, 0)}

    return {
        "DailyApiRequests": pair(daily_max, daily_used),
        "DailyBulkApiBatches": pair(15000), "DailyBulkV2QueryFileStorageMB": pair(976562),
        "DailyBulkV2QueryJobs": pair(10000), "DataStorageMB": pair(1024),
        "FileStorageMB": pair(1024), "SingleEmailMessages": pair(5000),
    }

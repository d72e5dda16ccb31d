"""JSON Schemas of the two admin-edited files (mapping YAML, config.yaml), for editors.

Both are generated from the pydantic models that validate the files, never kept by hand:
`make schemas` writes them to schemas/ (a test checks the committed copies are current) and
`prm-sync init` writes them next to the config it creates. Each YAML file starts with a
`# yaml-language-server: $schema=...` line naming its schema, relative to the YAML file, so that
VS Code (or any YAML language server) completes and validates while the admin types.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from prm_sync.config import Config
from prm_sync.mapping import json_schema as mapping_json_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
MAPPING_SCHEMA_FILE = "mapping.schema.json"
CONFIG_SCHEMA_FILE = "config.schema.json"
SCHEMA_DIR = "schemas"
_MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=\S*[^\S\n]*\n?")


class _ConfigSchemaGenerator(GenerateJsonSchema):
    """Amounts and rates are Decimals read from quoted strings ("10%", "0.00004") or integers; a
    YAML float is refused by the models, so the schema offers exactly those two forms."""

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        return {"anyOf": [{"type": "integer"}, {"type": "string"}],
                "description": "a quoted decimal such as \"1.10\" or \"5%\", or an integer"}


def mapping_schema() -> dict[str, Any]:
    return mapping_json_schema()


def config_schema() -> dict[str, Any]:
    """JSON Schema of config.yaml; fields the loader fills in itself (excluded from dumps) are left out."""
    schema = Config.model_json_schema(by_alias=True, schema_generator=_ConfigSchemaGenerator)
    internal = {field.alias or name for name, field in Config.model_fields.items() if field.exclude}
    for name in internal:
        schema["properties"].pop(name, None)
    if "required" in schema:
        schema["required"] = [name for name in schema["required"] if name not in internal]
    schema["$schema"] = DRAFT
    schema["title"] = "prm-sync config.yaml"
    return schema


def schema_text(schema: dict[str, Any]) -> str:
    """The one serialisation used everywhere (so committed files compare byte for byte)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write mapping.schema.json and config.schema.json into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in ((MAPPING_SCHEMA_FILE, mapping_schema()), (CONFIG_SCHEMA_FILE, config_schema())):
        path = directory / name
        path.write_text(schema_text(schema), encoding="utf-8")
        written.append(path)
    return written


def modeline(schema_ref: str) -> str:
    return f"# yaml-language-server: $schema={schema_ref}\n"


def with_modeline(text: str, schema_ref: str) -> str:
    """`text` starting with the modeline for `schema_ref` (an existing modeline is replaced)."""
    return modeline(schema_ref) + _MODELINE.sub("", text, count=1)

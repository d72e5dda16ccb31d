"""Mapping YAML -> compiled, validated mapper (no CRM SDK, no I/O beyond reading the file)."""

from prm_sync.mapping.compiler import compile_loaded, compile_text, load_mapping
from prm_sync.mapping.mapper import CompiledField, CompiledMapping, EntityMapper, MappedRecord
from prm_sync.mapping.schema import MappingFile, json_schema

__all__ = [
    "CompiledField", "CompiledMapping", "EntityMapper", "MappedRecord", "MappingFile",
    "compile_loaded", "compile_text", "json_schema", "load_mapping",
]

"""Turning pydantic validation errors into `FILE:LINE: path: message` problems."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from prm_sync.errors import Problem
from prm_sync.yamlsource import LoadedYaml


def problems_from(exc: ValidationError, loaded: LoadedYaml, model: type[BaseModel]) -> list[Problem]:
    return problems_at(exc, loaded, model, (), loaded.data)


def problems_at(exc: ValidationError, loaded: LoadedYaml, model: type[BaseModel], prefix: Sequence[str | int],
                data: Any) -> list[Problem]:
    """The problems of `model` validated on `data`, the part of the file found at `prefix`."""
    problems = []
    for err in exc.errors(include_url=False):
        path = _data_path(err["loc"], data)
        problems.append(loaded.problem([*prefix, *path], _message(err, path, data, model)))
    return problems


def _data_path(loc: Sequence[Any], data: Any) -> list[str | int]:
    """Keep the parts of a pydantic `loc` that name real keys/indexes (drop union tags)."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if part == "[key]":
            continue
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif last and isinstance(node, dict) and isinstance(part, str):
            path.append(part)  # a missing key: name it
    return path


def _message(err: Any, path: Sequence[str | int], data: Any, model: type[BaseModel]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else "?"
        allowed = _allowed_keys(model, path[:-1], data)
        hint = ""
        close = difflib.get_close_matches(name, allowed, n=1)
        if close:
            hint = f" (did you mean '{close[0]}'?)"
        elif allowed:
            hint = f" (allowed: {', '.join(sorted(allowed))})"
        return f"unknown key '{name}'{hint}"
    if kind == "missing":
        return "required key is missing"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return msg[0].lower() + msg[1:] if msg else msg


def _allowed_keys(model: type[BaseModel], path: Sequence[str | int], data: Any) -> list[str]:
    """Field names of the model that sits at `path` (best effort: follows nested models)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            current = _inner_model(current, None)
            continue
        fields = getattr(current, "model_fields", None)
        if fields and part in fields:
            current = _inner_model(fields[part].annotation, None)
        else:
            current = _inner_model(current, "dict-value")
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return [f.alias or name for name, f in fields.items()] if fields else []


def _inner_model(annotation: Any, _hint: str | None) -> Any:
    """The BaseModel inside an annotation such as `X | None`, `list[X]` or `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg, _hint)
        if found is not None:
            return found
    return None

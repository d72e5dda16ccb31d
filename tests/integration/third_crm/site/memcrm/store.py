"""MemCRM's state: records by object, each {id, modstamp, fields, archived_at, links}, in a JSON file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

EPOCH = "2026-11-26T21:27:33+00:00"


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        self.now: str = data.get("now", EPOCH)
        self.next_id: int = data.get("next_id", 1)
        self.objects: dict[str, dict[str, dict[str, Any]]] = data.get("objects", {})
        self.down: bool = data.get("down", False)
        self.api_key: str = data.get("api_key", "")
        self.calls: int = data.get("calls", 0)

    def save(self) -> None:
        self.path.write_text(json.dumps({
            "now": self.now, "next_id": self.next_id, "objects": self.objects, "down": self.down,
            "api_key": self.api_key, "calls": self.calls}, ensure_ascii=False, indent=1), encoding="utf-8")

    def clock(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.now)

    def tick(self, seconds: float = 0.001) -> str:
        self.now = (self.clock() + dt.timedelta(seconds=seconds)).isoformat()
        return self.now

    def table(self, obj: str) -> dict[str, dict[str, Any]]:
        return self.objects.setdefault(obj, {})

    def create(self, obj: str, fields: dict[str, Any]) -> dict[str, Any]:
        crm_id = f"M{self.next_id:06d}"
        self.next_id += 1
        record = {"id": crm_id, "modstamp": self.tick(), "fields": dict(fields), "archived_at": None, "links": {}}
        self.table(obj)[crm_id] = record
        return record

    def update(self, obj: str, crm_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        record = self.table(obj)[crm_id]
        record["fields"].update(fields)
        record["modstamp"] = self.tick()
        return record

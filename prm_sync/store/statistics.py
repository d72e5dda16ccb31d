"""Planner statistics for tables a run fills (PostgreSQL).

PostgreSQL plans with the statistics ANALYZE gathered, and autovacuum gathers them only after its
next round (a minute or more). For a table never analyzed the planner guesses: measured, the
per-page look-ups (`prm_id IN (...)` of a pull, the push's join to `link`) then walked the wrong
unique index of `link` ((entity, crm_id) for a `prm_id` look-up: every link of the entity, per
look-up), and a run slowed down with the square of its size (a 20,000 x 3 first pull into
PostgreSQL: 63 s instead of 11 s; a 100,000-record push: 408 s instead of 48 s).

Most tables need one ANALYZE, once the run has written `ANALYZE_FROM` rows to them: the planner
scales a table's row estimate by its current size on disk (the pages the file has now, times the
rows per page ANALYZE saw), so a table that keeps growing is still planned at its real size.
`link` is different: it holds every entity's links and each look-up picks one entity first. The
size scales, the mix of entities does not: analyzed while it held partner links only, it is
planned with one registration link, whatever the registration pull has written since; analyzed
with 2,000 registration links among 100,000, with 2,000 still. So `link` is analyzed each time
the run has doubled what it wrote to it, which keeps each entity's estimate within a small
factor of the truth (tests/integration/store/test_statistics.py). The other tables were analyzed
that way too: 24 of a 300,000-record first pull's 32 ANALYZEs, with the plans of one. SQLite needs
none of this.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import Session

ANALYZE_FROM = 1_000  # rows a run writes to a table before its first refresh
MIXED = frozenset({"link"})  # tables holding several entities' rows: refreshed as the run doubles them


class TableStatistics:
    def __init__(self) -> None:
        self._written: dict[str, int] = {}    # rows written per table by this run
        self._analyzed: dict[str, int] = {}   # ... when its statistics were last refreshed
        self.refreshed: list[str] = []        # tables analyzed, in order (for tests and logs)

    def wrote(self, session: Session, table: Table, count: int) -> None:
        """Note `count` rows written to `table` in the session's transaction; ANALYZE it when due."""
        if count <= 0:
            return
        written = self._written[table.name] = self._written.get(table.name, 0) + count
        analyzed = self._analyzed.get(table.name)
        if analyzed is not None and table.name not in MIXED:
            return
        if written - (analyzed or 0) < max(ANALYZE_FROM, analyzed or 0):
            return
        self._analyzed[table.name] = written
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            session.flush()  # rows the session still holds are in the table before it is sampled
            connection.exec_driver_sql(f"ANALYZE {connection.dialect.identifier_preparer.format_table(table)}")
            self.refreshed.append(table.name)

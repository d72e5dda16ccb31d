"""Planner statistics kept current while a run fills tables (PostgreSQL).

PostgreSQL plans with the statistics ANALYZE gathered, and autovacuum gathers them only after its
next round (a minute or more). A sync that fills a table in one run (an initial pull, a first
push of thousands of PRM records) otherwise queries a table the planner still takes for tiny:
measured, the per-page look-ups (`crm_id IN (...)`, the push's outer join to `link`) then scanned
every row of the entity for each page, and a 100,000-record run slowed down with the square of
its size. Refreshing a table's statistics each time the run has doubled what it wrote to it costs
a handful of ANALYZEs per run (each samples a bounded number of rows). SQLite needs none of this.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import Session

ANALYZE_FROM = 1_000  # rows a run writes to a table before its first refresh


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
        analyzed = self._analyzed.get(table.name, 0)
        if written - analyzed < max(ANALYZE_FROM, analyzed):
            return
        self._analyzed[table.name] = written
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            session.flush()  # rows the session still holds are in the table before it is sampled
            connection.exec_driver_sql(f"ANALYZE {connection.dialect.identifier_preparer.format_table(table)}")
            self.refreshed.append(table.name)

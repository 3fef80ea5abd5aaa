"""Reserving primary keys for bulk inserts.

Bulk ingestion writes rows that refer to each other (invoice -> raw record -> validation)
with executemany, which returns no ids, so ids are reserved up front: from the table's
sequence on PostgreSQL (safe with concurrent workers), and from max(id) on SQLite, where
the caller's transaction has already written and so holds SQLite's single write lock.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection


def reserve_ids(conn: Connection, table: Table, count: int) -> Sequence[int]:
    """Reserve `count` fresh ids in `table`, in ascending order."""
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
            ),
            {"t": table.name, "n": count},
        ).scalars()
        return sorted(rows)
    current = conn.execute(select(func.max(table.c.id))).scalar()
    first = int(current or 0) + 1
    return range(first, first + count)

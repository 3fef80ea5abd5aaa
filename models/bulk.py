"""Fast executemany inserts for bulk ingestion.

SQLAlchemy's executemany spends most of its time preparing each parameter set; at
ingestion volume that is the bottleneck, so rows are handed to the driver as tuples
after only the conversions the column types need (the types' own bind processors).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from models.base import Money, decimal_text

Processor = Callable[[Any], Any]


def _placeholder(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise NotImplementedError(f"bulk insert does not support paramstyle {style}")


def _processor(column_type: Any, conn: Connection) -> tuple[Processor | None, bool]:
    """The conversion a column needs, and whether to memoize it.

    Dates and timestamps repeat across a batch, so each distinct value is converted once;
    money is mostly distinct, and on SQLite its text form is computed directly.
    """
    if isinstance(column_type, Money):
        return (decimal_text if conn.dialect.name == "sqlite" else None), False
    process = column_type._cached_bind_processor(conn.dialect)
    return process, process is not None


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name) with one driver-level executemany."""
    if not rows:
        return
    names = list(rows[0])
    preparer = conn.dialect.identifier_preparer
    columns = [table.c[name] for name in names]
    mark = _placeholder(conn)
    sql = (
        f"INSERT INTO {preparer.format_table(table)} "
        f"({', '.join(preparer.format_column(c) for c in columns)}) "
        f"VALUES ({', '.join(mark for _ in names)})"
    )
    processors = [_processor(c.type, conn) for c in columns]
    converted = [(i, p, {} if memoize else None) for i, (p, memoize) in enumerate(processors) if p is not None]
    params = []
    for row in rows:
        values = [row[name] for name in names]
        for i, process, memo in converted:
            value = values[i]
            if value is None:
                continue
            if memo is None:
                values[i] = process(value)
                continue
            done = memo.get(value)
            if done is None:
                done = memo[value] = process(value)
            values[i] = done
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)

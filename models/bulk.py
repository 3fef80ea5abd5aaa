"""Fast executemany inserts for bulk ingestion.

SQLAlchemy's executemany spends most of its time preparing each parameter set; at
ingestion volume that is the bottleneck, so rows go to the driver as tuples after only
the conversions their column types need (the types' own bind processors), applied a
column at a time.
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


def _convert(values: Sequence[Any], process: Processor, memoize: bool) -> list[Any]:
    if not memoize:
        return [None if v is None else process(v) for v in values]
    memo: dict[Any, Any] = {}
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        done = memo.get(v)
        if done is None:
            done = memo[v] = process(v)
        out.append(done)
    return out


def bulk_insert_rows(conn: Connection, table: Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` (tuples in the order of `names`) with one driver-level executemany."""
    if not rows:
        return
    preparer = conn.dialect.identifier_preparer
    columns = [table.c[name] for name in names]
    mark = _placeholder(conn)
    sql = (
        f"INSERT INTO {preparer.format_table(table)} "
        f"({', '.join(preparer.format_column(c) for c in columns)}) "
        f"VALUES ({', '.join(mark for _ in names)})"
    )
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for i, column in enumerate(columns):
        process, memoize = _processor(column.type, conn)
        if process is not None:
            by_column[i] = _convert(by_column[i], process, memoize)
    conn.exec_driver_sql(sql, list(zip(*by_column, strict=True)))


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name, all with the same keys)."""
    if not rows:
        return
    names = list(rows[0])
    bulk_insert_rows(conn, table, names, [tuple(row[n] for n in names) for row in rows])

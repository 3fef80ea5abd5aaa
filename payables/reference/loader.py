"""Loading reference data files (vendor master, purchase orders, FX rates, clients).

A file is loaded whole or not at all: reference data half-loaded would judge invoices
against a master that never existed. Every problem is reported with file, line and
column. Loading the same content again changes nothing; a changed vendor leaves a
VendorChange per field, so "the vendor master changed since" can be answered.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from models import Client, FxRate, PurchaseOrder, ReferenceVersion, Vendor, VendorChange
from payables.canonical import BUSINESS_LINES
from payables.errors import ReferenceDataError

MAX_PROBLEMS = 20
Parser = Callable[[str], Any]


def _text(value: str) -> str:
    return value.strip()


def _upper(value: str) -> str:
    return value.strip().upper()


def _decimal(value: str) -> Decimal:
    try:
        parsed = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a decimal number") from None
    if not parsed.is_finite() or parsed < 0:
        raise ValueError(f"'{value}' is not a non-negative amount")
    return parsed


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"'{value}' is not an ISO date (YYYY-MM-DD)") from None


def _choice(*allowed: str) -> Parser:
    def parse(value: str) -> str:
        v = value.strip().lower()
        if v not in allowed:
            raise ValueError(f"'{value}' is not one of {', '.join(allowed)}")
        return v

    return parse


def _business_line(value: str) -> str:
    v = value.strip().upper()
    if v not in BUSINESS_LINES:
        raise ValueError(f"'{value}' is not one of {', '.join(sorted(BUSINESS_LINES))}")
    return v


@dataclass(frozen=True)
class FileSpec:
    kind: str
    filename: str
    table: Any
    key: tuple[str, ...]
    columns: dict[str, Parser]
    optional: frozenset[str] = frozenset()


SPECS = (
    FileSpec("clients", "clients.csv", Client, ("client_id",),
             {"client_id": _text, "name": _text, "business_line": _business_line, "geographies": _upper}),
    FileSpec("vendors", "vendors.csv", Vendor, ("vendor_id",),
             {"vendor_id": _text, "name": _text, "country": _upper, "tax_id": _text, "iban": _text,
              "status": _choice("active", "inactive", "blocked")},
             frozenset({"tax_id", "iban"})),
    FileSpec("purchase_orders", "purchase_orders.csv", PurchaseOrder, ("po_number",),
             {"po_number": _text, "client_id": _text, "vendor_id": _text, "currency": _upper,
              "amount": _decimal, "status": _choice("open", "closed", "cancelled")}),
    FileSpec("fx_rates", "fx_rates.csv", FxRate, ("currency", "date"),
             {"currency": _upper, "date": _date, "rate_to_usd": _decimal}),
)  # fmt: skip


@dataclass(frozen=True)
class LoadResult:
    kind: str
    file: str
    rows: int
    inserted: int
    changed: int
    unchanged_file: bool
    version: int


def parse_reference_file(spec: FileSpec, path: Path, data: bytes) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"{path}: not UTF-8 (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in spec.columns if c not in header and c not in spec.optional]
    if missing:
        raise ReferenceDataError(f"{path}: header lacks column {', '.join(missing)}")
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[tuple[Any, ...], int] = {}
    for raw in reader:
        line = reader.line_num
        row: dict[str, Any] = {}
        for column, parse in spec.columns.items():
            value = raw.get(column) or ""
            if not value.strip() and column not in spec.optional:
                problems.append(f"{path}:{line}: column {column} is empty")
                continue
            try:
                row[column] = parse(value)
            except ValueError as exc:
                problems.append(f"{path}:{line}: column {column}: {exc}")
        key = tuple(row.get(k) for k in spec.key)
        if key in seen:
            problems.append(f"{path}:{line}: {'/'.join(map(str, key))} repeats line {seen[key]}")
        seen[key] = line
        rows.append(row)
    if problems:
        more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
        raise ReferenceDataError("; ".join(problems[:MAX_PROBLEMS]) + more)
    return rows


def load_reference_dir(session: Session, directory: Path, now: datetime) -> list[LoadResult]:
    """Load every reference file present in `directory` (in the caller's transaction)."""
    present = [s for s in SPECS if (directory / s.filename).is_file()]
    if not present:
        names = ", ".join(s.filename for s in SPECS)
        raise ReferenceDataError(f"{directory}: none of {names} found")
    return [load_reference_file(session, spec, directory / spec.filename, now) for spec in present]


def load_reference_file(session: Session, spec: FileSpec, path: Path, now: datetime) -> LoadResult:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    last = session.scalars(
        select(ReferenceVersion).where(ReferenceVersion.kind == spec.kind)
        .order_by(ReferenceVersion.id.desc()).limit(1)
    ).first()
    rows = parse_reference_file(spec, path, data)
    if last is not None and last.sha256 == digest:
        return LoadResult(spec.kind, str(path), len(rows), 0, 0, True, last.id)
    version = ReferenceVersion(loaded_at=now, kind=spec.kind, source=str(path), sha256=digest,
                               rows_loaded=len(rows), rows_changed=0)
    session.add(version)
    session.flush()
    inserted, changed = _upsert(session, spec, rows, version.id, now)
    version.rows_changed = inserted + changed
    return LoadResult(spec.kind, str(path), len(rows), inserted, changed, False, version.id)


def _upsert(session: Session, spec: FileSpec, rows: list[dict[str, Any]], version_id: int,
            now: datetime) -> tuple[int, int]:
    table = spec.table
    cols = [getattr(table, c) for c in spec.columns]
    key_cols = [getattr(table, k) for k in spec.key]
    current = {
        tuple(r[i] for i in range(len(spec.key))): dict(zip(spec.columns, r[len(spec.key):], strict=True))
        for r in session.execute(select(*key_cols, *cols))
    }
    extra: dict[str, Any] = {"reference_version": version_id} if spec.kind != "clients" else {}
    if spec.kind == "vendors":
        extra["updated_at"] = now
    fresh: list[dict[str, Any]] = []
    vendor_changes: list[dict[str, Any]] = []
    changed = 0
    for row in rows:
        row.update({c: "" for c in spec.optional if c not in row})
        key = tuple(row[k] for k in spec.key)
        old = current.get(key)
        if old is None:
            fresh.append({**row, **extra})
            continue
        diff = {c: (old[c], row[c]) for c in spec.columns if old[c] != row[c]}
        if not diff:
            continue
        changed += 1
        where = [kc == kv for kc, kv in zip(key_cols, key, strict=True)]
        session.execute(update(table).where(*where).values(**row, **extra))
        if spec.kind == "vendors":
            vendor_changes += [
                dict(vendor_id=key[0], reference_version=version_id, field=c, old_value=str(a),
                     new_value=str(b), changed_at=now)
                for c, (a, b) in diff.items()
            ]
    if fresh:
        session.execute(insert(table), fresh)
    if vendor_changes:
        session.execute(insert(VendorChange), vendor_changes)
    return len(fresh), changed

"""Reading reference data from the database into a MemoryReference, in a few queries.

A batch asks once for everything its invoices name (their vendors, POs, rates, and any
earlier invoice with the same key or the same vendor and date), instead of once per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    MetaData,
    String,
    Table,
    and_,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.sql import Executable

from models import Client, FxRate, Invoice, PurchaseOrder, ReferenceVersion, Vendor
from models.bulk import bulk_insert
from payables.canonical import CanonicalInvoice
from payables.reference.lookup import FX_LOOKBACK_DAYS, ExistingInvoice, PurchaseOrderRef, VendorRef
from payables.reference.memory import MemoryReference
from payables.rules.base import Needs

CHUNK = 400
# Up to this many keys and days, earlier invoices are looked up without temporary tables.
SMALL_LOOKUP = 40


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def loaded_kinds(conn: Connection) -> frozenset[Needs]:
    kinds = {Needs.INVOICES}
    for need, table in ((Needs.VENDORS, Vendor), (Needs.PURCHASE_ORDERS, PurchaseOrder), (Needs.FX_RATES, FxRate)):
        if conn.execute(select(exists().select_from(table))).scalar():
            kinds.add(need)
    return frozenset(kinds)


def reference_version(conn: Connection) -> int:
    return int(conn.execute(select(func.max(ReferenceVersion.id))).scalar() or 0)


def fill_from_client_master(conn: Connection, invoices: Sequence[CanonicalInvoice]) -> None:
    """Give invoices without a business line (UBL documents carry none) their client's."""
    blank = sorted({i.client_id for i in invoices if not i.business_line})
    if not blank:
        return
    lines = {
        client: line
        for chunk in _chunks(blank)
        for client, line in conn.execute(select(Client.client_id, Client.business_line).where(Client.client_id.in_(chunk)))
    }
    for inv in invoices:
        if not inv.business_line and inv.client_id in lines:
            inv.business_line = lines[inv.client_id]


def reference_for(
    conn: Connection, invoices: Sequence[CanonicalInvoice], *, exclude_invoice_id: int | None = None
) -> MemoryReference:
    """Everything the rules may look up for `invoices`, fetched in bulk."""
    loaded = loaded_kinds(conn)
    return MemoryReference(
        vendors=_vendors(conn, invoices) if Needs.VENDORS in loaded else (),
        purchase_orders=_purchase_orders(conn, invoices) if Needs.PURCHASE_ORDERS in loaded else (),
        fx_rates=_fx_rates(conn, invoices) if Needs.FX_RATES in loaded else {},
        invoices=_earlier_invoices(conn, invoices),
        loaded=loaded,
        version=reference_version(conn),
        exclude_invoice_id=exclude_invoice_id,
    )


def _vendors(conn: Connection, invoices: Sequence[CanonicalInvoice]) -> list[VendorRef]:
    ids = sorted({i.vendor_id for i in invoices})
    cols = (Vendor.vendor_id, Vendor.name, Vendor.country, Vendor.tax_id, Vendor.iban, Vendor.status)
    return [
        VendorRef(*row)
        for chunk in _chunks(ids)
        for row in conn.execute(select(*cols).where(Vendor.vendor_id.in_(chunk)))
    ]


def _purchase_orders(conn: Connection, invoices: Sequence[CanonicalInvoice]) -> list[PurchaseOrderRef]:
    numbers = sorted({i.po_number for i in invoices if i.po_number})
    cols = (
        PurchaseOrder.po_number,
        PurchaseOrder.client_id,
        PurchaseOrder.vendor_id,
        PurchaseOrder.currency,
        PurchaseOrder.amount,
        PurchaseOrder.status,
    )
    return [
        PurchaseOrderRef(*row)
        for chunk in _chunks(numbers)
        for row in conn.execute(select(*cols).where(PurchaseOrder.po_number.in_(chunk)))
    ]


def _fx_rates(conn: Connection, invoices: Sequence[CanonicalInvoice]) -> dict[tuple[str, date], Decimal]:
    dates = [i.invoice_date for i in invoices if i.invoice_date is not None]
    currencies = sorted({i.currency for i in invoices if i.currency and i.currency != "USD"})
    if not dates or not currencies:
        return {}
    low, high = min(dates) - timedelta(days=FX_LOOKBACK_DAYS), max(dates)
    rows = conn.execute(
        select(FxRate.currency, FxRate.date, FxRate.rate_to_usd).where(
            FxRate.currency.in_(currencies), FxRate.date.between(low, high)
        )
    )
    return {(cur, day): rate for cur, day, rate in rows}


_probe = MetaData()
# Keys of the batch are joined against the invoices in the database through temporary
# tables: one join instead of hundreds of IN-lists, on SQLite and PostgreSQL alike.
_KEY_PROBE = Table(
    "payops_probe_keys", _probe,
    Column("client_id", String(16)), Column("vendor_id", String(32)), Column("invoice_number", String(64)),
    prefixes=["TEMPORARY"],
)
_DAY_PROBE = Table(
    "payops_probe_days", _probe, Column("vendor_id", String(32)), Column("invoice_date", Date),
    prefixes=["TEMPORARY"],
)


def _probe_rows(
    conn: Connection, probe: Table, rows: list[dict[str, Any]], query: Executable
) -> list[Any]:
    probe.create(conn, checkfirst=False)
    try:
        bulk_insert(conn, probe, rows)
        return list(conn.execute(query))
    finally:
        probe.drop(conn, checkfirst=False)


def _earlier_invoices(
    conn: Connection, invoices: Sequence[CanonicalInvoice]
) -> list[tuple[ExistingInvoice, Decimal | None, date | None]]:
    """Stored invoices with the same key as one of `invoices` (DUP-01), or the same vendor
    and date (DUP-02)."""
    cols = (Invoice.id, Invoice.client_id, Invoice.vendor_id, Invoice.invoice_number, Invoice.status,
            Invoice.total_amount, Invoice.invoice_date)
    if not invoices or not conn.execute(select(exists().select_from(Invoice))).scalar():
        return []
    keys = [dict(client_id=c, vendor_id=v, invoice_number=n) for c, v, n in {i.key for i in invoices}]
    days = [dict(vendor_id=v, invoice_date=d)
            for v, d in {(i.vendor_id, i.invoice_date) for i in invoices if i.invoice_date}]
    found: dict[int, tuple[ExistingInvoice, Decimal | None, date | None]] = {}
    for inv_id, client, vendor, number, status, total, day in _matching(conn, cols, keys, days):
        found[inv_id] = (ExistingInvoice(inv_id, client, vendor, number, status), total, day)
    return list(found.values())


def _matching(conn: Connection, cols: tuple[Any, ...], keys: list[dict[str, Any]],
              days: list[dict[str, Any]]) -> Iterable[Any]:
    """Rows with one of `keys` or one of `days`. A few (one invoice re-judged, a dry run)
    are looked up directly; a batch's many go through temporary tables (one join instead
    of hundreds of IN-lists), whose creation costs more than a small lookup on PostgreSQL."""
    if len(keys) + len(days) <= SMALL_LOOKUP:
        by_key = tuple_(Invoice.client_id, Invoice.vendor_id, Invoice.invoice_number).in_(
            [(r["client_id"], r["vendor_id"], r["invoice_number"]) for r in keys])
        by_day = tuple_(Invoice.vendor_id, Invoice.invoice_date).in_(
            [(r["vendor_id"], r["invoice_date"]) for r in days])
        wanted = [c for c, rows in ((by_key, keys), (by_day, days)) if rows]
        return conn.execute(select(*cols).where(or_(*wanted))) if wanted else ()
    k, d = _KEY_PROBE.c, _DAY_PROBE.c
    out: list[Any] = []
    for probe, rows, on in (
        (_KEY_PROBE, keys, and_(Invoice.client_id == k.client_id, Invoice.vendor_id == k.vendor_id,
                                Invoice.invoice_number == k.invoice_number)),
        (_DAY_PROBE, days, and_(Invoice.vendor_id == d.vendor_id, Invoice.invoice_date == d.invoice_date)),
    ):
        if rows:
            out += _probe_rows(conn, probe, rows, select(*cols).join(probe, on))
    return out

"""Reference data held in memory: what a batch prefetched, plus what it has seen so far."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from payables.reference.lookup import (
    FX_LOOKBACK_DAYS,
    ExistingInvoice,
    PurchaseOrderRef,
    VendorRef,
)
from payables.rules.base import Needs

_LOOKBACK = tuple(timedelta(days=d) for d in range(FX_LOOKBACK_DAYS + 1))


class MemoryReference:
    """A ReferenceLookup over dictionaries.

    `remember` adds an invoice of the batch being processed, so that two rows of one file
    are checked against each other for duplicates exactly as against stored invoices.
    """

    def __init__(
        self,
        *,
        vendors: Iterable[VendorRef] = (),
        purchase_orders: Iterable[PurchaseOrderRef] = (),
        fx_rates: dict[tuple[str, date], Decimal] | None = None,
        invoices: Iterable[tuple[ExistingInvoice, Decimal | None, date | None]] = (),
        loaded: Iterable[Needs] = (Needs.INVOICES,),
        version: int = 0,
        exclude_invoice_id: int | None = None,
    ) -> None:
        self._vendors = {v.vendor_id: v for v in vendors}
        self._pos = {p.po_number: p for p in purchase_orders}
        self._fx = dict(fx_rates or {})
        self._by_key: dict[tuple[str, str, str], ExistingInvoice] = {}
        self._by_total: dict[tuple[str, Decimal, date], list[ExistingInvoice]] = {}
        self._loaded = frozenset(loaded)
        self._version = version
        self._exclude = exclude_invoice_id
        for existing, total, on in invoices:
            self.remember(existing, total, on)

    @property
    def loaded(self) -> frozenset[Needs]:
        return self._loaded

    @property
    def version(self) -> int:
        return self._version

    def override(
        self,
        *,
        vendors: Iterable[VendorRef] = (),
        purchase_orders: Iterable[PurchaseOrderRef] = (),
        fx_rates: dict[tuple[str, date], Decimal] | None = None,
        statuses: dict[int, str] | None = None,
    ) -> None:
        """Replace or add reference rows: a dry run judges an invoice as it would be after a
        change to the vendor master, the POs, the rates or other invoices' statuses (one
        released earlier in a plan may make the next a duplicate), without writing it."""
        if statuses:
            for existing in list(self._by_key.values()):
                if existing.invoice_id in statuses:
                    moved = ExistingInvoice(existing.invoice_id, existing.client_id, existing.vendor_id,
                                            existing.invoice_number, statuses[existing.invoice_id],
                                            existing.earlier_in_file)
                    self._by_key[(moved.client_id, moved.vendor_id, moved.invoice_number)] = moved
                    for bucket in self._by_total.values():
                        bucket[:] = [moved if e.invoice_id == moved.invoice_id else e for e in bucket]
        loaded = set(self._loaded)
        for v in vendors:
            self._vendors[v.vendor_id] = v
            loaded.add(Needs.VENDORS)
        for p in purchase_orders:
            self._pos[p.po_number] = p
            loaded.add(Needs.PURCHASE_ORDERS)
        if fx_rates:
            self._fx.update(fx_rates)
            loaded.add(Needs.FX_RATES)
        self._loaded = frozenset(loaded)

    def vendor(self, vendor_id: str) -> VendorRef | None:
        return self._vendors.get(vendor_id)

    def purchase_order(self, po_number: str) -> PurchaseOrderRef | None:
        return self._pos.get(po_number)

    def fx_rate(self, currency: str, on: date) -> tuple[date, Decimal] | None:
        for back in _LOOKBACK:
            day = on - back
            rate = self._fx.get((currency, day))
            if rate is not None:
                return day, rate
        return None

    def existing_invoice(self, key: tuple[str, str, str]) -> ExistingInvoice | None:
        return self._by_key.get(key)

    def same_total_invoices(self, vendor_id: str, total: Decimal, on: date) -> list[ExistingInvoice]:
        return self._by_total.get((vendor_id, total, on), [])

    def remember(self, existing: ExistingInvoice, total: Decimal | None, on: date | None) -> None:
        if existing.invoice_id is not None and existing.invoice_id == self._exclude:
            return
        key = (existing.client_id, existing.vendor_id, existing.invoice_number)
        previous = self._by_key.get(key)
        self._by_key[key] = existing
        if total is None or on is None:
            return
        bucket = self._by_total.setdefault((existing.vendor_id, total, on), [])
        if previous is not None:
            bucket[:] = [e for e in bucket if e.invoice_number != existing.invoice_number
                         or e.client_id != existing.client_id]
        bucket.append(existing)

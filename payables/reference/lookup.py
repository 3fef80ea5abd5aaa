"""The read-only view of reference data that rules are given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from payables.rules.base import Needs

# FX rates are published on business days: a rate up to this many days older than the
# invoice date (a weekend, a bank holiday) still counts as the rate for that date.
FX_LOOKBACK_DAYS = 4


@dataclass(frozen=True, slots=True)
class VendorRef:
    vendor_id: str
    name: str
    country: str
    tax_id: str
    iban: str
    status: str


@dataclass(frozen=True, slots=True)
class PurchaseOrderRef:
    po_number: str
    client_id: str
    vendor_id: str
    currency: str
    amount: Decimal
    status: str


@dataclass(frozen=True, slots=True)
class ExistingInvoice:
    invoice_id: int | None
    client_id: str
    vendor_id: str
    invoice_number: str
    status: str
    earlier_in_file: bool = False  # from the batch being ingested, not from the store


class ReferenceLookup(Protocol):
    @property
    def loaded(self) -> frozenset[Needs]: ...

    @property
    def version(self) -> int: ...

    def vendor(self, vendor_id: str) -> VendorRef | None: ...

    def purchase_order(self, po_number: str) -> PurchaseOrderRef | None: ...

    def fx_rate(self, currency: str, on: date) -> tuple[date, Decimal] | None: ...

    def existing_invoice(self, key: tuple[str, str, str]) -> ExistingInvoice | None: ...

    def same_total_invoices(
        self, vendor_id: str, total: Decimal, on: date
    ) -> list[ExistingInvoice]: ...

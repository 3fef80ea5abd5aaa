"""Small builders for test data: make_invoice(**overrides) and friends."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from payables.canonical import FIELDS, CanonicalInvoice
from payables.reference import MemoryReference, PurchaseOrderRef, VendorRef
from payables.rules.base import Needs, RuleContext

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

# Real, valid identifiers (check digits verified by python-stdnum / schwifty).
DE_VAT = "DE136695976"
DE_IBAN = "DE89370400440532013000"


def make_invoice(**overrides: Any) -> CanonicalInvoice:
    fields: dict[str, Any] = dict(
        client_id="C017",
        business_line="DIGITAL",
        geography="DE",
        vendor_id="V00412",
        vendor_name="Acme GmbH",
        vendor_tax_id=DE_VAT,
        vendor_iban=DE_IBAN,
        invoice_number="INV-2291",
        invoice_date=date(2026, 11, 2),
        currency="EUR",
        net_amount=Decimal("100.00"),
        tax_amount=Decimal("19.00"),
        total_amount=Decimal("119.00"),
        payment_terms="NET30",
        po_number="",
    )
    fields.update(overrides)
    return CanonicalInvoice(**fields)


def make_vendor(**overrides: Any) -> VendorRef:
    fields: dict[str, Any] = dict(
        vendor_id="V00412", name="Acme GmbH", country="DE", tax_id=DE_VAT, iban=DE_IBAN, status="active"
    )
    fields.update(overrides)
    return VendorRef(**fields)


def make_po(**overrides: Any) -> PurchaseOrderRef:
    fields: dict[str, Any] = dict(
        po_number="PO-88120",
        client_id="C017",
        vendor_id="V00412",
        currency="EUR",
        amount=Decimal("119.00"),
        status="open",
    )
    fields.update(overrides)
    return PurchaseOrderRef(**fields)


def full_reference(**overrides: Any) -> MemoryReference:
    """Reference data with every kind loaded: the vendor above, its PO, EUR rates in November."""
    fields: dict[str, Any] = dict(
        vendors=[make_vendor()],
        purchase_orders=[make_po()],
        fx_rates={("EUR", date(2026, 11, d)): Decimal("1.08") for d in range(1, 30)},
        loaded=set(Needs),
    )
    fields.update(overrides)
    return MemoryReference(**fields)


def make_context(reference: MemoryReference | None = None, **overrides: Any) -> RuleContext:
    fields: dict[str, Any] = dict(
        reference=reference if reference is not None else full_reference(), now=NOW, ingested_at=NOW
    )
    fields.update(overrides)
    return RuleContext(**fields)


def write_feed(path: Path, invoices: list[CanonicalInvoice], extra_lines: tuple[str, ...] = ()) -> Path:
    """A canonical CSV feed of `invoices`, plus raw `extra_lines` appended verbatim."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for inv in invoices:
        writer.writerow(inv.as_feed_row())
    path.write_text(buffer.getvalue() + "".join(line + "\n" for line in extra_lines), encoding="utf-8")
    return path


def write_reference(directory: Path, *, vendors: list[dict[str, str]] | None = None,
                    purchase_orders: list[dict[str, str]] | None = None,
                    fx_rates: list[dict[str, str]] | None = None) -> Path:
    """Reference files in `directory`; None leaves a file out."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in (("vendors.csv", vendors), ("purchase_orders.csv", purchase_orders),
                       ("fx_rates.csv", fx_rates)):
        if rows is None:
            continue
        with (directory / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return directory


VENDOR_ROW = {"vendor_id": "V00412", "name": "Acme GmbH", "country": "DE", "tax_id": DE_VAT,
              "iban": DE_IBAN, "status": "active"}

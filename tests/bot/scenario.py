"""A small, real book of invoices for the bot's tests, ingested through the engine.

Vendors: V00412 Acme GmbH (active) and V00777 Bolt GmbH (inactive until `activate_vendor`).
Client C017 (DIGITAL, DE):
- INV-2291 from V00777, 119.00 EUR, NET30: rejected, the vendor is inactive (VM-01);
- INV-3000 from V00412, 238.00 EUR, NET30: validated, due 2026-12-05;
- INV-4400 from V00412, 59.50 EUR, IMMEDIATE: validated, on the 2-hour clock.
Client C042 (DIGITAL, DE):
- INV-5001 from V00777, 119.00 EUR: rejected like INV-2291, and must never be shown to C017.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from models import Database
from payables.canonical import CanonicalInvoice
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from tests.factories import NOW, VENDOR_ROW, make_invoice, write_feed, write_reference

FX = [{"currency": "EUR", "date": f"2026-11-{d:02d}", "rate_to_usd": "1.08"} for d in range(1, 30)]


BOLT = {**VENDOR_ROW, "vendor_id": "V00777", "name": "Bolt GmbH"}


def _reference(db: Database, directory: Path, *, bolt_active: bool) -> None:
    vendors = [VENDOR_ROW, BOLT if bolt_active else {**BOLT, "status": "inactive"}]
    with db.session() as session:
        load_reference_dir(session, write_reference(directory, vendors=vendors, fx_rates=FX), NOW)


def _bolt(**fields: Any) -> CanonicalInvoice:
    return make_invoice(vendor_id="V00777", vendor_name="Bolt GmbH", **fields)


def seed_book(db: Database, directory: Path) -> None:
    _reference(db, directory / "ref", bolt_active=False)
    with db.session() as session:
        ingest_file(session, write_feed(directory / "feed.csv", [
            _bolt(),
            make_invoice(invoice_number="INV-3000", net_amount=Decimal("200.00"), tax_amount=Decimal("38.00"),
                         total_amount=Decimal("238.00"), invoice_date=date(2026, 11, 5)),
            make_invoice(invoice_number="INV-4400", net_amount=Decimal("50.00"), tax_amount=Decimal("9.50"),
                         total_amount=Decimal("59.50"), payment_terms="IMMEDIATE"),
            _bolt(client_id="C042", invoice_number="INV-5001"),
        ]), clock=fixed_clock(NOW))


def activate_vendor(db: Database, directory: Path) -> None:
    """The vendor master is fixed: V00777 is active again."""
    _reference(db, directory / "ref-fixed", bolt_active=True)

"""Entity extraction from ticket text (DESIGN.md, Ticket taxonomy): invoice numbers,
vendor ids and names, client ids, PO numbers, amounts with currency, dates.

    >>> extract_entities("Why was INV-2291 (1.234,50 EUR) for C017 not paid?").invoices
    ('INV-2291',)

Pure Python and deterministic. The extractors run in a fixed order over one working copy
of the text, each masking the spans it claims so later ones cannot re-read them:

1. noise that is never reported: URLs, e-mails, mentions, IBANs, tax ids, phone numbers;
2. dates with a year;  3. amounts;  4. dates without a year and relative words (only
   with `today`);  5. PO numbers;  6. vendor ids;  7. client ids;  8. invoice numbers,
   from whatever id-like tokens remain.

Vendor names are read from the original text. The reading rules for ambiguous formats
are documented in the modules of `triage.extract`: `dates` (day-first vs month-first),
`amounts` (decimal vs thousands separators), `invoices` (what context makes a number an
invoice number), `ids` (canonical vendor, client and PO forms).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from triage.extract.amounts import Amount, extract_amounts
from triage.extract.dates import extract_full_dates, extract_partial_dates
from triage.extract.ids import extract_client_ids, extract_purchase_orders, extract_vendor_ids
from triage.extract.invoices import extract_invoices
from triage.extract.names import extract_vendor_names
from triage.extract.noise import mask_noise
from triage.extract.text import MaskedText, dedupe

__all__ = ["Amount", "Entities", "extract_entities"]


@dataclass(frozen=True)
class Entities:
    """What a ticket mentions, each kind without duplicates and in order of appearance."""

    invoices: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    vendor_names: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    purchase_orders: tuple[str, ...] = ()
    amounts: tuple[Amount, ...] = ()
    dates: tuple[date, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals as strings (exact), dates as ISO strings."""
        return {
            "invoices": list(self.invoices),
            "vendors": list(self.vendors),
            "vendor_names": list(self.vendor_names),
            "clients": list(self.clients),
            "purchase_orders": list(self.purchase_orders),
            "amounts": [
                {"value": str(a.value), "currency": a.currency, "text": a.text}
                for a in self.amounts
            ],
            "dates": [d.isoformat() for d in self.dates],
        }


def extract_entities(text: str, *, today: date | None = None) -> Entities:
    """Extract the entities of one ticket text (title and body joined, any language).

    `today` resolves dates without a year and words such as "yesterday" or "gestern";
    without it those are not reported.
    """
    work = MaskedText(text or "")
    mask_noise(work)
    dates = extract_full_dates(work)
    amounts = extract_amounts(work)
    if today is not None:
        dates += extract_partial_dates(work, today)
    purchase_orders = extract_purchase_orders(work)
    vendors = extract_vendor_ids(work)
    clients = extract_client_ids(work)
    invoices = extract_invoices(work)
    return Entities(
        invoices=tuple(dedupe(invoices)),
        vendors=tuple(dedupe(vendors)),
        vendor_names=tuple(dedupe(extract_vendor_names(work.original))),
        clients=tuple(dedupe(clients)),
        purchase_orders=tuple(dedupe(purchase_orders)),
        # The same sum written twice ("JPY 250,000" and "JPY 250000") is one amount.
        amounts=tuple(dedupe(amounts, key=lambda a: (a.value, a.currency))),
        dates=tuple(dedupe(dates)),
    )

"""The canonical invoice (Canonical feed v1) and the vocabulary around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payables.formats.ubl_model import UblDocument

BUSINESS_LINES = frozenset({"RETAIL", "DIGITAL", "LOGISTICS", "CLOUD", "CORPORATE"})
PAYMENT_TERMS = frozenset({"IMMEDIATE", "NET15", "NET30", "NET45", "NET60", "NET90", "EOM"})

# The canonical feed's columns, in order.
FIELDS = (
    "client_id",
    "business_line",
    "geography",
    "vendor_id",
    "vendor_name",
    "vendor_tax_id",
    "vendor_iban",
    "invoice_number",
    "invoice_date",
    "currency",
    "net_amount",
    "tax_amount",
    "total_amount",
    "payment_terms",
    "po_number",
)
IDENTITY_FIELDS = ("client_id", "vendor_id", "invoice_number")
REQUIRED_FIELDS = (
    "client_id",
    "business_line",
    "geography",
    "vendor_id",
    "invoice_number",
    "invoice_date",
    "currency",
    "net_amount",
    "tax_amount",
    "total_amount",
    "payment_terms",
)
MONEY_FIELDS = ("net_amount", "tax_amount", "total_amount")


class Status(StrEnum):
    """Invoice lifecycle (DESIGN.md, Vocabulary)."""

    RECEIVED = "RECEIVED"
    PARSED = "PARSED"
    VALIDATED = "VALIDATED"
    SCHEDULED = "SCHEDULED"
    PAID = "PAID"
    REJECTED = "REJECTED"
    ON_HOLD = "ON_HOLD"
    QUARANTINED = "QUARANTINED"
    # Side state set by a person (through a playbook): a confirmed duplicate, never paid.
    CANCELLED = "CANCELLED"


class Outcome(StrEnum):
    """What became of one received row."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ON_HOLD = "on_hold"
    QUARANTINED = "quarantined"


@dataclass(slots=True)
class CanonicalInvoice:
    client_id: str
    business_line: str
    geography: str
    vendor_id: str
    invoice_number: str
    invoice_date: date | None
    currency: str
    net_amount: Decimal | None
    tax_amount: Decimal | None
    total_amount: Decimal | None
    payment_terms: str
    vendor_name: str = ""
    vendor_tax_id: str = ""
    vendor_iban: str = ""
    po_number: str = ""
    document_type: str = "invoice"  # invoice or credit_note
    ubl: UblDocument | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.client_id, self.vendor_id, self.invoice_number)

    def as_feed_row(self) -> dict[str, str]:
        """The invoice as a canonical feed row (text), e.g. to write a feed file."""
        row: dict[str, str] = {}
        for name in FIELDS:
            value = getattr(self, name)
            row[name] = "" if value is None else str(value)
        return row

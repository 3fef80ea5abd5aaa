"""Turning the text fields of one feed row into a canonical invoice.

Empty optional values stay empty, and empty required ones are left for REQ-01 to name;
a value that is present but cannot be read as its type (a date, an amount) makes the row
unparseable, and it is quarantined.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from payables.canonical import IDENTITY_FIELDS, CanonicalInvoice
from payables.formats.records import RowError

MAX_PLACES = 10  # what the database keeps exactly (models.base.Money)


def parse_amount(field: str, text: str) -> Decimal | None:
    if not text:
        return None
    if "e" in text or "E" in text:
        raise RowError(field, f"'{text}' is in exponent notation; write the amount out (1234.50)")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RowError(field, f"'{text}' is not a decimal amount (use 1234.50: a dot, no grouping)") from None
    if not value.is_finite():
        raise RowError(field, f"'{text}' is not a finite amount")
    point = text.find(".")
    # A cheap look at the text first: almost no amount has more than a few decimals.
    if point >= 0 and len(text) - point - 1 > MAX_PLACES and value != round(value, MAX_PLACES):
        raise RowError(field, f"'{text}' has more than {MAX_PLACES} decimal places")
    return value


def parse_date(field: str, text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else _bad_date(field, text)
    except ValueError:
        return _bad_date(field, text)


def _bad_date(field: str, text: str) -> date:
    raise RowError(field, f"'{text}' is not an ISO date (YYYY-MM-DD)")


def invoice_from_fields(values: Mapping[str, object]) -> CanonicalInvoice:
    """A canonical invoice from a row's fields; raises RowError naming the field."""
    return invoice_from_text({
        name: (value.strip() if type(value) is str else "" if value is None else str(value).strip())
        for name, value in values.items()
    })


def invoice_from_text(v: dict[str, str]) -> CanonicalInvoice:
    """A canonical invoice from fields that are already stripped text."""
    get = v.get
    for name in IDENTITY_FIELDS:
        if not get(name):
            raise RowError(name, "is empty, so the invoice cannot be identified")
    return CanonicalInvoice(
        client_id=v["client_id"],
        business_line=get("business_line", "").upper(),
        geography=get("geography", "").upper(),
        vendor_id=v["vendor_id"],
        invoice_number=v["invoice_number"],
        invoice_date=parse_date("invoice_date", get("invoice_date", "")),
        currency=get("currency", "").upper(),
        net_amount=parse_amount("net_amount", get("net_amount", "")),
        tax_amount=parse_amount("tax_amount", get("tax_amount", "")),
        total_amount=parse_amount("total_amount", get("total_amount", "")),
        payment_terms=get("payment_terms", "").upper(),
        vendor_name=get("vendor_name", ""),
        vendor_tax_id=get("vendor_tax_id", ""),
        vendor_iban=get("vendor_iban", ""),
        po_number=get("po_number", ""),
    )

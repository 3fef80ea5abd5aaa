"""Reading the fields of one feed row: what is quarantined and why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payables.formats.fields import invoice_from_fields
from payables.formats.records import RowError
from tests.factories import make_invoice


def row(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = dict(make_invoice().as_feed_row())
    fields.update(overrides)
    return fields


def test_a_clean_row_becomes_exact_decimals_and_a_date():
    inv = invoice_from_fields(row(net_amount=" 100.10 ", tax_amount="19.019", total_amount="119.119"))
    assert (inv.net_amount, inv.tax_amount, inv.total_amount) == (Decimal("100.10"), Decimal("19.019"),
                                                                 Decimal("119.119"))
    assert inv.invoice_date == date(2026, 11, 2)


def test_lower_case_codes_are_normalised():
    inv = invoice_from_fields(row(currency="eur", business_line="retail", geography="de", payment_terms="net30"))
    assert (inv.currency, inv.business_line, inv.geography, inv.payment_terms) == ("EUR", "RETAIL", "DE", "NET30")


def test_empty_required_values_are_left_for_req01():
    inv = invoice_from_fields(row(tax_amount="", invoice_date=""))
    assert inv.tax_amount is None and inv.invoice_date is None


@pytest.mark.parametrize(("field", "value", "says"), [
    ("net_amount", "1,234.50", "not a decimal amount"),
    ("net_amount", "12.3x", "not a decimal amount"),
    ("total_amount", "1e3", "exponent notation"),
    ("total_amount", "NaN", "not a finite amount"),
    ("tax_amount", "0.00000000001", "more than 10 decimal places"),
    ("invoice_date", "02/11/2026", "not an ISO date"),
    ("invoice_date", "2026-13-40", "not an ISO date"),
    ("invoice_number", "  ", "cannot be identified"),
    ("vendor_id", "", "cannot be identified"),
])
def test_unreadable_values_name_the_field(field, value, says):
    with pytest.raises(RowError, match=says) as caught:
        invoice_from_fields(row(**{field: value}))
    assert caught.value.field == field

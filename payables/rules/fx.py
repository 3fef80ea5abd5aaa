"""Converting amounts to USD with the loaded FX rates."""

from __future__ import annotations

from decimal import Decimal

from payables.canonical import CanonicalInvoice
from payables.reference.lookup import ReferenceLookup
from payables.rules.base import Needs


def usd_equivalent(
    amount: Decimal, currency: str, inv: CanonicalInvoice, ref: ReferenceLookup
) -> Decimal | None:
    """`amount` in USD at the rate of the invoice date; None when no rate is known."""
    if currency == "USD":
        return amount
    if inv.invoice_date is None or Needs.FX_RATES not in ref.loaded:
        return None
    found = ref.fx_rate(currency, inv.invoice_date)
    return None if found is None else amount * found[1]

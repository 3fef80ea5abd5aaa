"""EU-01: VAT id and a plausible VAT amount for invoices under EU rules."""

from __future__ import annotations

from decimal import Decimal

from payables.canonical import CanonicalInvoice
from payables.rules.base import Needs, Problem, RuleContext, RulePack, Severity
from payables.rules.codes import EU_COUNTRIES, EU_STANDARD_VAT, money

PACK = RulePack("payops-eu", "1", description="EU VAT rules for EU geographies")
# Line-level rounding moves the effective rate a little above the nominal one.
RATE_SLACK = Decimal("0.5")


def _vat_id(inv: CanonicalInvoice, ctx: RuleContext) -> str:
    if inv.vendor_tax_id:
        return inv.vendor_tax_id
    if Needs.VENDORS in ctx.reference.loaded:
        vendor = ctx.reference.vendor(inv.vendor_id)
        if vendor is not None:
            return vendor.tax_id
    return ""


@PACK.rule(
    "EU-01",
    Severity.BLOCK,
    "vendor VAT id present and tax amount consistent with net (0 % only with a VAT id)",
    geographies=EU_COUNTRIES,
)
def eu_vat(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    vat_id = _vat_id(inv, ctx)
    net, tax = inv.net_amount, inv.tax_amount
    if not vat_id:
        zero = " and charges no VAT (0 % needs the vendor's VAT id)" if tax == 0 else ""
        return Problem(
            f"invoice {inv.invoice_number} under {inv.geography} rules gives no vendor VAT id{zero}",
            "Ask the vendor for an invoice that shows its VAT id, or add it to the vendor master.",
        )
    if net is None or tax is None or net == 0:
        return None
    rate = tax / net * 100
    standard = EU_STANDARD_VAT[inv.geography]
    if rate < 0:
        return Problem(
            f"tax {money(tax, inv.currency)} and net {money(net, inv.currency)} have opposite signs",
            "Ask the vendor for a corrected invoice (a credit note carries both amounts negative).",
        )
    if rate > standard + RATE_SLACK:
        return Problem(
            f"tax {money(tax, inv.currency)} on net {money(net, inv.currency)} is {rate:.1f} %, "
            f"above {inv.geography}'s standard VAT rate of {standard} %",
            "Ask the vendor for a corrected invoice; VAT cannot exceed the standard rate.",
        )
    return None

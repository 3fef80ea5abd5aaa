"""Purchase-order rules of Rule catalogue v1: PO-01, PO-02 (RETAIL, LOGISTICS), CORP-01."""

from __future__ import annotations

from decimal import Decimal

from payables.canonical import CanonicalInvoice
from payables.rules.base import Needs, Problem, RuleContext, RulePack, Severity
from payables.rules.codes import money
from payables.rules.fx import usd_equivalent

PACK = RulePack("payops-po", "1", description="Purchase-order matching by business line")
PO_LINES = ("RETAIL", "LOGISTICS")
TOLERANCE = {"RETAIL": Decimal("0.02"), "LOGISTICS": Decimal("0.05")}
CORP_PO_THRESHOLD_USD = Decimal(10000)


@PACK.rule(
    "PO-01",
    Severity.BLOCK,
    "a PO number is present and the PO is open",
    business_lines=PO_LINES,
)
def po_present_and_open(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    if not inv.po_number:
        return Problem(
            f"{inv.business_line} invoices need a PO number; invoice {inv.invoice_number} has none",
            "Ask the buyer for the PO number and have the client resend the row with it "
            "(po_mismatch playbook).",
        )
    if Needs.PURCHASE_ORDERS not in ctx.reference.loaded:
        return None
    po = ctx.reference.purchase_order(inv.po_number)
    if po is None:
        return Problem(
            f"PO {inv.po_number} is not in the purchase orders on file",
            "Check the PO number with the buyer; once the PO is loaded the invoice is re-matched.",
        )
    if po.vendor_id != inv.vendor_id or po.client_id != inv.client_id:
        return Problem(
            f"PO {inv.po_number} belongs to vendor {po.vendor_id} and client {po.client_id}, "
            f"not to vendor {inv.vendor_id} and client {inv.client_id}",
            "The invoice quotes someone else's PO: ask the buyer for the right one.",
        )
    if po.status != "open":
        return Problem(
            f"PO {inv.po_number} is {po.status}",
            "Ask the buyer to reopen the PO or raise a new one, then re-match (po_mismatch playbook).",
        )
    return None


@PACK.rule(
    "PO-02",
    Severity.HOLD,
    "total within tolerance of the PO amount (RETAIL 2 %, LOGISTICS 5 %)",
    business_lines=PO_LINES,
    needs=[Needs.PURCHASE_ORDERS],
)
def within_po_tolerance(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    if not inv.po_number or inv.total_amount is None:
        return None
    po = ctx.reference.purchase_order(inv.po_number)
    if po is None:
        return None
    total, po_amount = inv.total_amount, po.amount
    if po.currency != inv.currency:
        total_usd = usd_equivalent(total, inv.currency, inv, ctx.reference)
        po_usd = usd_equivalent(po_amount, po.currency, inv, ctx.reference)
        if total_usd is None or po_usd is None:
            return Problem(
                f"PO {po.po_number} is in {po.currency} and the invoice in {inv.currency}, "
                "and no FX rate is loaded to compare them",
                "Load the FX rates for the invoice date; the invoice is then re-matched.",
            )
        total, po_amount = total_usd, po_usd
    tolerance = TOLERANCE[inv.business_line]
    if po_amount == 0 and total == 0:
        return None
    if po_amount != 0 and abs(total - po_amount) <= tolerance * abs(po_amount):
        return None
    off = (total - po_amount) / po_amount * 100 if po_amount else Decimal(100)
    return Problem(
        f"invoice total {money(inv.total_amount, inv.currency)} is {off:+.1f} % from PO "
        f"{po.po_number}'s {money(po.amount, po.currency)}; {inv.business_line} allows "
        f"{tolerance * 100:.0f} %",
        "Ask the buyer to update the PO (then re-match) or the vendor to correct the invoice "
        "(po_mismatch playbook).",
    )


@PACK.rule(
    "CORP-01",
    Severity.HOLD,
    "totals above 10,000 USD-equivalent need a PO",
    business_lines=["CORPORATE"],
)
def corporate_large_needs_po(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    if inv.po_number or inv.total_amount is None:
        return None
    usd = usd_equivalent(inv.total_amount, inv.currency, inv, ctx.reference)
    if usd is None or usd <= CORP_PO_THRESHOLD_USD:
        return None
    return Problem(
        f"CORPORATE invoice of {money(inv.total_amount, inv.currency)} "
        f"(about {money(usd, 'USD')}) has no PO; above 10,000 USD a PO is required",
        "Ask the requester to raise a PO and add its number, then release the hold.",
    )

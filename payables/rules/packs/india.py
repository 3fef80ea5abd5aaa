"""IN-01: GST for invoices under Indian rules."""

from __future__ import annotations

from payables.canonical import CanonicalInvoice
from payables.rules.base import Needs, Problem, RuleContext, RulePack, Severity
from payables.rules.idcheck import tax_id_problem

PACK = RulePack("payops-in", "1", description="Indian GST rules")


@PACK.rule("IN-01", Severity.BLOCK, "vendor GSTIN valid and tax amount present", geographies=["IN"])
def gst(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    gstin = inv.vendor_tax_id
    if not gstin and Needs.VENDORS in ctx.reference.loaded:
        vendor = ctx.reference.vendor(inv.vendor_id)
        gstin = vendor.tax_id if vendor is not None else ""
    if not gstin:
        return Problem(
            f"invoice {inv.invoice_number} under Indian rules gives no vendor GSTIN",
            "Ask the vendor for a GST invoice that shows its 15-character GSTIN.",
        )
    problem = tax_id_problem("IN", gstin)
    if problem is not None:
        return Problem(
            f"GSTIN {gstin} of vendor {inv.vendor_id} is not valid: {problem}",
            "Ask the vendor for its registered GSTIN and correct the vendor master "
            "(tax_id_invalid playbook).",
        )
    if inv.tax_amount is None or inv.tax_amount <= 0:
        return Problem(
            f"invoice {inv.invoice_number} under Indian rules shows no GST amount "
            f"(tax amount {inv.tax_amount if inv.tax_amount is not None else 'missing'})",
            "Ask the vendor for a GST invoice with CGST/SGST or IGST shown; exempt supplies "
            "need a bill of supply, raised as a config_change ticket.",
        )
    return None

"""`vendor_master_stale`: refresh the vendor snapshot, revalidate, re-drive what now passes.

An invoice was judged against vendor data that has since changed (a vendor reactivated,
a tax id or IBAN corrected). The diagnosis lists what changed in the vendor master since
the invoice came in and what the engine says now; the plan re-drives every held or
rejected invoice that passes under the current master. Verified when each is VALIDATED.
"""

from __future__ import annotations

from sqlalchemy import select

from models import Invoice, VendorChange
from payables.canonical import Status
from payables.revalidate import latest_findings
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import InvoiceStatus

VENDOR_RULES = {"VM-01", "VM-02", "TAX-01", "BANK-01"}
STOPPED = (Status.REJECTED, Status.ON_HOLD)


class RefreshVendorSnapshot(Playbook):
    name = "refresh_vendor_snapshot"
    root_cause = "vendor_master_stale"
    title = "Refresh vendor snapshot and revalidate"

    def _candidates(self, ctx: Context) -> list[Invoice]:
        named = [i for i in ctx.named_invoices() if i.status in STOPPED]
        vendors = set(ctx.entities.get("vendors") or ())
        if vendors:
            named += ctx.session.scalars(select(Invoice).where(Invoice.vendor_id.in_(sorted(vendors)),
                                                               Invoice.status.in_(STOPPED)).limit(200))
        unique = {i.id: i for i in named}
        findings = latest_findings(ctx.session, list(unique.values()))
        return [i for i in unique.values() if {f.rule for f in findings[i.id]} & VENDOR_RULES]

    def diagnose(self, ctx: Context) -> Diagnosis:
        invoices = self._candidates(ctx)
        if not invoices:
            return Diagnosis("no held or rejected invoice named here was stopped by vendor data "
                             f"({', '.join(sorted(VENDOR_RULES))})", applicable=False)
        evidence, passing = [], []
        for inv in invoices:
            changes = list(ctx.session.scalars(select(VendorChange).where(
                VendorChange.vendor_id == inv.vendor_id, VendorChange.changed_at >= inv.ingested_at)
                .order_by(VendorChange.id)))
            changed = "; ".join(f"{c.field} {c.old_value!r} → {c.new_value!r}" for c in changes) or "nothing"
            verdict = ctx.verdict(inv)
            stops = sorted({f.rule for f in verdict.findings if str(f.severity) in ("block", "hold")})
            evidence.append(f"{inv.invoice_number} ({inv.status}, vendor {inv.vendor_id}): vendor master changed "
                            f"since ingestion: {changed}; engine now: {verdict.status}"
                            + (f" ({', '.join(stops)})" if stops else ""))
            if verdict.status == Status.VALIDATED:
                passing.append(inv.id)
        summary = (f"{len(passing)} of {len(invoices)} invoice(s) pass under the current vendor master"
                   if passing else "the current vendor master still stops every invoice: the data is not stale, "
                                   "it is wrong or the vendor is still inactive")
        return Diagnosis(summary, evidence, applicable=bool(passing), invoice_ids=passing)

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        invoices = [i for i in (ctx.session.get(Invoice, n) for n in diagnosis.invoice_ids) if i is not None]
        if not invoices:
            return None
        changes = [InvoiceStatus(invoice=i.id, number=i.invoice_number, before=i.status, after=Status.VALIDATED,
                                 reason="re-driven: passes under the refreshed vendor master", revalidate=True)
                   for i in invoices]
        return Plan(f"re-drive {len(changes)} invoice(s) that pass under the current vendor master", list(changes),
                    [i.id for i in invoices], expected="each invoice VALIDATED, no vendor rule stops it")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            inv = ctx.session.get(Invoice, change.invoice_id)
            ok = inv is not None and inv.status in (Status.VALIDATED, Status.SCHEDULED, Status.PAID)
            checks.append(Check(f"{change.subject} is payable", ok, inv.status if inv else "missing"))
        return checks

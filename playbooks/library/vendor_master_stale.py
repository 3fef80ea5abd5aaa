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
from payables.revalidate import ingestion_verdict, latest_findings
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import Change, InvoiceStatus

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
        latest = latest_findings(ctx.session, list(unique.values()))

        def rules(inv: Invoice) -> set[str]:
            # The verdict that stopped it (at ingestion) and the latest one: an inquiry may
            # have re-validated it since, under the master that has been fixed.
            at_ingestion = ingestion_verdict(ctx.session, inv)
            return {f.rule for f in latest[inv.id]} | {f.rule for f in (at_ingestion.findings if at_ingestion else ())}

        return [i for i in unique.values() if rules(i) & VENDOR_RULES]

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
        changes: list[Change] = []
        for inv in invoices:
            # Judged in order with the earlier re-drives in place: releasing one invoice can
            # make the next a duplicate suspect (DUP-02), and the plan must say so.
            after = ctx.simulate(inv, changes).status
            if after != inv.status:
                changes.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=inv.status,
                                             after=after, reason="re-driven under the refreshed vendor master",
                                             revalidate=True))
        if not changes:
            return None
        return Plan(f"re-drive {len(changes)} invoice(s) under the current vendor master", changes,
                    [i.id for i in invoices], expected="each invoice in the status the engine now gives it")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            inv = ctx.session.get(Invoice, change.invoice_id)
            now = inv.status if inv is not None else "missing"
            checks.append(Check(f"{change.subject} is {change.after_value}", now == change.after_value, now))
        return checks

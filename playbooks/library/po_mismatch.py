"""`po_mismatch`: re-match an invoice to its PO after the PO changed, or route to the buyer.

PO-01 rejects a RETAIL or LOGISTICS invoice whose PO is missing, unknown, someone
else's or not open; PO-02 holds one whose total is outside the business line's tolerance
of the PO amount. Often the buyer has since updated the PO, or the invoice quotes the
wrong one of the vendor's open POs. The plan, per invoice: re-drive it when it passes
now; re-point it at the one open PO of the same client, vendor and currency that fits
(never a PO another invoice already draws on); otherwise tell the buyer the mismatch in
numbers, since only the buyer can change the PO.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from models import Invoice, PurchaseOrder
from payables.canonical import Status
from payables.revalidate import latest_findings
from payables.rules.codes import money
from payables.rules.packs.purchase_orders import TOLERANCE
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import PAYABLE, Change, InvoiceField, InvoiceStatus, Notice

RULES = {"PO-01": Status.REJECTED, "PO-02": Status.ON_HOLD}
DEAD = (Status.REJECTED, Status.CANCELLED)


def _within(total: Decimal, amount: Decimal, tolerance: Decimal) -> bool:
    return amount != 0 and abs(total - amount) <= tolerance * abs(amount)


def _off(total: Decimal, amount: Decimal) -> str:
    return f"{(total - amount) / amount * 100:+.1f} %" if amount else "n/a"


class RematchPo(Playbook):
    name = "rematch_po"
    root_cause = "po_mismatch"
    title = "Re-match the invoice to its PO, or route it to the buyer"

    def _stopped(self, ctx: Context) -> list[Invoice]:
        named = [i for i in ctx.named_invoices() if i.status in RULES.values()]
        findings = latest_findings(ctx.session, named)
        # By the last verdict or, when that was lost (a re-drive rolled back), by the engine's now.
        return [i for i in named if any(RULES.get(f.rule) == i.status for f in findings[i.id])
                or any(RULES.get(f.rule) == i.status for f in ctx.verdict(i).findings)]

    def _po_facts(self, ctx: Context, inv: Invoice, tolerance: Decimal) -> str:
        """The PO the invoice names, in numbers."""
        if not inv.po_number:
            return "names no PO"
        po = ctx.session.get(PurchaseOrder, inv.po_number)
        if po is None:
            return f"names PO {inv.po_number}, which is not on file"
        owner = ("" if (po.client_id, po.vendor_id) == (inv.client_id, inv.vendor_id)
                 else f", belonging to client {po.client_id} and vendor {po.vendor_id}")
        words = f"names PO {po.po_number} ({po.status}{owner}, {money(po.amount, po.currency)})"
        total = inv.total_amount
        if total is not None and po.currency == inv.currency:
            verdict = "within" if _within(total, po.amount, tolerance) else "outside"
            words += (f": total {money(total, inv.currency)} is {_off(total, po.amount)} from it, "
                      f"{verdict} the {inv.business_line} tolerance of {tolerance * 100:.0f} % "
                      f"(up to {money(po.amount * (1 + tolerance), po.currency)})")
        elif po.currency != inv.currency:
            words += f": in {po.currency}, the invoice is in {inv.currency}"
        return words

    def _candidates(self, ctx: Context, inv: Invoice, tolerance: Decimal) -> tuple[list[PurchaseOrder], list[str]]:
        """Open POs of the same client, vendor and currency whose amount fits the total and
        which no other live invoice already quotes."""
        if inv.total_amount is None:
            return [], []
        pos = ctx.session.scalars(select(PurchaseOrder).where(
            PurchaseOrder.client_id == inv.client_id, PurchaseOrder.vendor_id == inv.vendor_id,
            PurchaseOrder.currency == inv.currency, PurchaseOrder.status == "open",
            PurchaseOrder.po_number != inv.po_number).order_by(PurchaseOrder.po_number).limit(50))
        fitting = [po for po in pos if _within(inv.total_amount, po.amount, tolerance)]
        if not fitting:
            return [], []
        rows = ctx.session.execute(select(Invoice.po_number, Invoice.invoice_number).where(
            Invoice.po_number.in_([po.po_number for po in fitting]), Invoice.id != inv.id,
            Invoice.status.not_in(DEAD)).order_by(Invoice.id))
        used: dict[str, str] = {}
        for number, invoice_number in rows:
            used.setdefault(number, invoice_number)
        taken = [f"PO {n} ({money(po.amount, po.currency)}) fits but invoice {used[n]} already quotes it"
                 for po in fitting if (n := po.po_number) in used]
        return [po for po in fitting if po.po_number not in used], taken

    def diagnose(self, ctx: Context) -> Diagnosis:
        invoices = self._stopped(ctx)
        if not invoices:
            return Diagnosis("no invoice named here is rejected by PO-01 or held by PO-02", applicable=False)
        evidence: list[str] = []
        decisions: dict[str, dict[str, str]] = {}
        for inv in invoices:
            tolerance = TOLERANCE.get(inv.business_line, Decimal(0))
            label = (f"{inv.invoice_number} ({inv.status}, client {inv.client_id}, vendor {inv.vendor_id}, "
                     f"{inv.business_line})")
            evidence.append(f"{label} {self._po_facts(ctx, inv, tolerance)}")
            verdict = ctx.verdict(inv)
            stops = sorted({f.rule for f in verdict.findings if str(f.severity) in ("block", "hold")})
            if verdict.status == Status.VALIDATED:
                evidence.append(f"{inv.invoice_number}: passes now (the PO data changed since): re-drive")
                decisions[str(inv.id)] = {"action": "redrive"}
                continue
            if not stops or not set(stops) & set(RULES):
                evidence.append(f"{inv.invoice_number}: the PO no longer stops it, but {', '.join(stops)} "
                                "does: not a PO problem any more")
                continue
            evidence.append(f"{inv.invoice_number}: the engine still stops it ({', '.join(stops)})")
            candidates, taken = self._candidates(ctx, inv, tolerance)
            evidence += [f"{inv.invoice_number}: {t}" for t in taken]
            if len(candidates) == 1:
                po = candidates[0]
                after = ctx.simulate(inv, [self._repoint(inv, po.po_number)])
                if after.status == Status.VALIDATED:
                    evidence.append(f"{inv.invoice_number}: open PO {po.po_number} ({money(po.amount, po.currency)}, "
                                    f"{_off(inv.total_amount or Decimal(0), po.amount)}) fits and the engine passes "
                                    "the invoice against it")
                    decisions[str(inv.id)] = {"action": "rematch", "po": po.po_number}
                    continue
                evidence.append(f"{inv.invoice_number}: open PO {po.po_number} fits, but the invoice would still be "
                                f"{after.status} against it")
            elif candidates:
                evidence.append(f"{inv.invoice_number}: {len(candidates)} open POs fit "
                                f"({', '.join(p.po_number for p in candidates)}): the buyer must say which")
            else:
                evidence.append(f"{inv.invoice_number}: no other open PO of client {inv.client_id}, vendor "
                                f"{inv.vendor_id} in {inv.currency} fits")
            decisions[str(inv.id)] = {"action": "buyer", "text": self._buyer_text(ctx, inv, tolerance, candidates)}
        counts = {a: sum(1 for d in decisions.values() if d["action"] == a) for a in ("redrive", "rematch", "buyer")}
        summary = (f"{counts['redrive']} to re-drive, {counts['rematch']} to re-match to another PO, "
                   f"{counts['buyer']} for the buyer")
        if not decisions:
            summary = "the PO rules no longer stop the invoice(s) named: another rule does"
        return Diagnosis(summary, evidence, applicable=bool(decisions), invoice_ids=[int(k) for k in decisions],
                         facts={"decisions": decisions})

    @staticmethod
    def _repoint(inv: Invoice, po_number: str) -> InvoiceField:
        return InvoiceField(invoice=inv.id, number=inv.invoice_number, field="po_number", before=inv.po_number,
                            after=po_number)

    def _buyer_text(self, ctx: Context, inv: Invoice, tolerance: Decimal, candidates: list[PurchaseOrder]) -> str:
        total = money(inv.total_amount, inv.currency) if inv.total_amount is not None else "no total"
        lines = [f"Invoice {inv.invoice_number} from vendor {inv.vendor_id} ({inv.vendor_name}) for client "
                 f"{inv.client_id} ({inv.business_line}, total {total}) is {inv.status} for its PO: it "
                 f"{self._po_facts(ctx, inv, tolerance)}."]
        if candidates:
            lines.append("Open POs that would fit: " + ", ".join(
                f"{p.po_number} ({money(p.amount, p.currency)})" for p in candidates) + ".")
        lines.append("Please update or reopen the PO (or tell us the right PO number); the invoice is re-matched "
                     "once it is fixed. If the invoice is wrong, ask the vendor for a corrected one.")
        return " ".join(lines)

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        changes: list[Change] = []
        for key, decision in (diagnosis.facts.get("decisions") or {}).items():
            inv = ctx.session.get(Invoice, int(key))
            if inv is None:
                continue
            if decision["action"] == "buyer":
                changes.append(Notice(audience="buyer", text=decision["text"], key=f"po:{inv.id}"))
                continue
            steps: list[Change] = []
            if decision["action"] == "rematch":
                steps.append(self._repoint(inv, decision["po"]))
            after = ctx.simulate(inv, steps)
            if after.status != Status.VALIDATED:
                continue
            reason = ("re-matched to PO " + decision["po"] if decision["action"] == "rematch"
                      else "re-driven: passes against the updated PO")
            steps.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=inv.status,
                                       after=after.status, reason=reason, revalidate=True))
            changes += steps
        if not changes:
            return None
        notices = sum(1 for c in changes if isinstance(c, Notice))
        redrives = sum(1 for c in changes if isinstance(c, InvoiceStatus))
        return Plan(f"re-drive {redrives} invoice(s) against their PO, route {notices} to the buyer", changes,
                    list(diagnosis.invoice_ids),
                    expected="each re-driven invoice VALIDATED on its PO; the buyer told about the others")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            if isinstance(change, Notice):
                checks.append(Check(f"{change.subject} sent", True))
                continue
            inv = ctx.session.get(Invoice, change.invoice_id)
            if inv is None:
                checks.append(Check(f"{change.subject} exists", False, "missing"))
            elif isinstance(change, InvoiceField):
                checks.append(Check(f"{change.subject} quotes PO {change.after}", inv.po_number == change.after,
                                    inv.po_number))
            else:
                checks.append(Check(f"{change.subject} is validated", inv.status in PAYABLE, inv.status))
        return checks

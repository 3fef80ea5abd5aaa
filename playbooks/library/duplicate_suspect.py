"""`duplicate_suspect`: compare a held invoice with its twins; cancel it or release it.

DUP-02 holds an invoice when the vendor already has another invoice for the same total
on the same date under another number. The diagnosis finds those twins and compares
them field by field. When the two are very likely one invoice sent twice (the numbers
are equal once separators, case and leading zeros are ignored; or the PO, net, tax and
IBAN all agree) the plan cancels the held one, naming the original. Otherwise it is a
different supply and the plan releases it, but only if no rule other than DUP-02 stops
it: a release never lets through what the engine would refuse for another reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import FindingWaiver, Invoice
from payables.canonical import Status
from payables.revalidate import Adjustments, judge, latest_findings
from payables.rules.codes import money
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import PAYABLE, ApplyContext, ChangeConflict, InvoiceStatus

RULE = "DUP-02"
# A twin in one of these states is not an invoice that will be paid: DUP-02 ignores
# rejected ones, and a cancelled one is a duplicate already.
DEAD = (Status.REJECTED, Status.CANCELLED)
STOPS = ("block", "hold")


@dataclass
class ReleaseHold(InvoiceStatus):
    """Release an invoice from a hold a person has answered (here DUP-02, which the engine
    would raise again on a re-drive). It moves only if, when applied, no other rule stops
    the invoice: the diagnosis checked that, but reference data may change before approval."""

    kind: ClassVar[str] = "invoice_release"
    answered_rule: str = RULE

    def apply(self, run: ApplyContext) -> None:
        inv = run.session.get(Invoice, self.invoice)
        if inv is None:
            raise ChangeConflict(f"invoice id {self.invoice} no longer exists")
        verdict = judge(run.session, inv, ruleset=run.ruleset, clock=run.clock)
        others = sorted({f.rule for f in verdict.findings
                         if str(f.severity) in STOPS and f.rule != self.answered_rule})
        if others:
            raise ChangeConflict(f"invoice {self.number}: besides {self.answered_rule}, the engine now stops it "
                                 f"for {', '.join(others)}: not released")
        self._move(run, self.after, self.reason)
        # Remembered, so that the next re-validation (an inquiry, a re-drive) does not
        # hold it for the same twin again.
        run.session.add(FindingWaiver(invoice_id=inv.id, rule=self.answered_rule, waived_by=run.actor[:200],
                                      waived_at=run.clock(), reason=self.reason))

    def revert(self, run: ApplyContext) -> None:
        run.session.execute(delete(FindingWaiver).where(FindingWaiver.invoice_id == self.invoice,
                                                        FindingWaiver.rule == self.answered_rule))
        super().revert(run)

    def simulate(self, session: Session, invoice: Invoice, adjust: Adjustments) -> Adjustments:
        adjust = super().simulate(session, invoice, adjust)
        if invoice.id != self.invoice:
            return adjust
        return replace(adjust, waived=(*adjust.waived, self.answered_rule))


def normalise_number(number: str) -> str:
    """'inv-0042', 'INV 42' and 'INV/042' are one number: ignore case, separators and
    leading zeros, the ways the same invoice number gets retyped."""
    compact = re.sub(r"[^0-9A-Z]", "", number.upper())
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", compact)


def _iban(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


@dataclass(frozen=True)
class Comparison:
    """How a held invoice compares with one twin."""

    twin: Invoice
    differences: list[str]
    same_number: bool
    same_po: bool
    same_amounts: bool
    same_iban: bool
    same_client: bool
    same_currency: bool

    @property
    def same_invoice(self) -> bool:
        """Very likely the very same invoice, sent twice (to the same client)."""
        if not (self.same_client and self.same_currency):
            return False
        return self.same_number or (self.same_po and self.same_amounts and self.same_iban)


def compare(held: Invoice, twin: Invoice) -> Comparison:
    diffs: list[str] = []
    cur = held.currency

    def amount(value: Decimal | None) -> str:
        return money(value, cur) if value is not None else "none"

    same_client = held.client_id == twin.client_id
    if not same_client:
        diffs.append(f"client {held.client_id} vs {twin.client_id}")
    same_currency = held.currency == twin.currency
    if not same_currency:
        diffs.append(f"currency {held.currency} vs {twin.currency}")
    same_po = bool(held.po_number) and held.po_number == twin.po_number
    if held.po_number != twin.po_number:
        diffs.append(f"PO number {held.po_number or '(none)'} vs {twin.po_number or '(none)'}")
    same_net = held.net_amount == twin.net_amount
    if not same_net:
        diffs.append(f"net {amount(held.net_amount)} vs {amount(twin.net_amount)}")
    same_tax = held.tax_amount == twin.tax_amount
    if not same_tax:
        diffs.append(f"tax {amount(held.tax_amount)} vs {amount(twin.tax_amount)}")
    same_iban = _iban(held.vendor_iban) == _iban(twin.vendor_iban)
    if not same_iban:
        diffs.append(f"vendor IBAN {held.vendor_iban or '(none)'} vs {twin.vendor_iban or '(none)'}")
    same_number = normalise_number(held.invoice_number) == normalise_number(twin.invoice_number)
    if same_number and held.invoice_number != twin.invoice_number:
        diffs.append(f"invoice number {held.invoice_number} vs {twin.invoice_number}, the same once normalised")
    if not same_number:
        diffs.append(f"invoice number {held.invoice_number} vs {twin.invoice_number} "
                     f"(normalised {normalise_number(held.invoice_number)} vs "
                     f"{normalise_number(twin.invoice_number)})")
    return Comparison(twin, diffs, same_number, same_po, same_net and same_tax, same_iban, same_client,
                      same_currency)


class ResolveDuplicateSuspect(Playbook):
    name = "resolve_duplicate_suspect"
    root_cause = "duplicate_suspect"
    title = "Compare a suspected duplicate with its twin; cancel or release it"

    def _held(self, ctx: Context) -> list[Invoice]:
        """Named invoices on hold for DUP-02, by their last verdict or, when that was lost
        (a re-drive rolled back), by the engine's verdict now."""
        held = [i for i in ctx.named_invoices() if i.status == Status.ON_HOLD]
        findings = latest_findings(ctx.session, held)
        return [i for i in held if any(f.rule == RULE for f in findings[i.id])
                or any(f.rule == RULE for f in ctx.verdict(i).findings)]

    def _twins(self, ctx: Context, inv: Invoice) -> list[Invoice]:
        if inv.total_amount is None or inv.invoice_date is None:
            return []
        query = (select(Invoice)
                 .where(Invoice.vendor_id == inv.vendor_id, Invoice.total_amount == inv.total_amount,
                        Invoice.invoice_date == inv.invoice_date, Invoice.invoice_number != inv.invoice_number,
                        Invoice.id != inv.id, Invoice.status.not_in(DEAD))
                 .order_by(Invoice.ingested_at, Invoice.id).limit(20))
        return list(ctx.session.scalars(query))

    def diagnose(self, ctx: Context) -> Diagnosis:
        held = self._held(ctx)
        if not held:
            return Diagnosis(f"no invoice named here is on hold as a suspected duplicate ({RULE})",
                             applicable=False)
        evidence: list[str] = []
        decisions: dict[str, dict[str, object]] = {}
        blocked: list[str] = []
        for inv in held:
            twins = self._twins(ctx, inv)
            label = (f"{inv.invoice_number} (client {inv.client_id}, vendor {inv.vendor_id}, "
                     f"{money(inv.total_amount, inv.currency) if inv.total_amount is not None else '?'}, "
                     f"dated {inv.invoice_date})")
            if not twins:
                evidence.append(f"{label}: no live invoice of the same vendor, total and date remains; "
                                f"{RULE} is no longer borne out")
                blocked.append(inv.invoice_number)
                continue
            comparisons = [compare(inv, t) for t in twins]
            for c in comparisons:
                t = c.twin
                what = "; ".join(c.differences) if c.differences else "no difference in the compared fields"
                evidence.append(f"{label} vs {t.invoice_number} (client {t.client_id}, {t.status}): {what}")
            same = next((c for c in comparisons if c.same_invoice), None)
            if same is not None:
                why = ("the numbers are the same once normalised" if same.same_number
                       else "same PO, net, tax and IBAN")
                evidence.append(f"{inv.invoice_number} is very likely a duplicate of "
                                f"{same.twin.invoice_number}: {why}")
                decisions[str(inv.id)] = {"action": "cancel", "original": same.twin.invoice_number,
                                          "original_id": same.twin.id, "why": why}
                continue
            lookalike = next((c for c in comparisons if c.same_number), None)
            if lookalike is not None:
                evidence.append(f"{inv.invoice_number} has the number of {lookalike.twin.invoice_number} but "
                                f"another client or currency: ask the vendor which one it bills")
                blocked.append(inv.invoice_number)
                continue
            verdict = ctx.verdict(inv)
            others = sorted({f"{f.rule}: {f.message}" for f in verdict.findings
                             if str(f.severity) in STOPS and f.rule != RULE})
            if others:
                evidence.append(f"{inv.invoice_number} looks like a different supply, but releasing it is not "
                                f"enough: the engine would still stop it for " + "; ".join(others))
                blocked.append(inv.invoice_number)
                continue
            twin_numbers = ", ".join(c.twin.invoice_number for c in comparisons)
            evidence.append(f"{inv.invoice_number} differs from {twin_numbers} and no rule but {RULE} stops it")
            decisions[str(inv.id)] = {"action": "release", "original": twin_numbers}
        cancel = sum(1 for d in decisions.values() if d["action"] == "cancel")
        release = len(decisions) - cancel
        if not decisions:
            summary = ("nothing can be decided automatically: " + ", ".join(blocked)
                       + " need a person (see the evidence)")
        else:
            summary = f"{cancel} duplicate(s) to cancel, {release} invoice(s) to release"
            if blocked:
                summary += f"; {', '.join(blocked)} need a person"
        return Diagnosis(summary, evidence, applicable=bool(decisions),
                         invoice_ids=[int(k) for k in decisions], facts={"decisions": decisions})

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        decisions = diagnosis.facts.get("decisions") or {}
        changes: list[InvoiceStatus] = []
        for key, decision in decisions.items():
            inv = ctx.session.get(Invoice, int(key))
            if inv is None or inv.status != Status.ON_HOLD:
                continue
            if decision["action"] == "cancel":
                changes.append(InvoiceStatus(
                    invoice=inv.id, number=inv.invoice_number, before=inv.status, after=Status.CANCELLED,
                    reason=f"cancelled as a duplicate of invoice {decision['original']} "
                           f"(invoice record {decision['original_id']}): {decision['why']}"))
            else:
                # Not a re-drive: the engine would hold it again for DUP-02, which this
                # comparison answers. Nothing else may stop it (checked again when applied).
                changes.append(ReleaseHold(
                    invoice=inv.id, number=inv.invoice_number, before=inv.status, after=Status.VALIDATED,
                    reason=f"released: not a duplicate of {decision['original']}; no other rule stops it"))
        if not changes:
            return None
        cancels = sum(1 for c in changes if c.after == Status.CANCELLED)
        return Plan(f"cancel {cancels} duplicate(s), release {len(changes) - cancels} invoice(s) held by {RULE}",
                    list(changes), [c.invoice for c in changes],
                    expected="each duplicate CANCELLED, each released invoice VALIDATED")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            if not isinstance(change, InvoiceStatus):
                continue
            inv = ctx.session.get(Invoice, change.invoice)
            status = inv.status if inv is not None else "missing"
            if change.after == Status.CANCELLED:
                checks.append(Check(f"{change.subject} is cancelled", status == Status.CANCELLED, status))
            else:
                checks.append(Check(f"{change.subject} is released", status in PAYABLE, status))
        return checks

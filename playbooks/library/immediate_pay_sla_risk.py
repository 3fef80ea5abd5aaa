"""`immediate_pay_sla_risk`: expedite an immediate-pay invoice about to miss its 2 hours.

An IMMEDIATE invoice must be scheduled by its `payment_deadline` (ingestion + 2 h,
SLA-01). It is at risk when it is not scheduled and less than `AT_RISK` is left (the
window in which the SLA clock cuts its alarm), or the deadline has passed. The
invoices are the ones the ticket names or, when it names clients and no invoice, the
at-risk immediate-pay invoices of those clients.

When the engine's verdict passes, the plan moves the invoice to the priority lane and
schedules it (re-driving it to VALIDATED first when its stored status lags behind the
verdict), then pages on-call. When a rule blocks it there is nothing to expedite: the
plan only pages on-call naming the blocking rules, so a person clears them in time.
The page goes last so that it reports what was actually done.

The proposal expires at the earliest payment deadline still ahead: an answer after the
deadline is too late for the SLA. When every deadline has already passed (a breach),
expiring at once would make the proposal unanswerable, so it stays open `BREACH_GRACE`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from models import Invoice
from payables.canonical import Status
from payables.rules.codes import money
from payables.rules.packs.sla import AT_RISK
from payables.terms import payment_deadline
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import Change, InvoiceField, InvoiceStatus, Notice

PRIORITY = "priority"
# Not scheduled yet, so the clock still runs (as the SLA clock counts them).
UNSCHEDULED = (Status.RECEIVED, Status.PARSED, Status.VALIDATED, Status.REJECTED, Status.ON_HOLD)
BREACH_GRACE = timedelta(minutes=30)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _deadline(inv: Invoice) -> datetime | None:
    return inv.payment_deadline or payment_deadline(inv.payment_terms, inv.ingested_at)


def _left(deadline: datetime, now: datetime) -> str:
    left = deadline - now
    if left > timedelta(0):
        return f"{_minutes(left)} min left before its deadline {deadline:%H:%M} UTC"
    return f"{_minutes(-left)} min past its deadline {deadline:%H:%M} UTC"


class ExpediteImmediatePay(Playbook):
    name = "expedite_immediate_pay"
    root_cause = "immediate_pay_sla_risk"
    title = "Expedite an immediate-pay invoice and page on-call"

    def _candidates(self, ctx: Context) -> list[Invoice]:
        invoices = ctx.named_invoices()
        clients = sorted(ctx.entities.get("clients") or ())
        if invoices or not clients:
            return invoices
        return list(ctx.session.scalars(
            select(Invoice).where(Invoice.client_id.in_(clients), Invoice.payment_terms == "IMMEDIATE",
                                  Invoice.scheduled_at.is_(None), Invoice.status.in_(UNSCHEDULED),
                                  Invoice.payment_deadline <= ctx.now + AT_RISK,
                                  Invoice.payment_deadline >= ctx.now - timedelta(days=1))
            .order_by(Invoice.payment_deadline, Invoice.id).limit(ctx.options.max_invoices)))

    def diagnose(self, ctx: Context) -> Diagnosis:
        evidence: list[str] = []
        at_risk: dict[str, Any] = {}
        ids: list[int] = []
        for inv in self._candidates(ctx):
            where = f"{inv.invoice_number} (client {inv.client_id}, vendor {inv.vendor_id})"
            deadline = _deadline(inv)
            if inv.payment_terms != "IMMEDIATE" or deadline is None:
                evidence.append(f"{where}: terms {inv.payment_terms}, not immediate pay: no 2-hour budget")
                continue
            if inv.scheduled_at is not None or inv.status not in UNSCHEDULED:
                when = f" at {inv.scheduled_at:%H:%M} UTC" if inv.scheduled_at else ""
                evidence.append(f"{where}: already {inv.status}{when}: nothing to expedite")
                continue
            if deadline - ctx.now > AT_RISK:
                evidence.append(f"{where}: {inv.status}, {_left(deadline, ctx.now)}: not at risk yet")
                continue
            verdict = ctx.verdict(inv)
            stops = sorted({f.rule for f in verdict.findings if str(f.severity) in ("block", "hold")})
            passes = verdict.status == Status.VALIDATED
            evidence.append(f"{where}: {inv.status}, {_left(deadline, ctx.now)}; engine now {verdict.status}"
                            + (f", blocked by {', '.join(stops)}: nothing to expedite" if stops
                               else ": can be expedited"))
            ids.append(inv.id)
            at_risk[inv.invoice_number] = {
                "invoice_id": inv.id, "deadline": deadline.isoformat(),
                "minutes_left": _minutes(deadline - ctx.now), "verdict": verdict.status, "blocking": stops,
                "passes": passes}
        if not ids:
            return Diagnosis("no immediate-pay invoice named here is at risk of its 2-hour budget", evidence,
                             applicable=False)
        passing = sum(1 for f in at_risk.values() if f["passes"])
        overdue = sum(1 for f in at_risk.values() if f["minutes_left"] < 0)
        summary = (f"{len(ids)} immediate-pay invoice(s) not scheduled inside the budget"
                   + (f" ({overdue} already past it)" if overdue else "")
                   + f"; {passing} pass(es) the engine and can be expedited")
        return Diagnosis(summary, evidence, invoice_ids=ids, facts={"at_risk": at_risk})

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        changes: list[Change] = []
        lines: list[str] = []
        deadlines: list[datetime] = []
        expedited = 0
        for invoice_id in diagnosis.invoice_ids:
            inv = ctx.session.get(Invoice, invoice_id)
            deadline = None if inv is None else _deadline(inv)
            if inv is None or deadline is None:
                continue
            deadlines.append(deadline)
            verdict = ctx.verdict(inv)
            amount = money(inv.total_amount, inv.currency) if inv.total_amount is not None else "no amount"
            head = f"{inv.invoice_number} (client {inv.client_id}, vendor {inv.vendor_id}, {amount})"
            if verdict.status != Status.VALIDATED:
                stops = sorted({f.rule for f in verdict.findings if str(f.severity) in ("block", "hold")})
                lines.append(f"- {head}: {_left(deadline, ctx.now)}; NOT expedited, blocked by "
                             f"{', '.join(stops) or verdict.status}: clear that first")
                continue
            if inv.status != Status.VALIDATED:
                changes.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=inv.status,
                                             after=Status.VALIDATED, revalidate=True,
                                             reason="re-driven to be expedited: passes the engine"))
            if inv.payment_lane != PRIORITY:
                changes.append(InvoiceField(invoice=inv.id, number=inv.invoice_number, field="payment_lane",
                                            before=inv.payment_lane, after=PRIORITY))
            changes.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=Status.VALIDATED,
                                         after=Status.SCHEDULED,
                                         reason=f"expedited in the priority lane: immediate pay, "
                                                f"{_left(deadline, ctx.now)}"))
            lines.append(f"- {head}: {_left(deadline, ctx.now)}; expedited: scheduled in the priority lane")
            expedited += 1
        if not lines:
            return None
        key = ctx.ticket.external_key if ctx.ticket is not None else "?"
        text = "\n".join([f"Immediate-pay SLA risk ({key}): {diagnosis.summary}.", *lines])
        changes.append(Notice(audience="oncall_page", text=text, key="sla-page"))
        ahead = [d for d in deadlines if d > ctx.now]
        deadline = min(ahead) if ahead else ctx.now + BREACH_GRACE
        summary = (f"expedite {expedited} immediate-pay invoice(s) to the priority lane and page on-call"
                   if expedited else "page on-call: the at-risk invoice(s) are blocked, nothing to expedite")
        expected = ("each expedited invoice SCHEDULED in the priority lane; on-call paged" if expedited
                    else "on-call paged with the blocking rules")
        # The page goes out with the proposal: on-call must not learn of an SLA risk only
        # once someone has approved the fix. The last step pages again with what was done.
        announce: list[Change] = [Notice(audience="oncall_page", key="sla-risk",
                                         text=f"{text}\nApprove the fix now: it expires at the deadline.")
                                  ] if expedited else []  # a page-only plan pages at once anyway
        return Plan(summary, changes, list(diagnosis.invoice_ids), expected=expected, deadline=deadline,
                    announce=announce)

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            if not isinstance(change, InvoiceStatus) or change.after != Status.SCHEDULED:
                continue
            inv = ctx.session.get(Invoice, change.invoice)
            if inv is None:
                checks.append(Check(f"{change.subject} scheduled in the priority lane", False, "missing"))
                continue
            ok = inv.status == Status.SCHEDULED and inv.payment_lane == PRIORITY and inv.scheduled_at is not None
            detail = f"{inv.status}, lane {inv.payment_lane}"
            deadline = _deadline(inv)
            if inv.scheduled_at is not None and deadline is not None:
                late = inv.scheduled_at - deadline
                detail += (f", scheduled {_minutes(late)} min after its deadline" if late > timedelta(0)
                           else f", scheduled {_minutes(-late)} min before its deadline")
            checks.append(Check(f"{change.subject} scheduled in the priority lane", ok, detail))
        paged = any(isinstance(c, Notice) and c.audience == "oncall_page" for c in plan.changes)
        checks.append(Check("on-call paged", paged))
        return checks

"""`stuck_in_pipeline`: re-drive invoices that sit in a non-terminal state past their threshold.

An invoice is stuck when it has been RECEIVED, PARSED or VALIDATED (and not scheduled)
for longer than `options.stuck_after_minutes[status]`, measured from its `updated_at`.
The invoices are the ones the ticket names or, when it names clients and no invoice,
every stuck invoice of those clients (at most `options.max_invoices`).

What "re-drive" means here: RECEIVED and PARSED invoices never got (or lost) their
verdict, so they are judged by the engine now and moved to that verdict (VALIDATED,
ON_HOLD or REJECTED), idempotently: an invoice the pipeline has meanwhile moved to the
same status counts as done. A VALIDATED invoice already has the verdict the engine would
give; what it waits for is the payment scheduler, which is not the engine's to re-drive.
Moving it would change nothing, so those are listed as evidence for a person (with what
the engine says of them now) and never changed. When only VALIDATED ones are stuck, the
root cause is not one this playbook can fix and the ticket goes to a person.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, or_, select

from models import Invoice
from payables.canonical import Status
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import InvoiceStatus

# Statuses whose verdict is missing: the engine judges them again.
REJUDGED = (Status.RECEIVED, Status.PARSED)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


class RedriveStuck(Playbook):
    name = "redrive_stuck"
    root_cause = "stuck_in_pipeline"
    title = "Re-drive stuck invoices through the engine"

    def _stuck_since(self, ctx: Context, inv: Invoice) -> int | None:
        """Minutes the invoice has been stuck past its threshold; None when it is not stuck."""
        limit = ctx.options.stuck_after_minutes.get(inv.status)
        if limit is None or (inv.status == Status.VALIDATED and inv.scheduled_at is not None):
            return None
        age = _minutes(ctx.now - inv.updated_at)
        return age if age >= limit else None

    def _client_stuck(self, ctx: Context, clients: list[str]) -> tuple[list[Invoice], bool]:
        """Every stuck invoice of `clients`, oldest first, bounded; and whether there are more."""
        waiting = [and_(Invoice.status == status, Invoice.updated_at <= ctx.now - timedelta(minutes=minutes))
                   for status, minutes in ctx.options.stuck_after_minutes.items()]
        if not waiting:
            return [], False
        bound = ctx.options.max_invoices
        found = list(ctx.session.scalars(
            select(Invoice).where(Invoice.client_id.in_(clients), or_(*waiting), Invoice.scheduled_at.is_(None))
            .order_by(Invoice.updated_at, Invoice.id).limit(bound + 1)))
        return found[:bound], len(found) > bound

    def diagnose(self, ctx: Context) -> Diagnosis:
        evidence: list[str] = []
        invoices = ctx.named_invoices()
        clients = sorted(ctx.entities.get("clients") or ())
        if not invoices and clients:
            invoices, more = self._client_stuck(ctx, clients)
            evidence.append(f"the ticket names client(s) {', '.join(clients)} and no invoice: "
                            f"{len(invoices)} stuck invoice(s) found")
            if more:
                evidence.append(f"more than {ctx.options.max_invoices} are stuck: this plan takes the oldest "
                                f"{ctx.options.max_invoices}; propose again for the rest")
        redrive: list[int] = []
        waiting: list[int] = []
        for inv in invoices:
            stuck = self._stuck_since(ctx, inv)
            age = _minutes(ctx.now - inv.updated_at)
            where = f"{inv.invoice_number} (client {inv.client_id}, vendor {inv.vendor_id})"
            if stuck is None:
                limit = ctx.options.stuck_after_minutes.get(inv.status)
                why = (f"for {age} min, under its {limit}-min threshold" if limit is not None
                       else "a state no invoice gets stuck in")
                evidence.append(f"{where}: {inv.status} {why}: not stuck")
                continue
            verdict = ctx.verdict(inv)
            stops = sorted({f.rule for f in verdict.findings if str(f.severity) in ("block", "hold")})
            engine = f"engine now says {verdict.status}" + (f" ({', '.join(stops)})" if stops else "")
            if inv.status in REJUDGED:
                redrive.append(inv.id)
                evidence.append(f"{where}: {inv.status} for {age} min (threshold "
                                f"{ctx.options.stuck_after_minutes[inv.status]}); {engine}: re-drive to it")
            else:
                waiting.append(inv.id)
                evidence.append(f"{where}: {inv.status} and not scheduled for {age} min; {engine}. Its verdict "
                                "stands: it waits for the payment scheduler, which a person should look at")
        if not invoices:
            return Diagnosis("the ticket names no invoice or client with invoices the engine knows", evidence,
                             applicable=False)
        if not redrive:
            summary = (f"{len(waiting)} VALIDATED invoice(s) wait for scheduling past their threshold: the engine "
                       "has nothing to re-drive; the scheduler needs a person" if waiting
                       else "no invoice named here is stuck")
            return Diagnosis(summary, evidence, applicable=False, facts={"awaiting_scheduling": waiting})
        summary = f"{len(redrive)} invoice(s) stuck before their verdict; the engine can re-drive them"
        if waiting:
            summary += f" ({len(waiting)} VALIDATED one(s) awaiting scheduling are listed for a person)"
        return Diagnosis(summary, evidence, invoice_ids=redrive, facts={"awaiting_scheduling": waiting})

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        changes: list[InvoiceStatus] = []
        for invoice_id in diagnosis.invoice_ids:
            inv = ctx.session.get(Invoice, invoice_id)
            if inv is None or inv.status not in REJUDGED:
                continue
            verdict = ctx.verdict(inv)
            age = _minutes(ctx.now - inv.updated_at)
            changes.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=inv.status,
                                         after=verdict.status, revalidate=True,
                                         reason=f"re-driven: stuck in {inv.status} for {age} min"))
        if not changes:
            return None
        return Plan(f"re-drive {len(changes)} stuck invoice(s) to the engine's verdict", list(changes),
                    [c.invoice for c in changes], expected="no invoice is still in the state it was stuck in; "
                                                           "each has the engine's verdict")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in (c for c in plan.changes if isinstance(c, InvoiceStatus)):
            inv = ctx.session.get(Invoice, change.invoice)
            moved = inv is not None and inv.status != change.before
            checks.append(Check(f"{change.subject} no longer {change.before}", moved,
                                inv.status if inv is not None else "missing"))
        return checks

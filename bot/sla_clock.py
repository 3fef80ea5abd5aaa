"""The SLA clock: an auto-cut ticket for each client with immediate-pay invoices about to
miss (or past) their 2-hour budget.

One alarm per client and deadline hour, keyed so that the clock ticking every minute
cuts it once; its text reads like the monitoring alarms the classifier was trained on.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Invoice, Ticket
from payables.canonical import Status
from payables.rules.codes import money

WARN_BEFORE = timedelta(minutes=30)
UNSCHEDULED = (Status.RECEIVED, Status.PARSED, Status.VALIDATED, Status.REJECTED, Status.ON_HOLD)


def cut_sla_alarms(session: Session, *, now: datetime, limit: int = 2000) -> int:
    """Cut the alarms due now; returns how many new tickets."""
    at_risk = session.scalars(
        select(Invoice).where(Invoice.payment_terms == "IMMEDIATE", Invoice.scheduled_at.is_(None),
                              Invoice.status.in_(UNSCHEDULED), Invoice.payment_deadline <= now + WARN_BEFORE,
                              Invoice.payment_deadline >= now - timedelta(days=1))
        .order_by(Invoice.payment_deadline).limit(limit))
    by_client: dict[tuple[str, str], list[Invoice]] = defaultdict(list)
    for invoice in at_risk:
        assert invoice.payment_deadline is not None
        by_client[(invoice.client_id, f"{invoice.payment_deadline:%Y%m%d%H}")].append(invoice)
    cut = 0
    for (client_id, hour), invoices in by_client.items():
        key = f"SLA-{client_id}-{hour}"
        if session.scalar(select(Ticket.id).where(Ticket.source == "local", Ticket.external_key == key)):
            continue
        first = invoices[0]
        assert first.payment_deadline is not None
        breached = first.payment_deadline <= now
        state = "BREACH" if breached else "RISK"
        lines = [f"SLA-01 {state} client={client_id} business_line={first.business_line} "
                 f"unscheduled_immediate={len(invoices)}"]
        for inv in invoices[:20]:
            amount = money(inv.total_amount, inv.currency) if inv.total_amount is not None else "no amount"
            lines.append(f"invoice={inv.invoice_number} vendor={inv.vendor_id} terms=IMMEDIATE "
                         f"ingested_at={inv.ingested_at:%Y-%m-%dT%H:%M:%SZ} deadline={inv.payment_deadline:%H:%M}Z "
                         f"state={inv.status} amount={amount}")
        title = (f"[payops] Immediate-pay invoice {'breached' if breached else 'at risk of'} 2h budget "
                 f"({client_id})")
        session.add(Ticket(source="local", external_key=key, title=title, body="\n".join(lines),
                           reporter="monitoring", channel="sla-clock", origin="alarm", created_at=now,
                           updated_at=now, state="new", revision=1))
        cut += 1
    session.flush()
    return cut

"""The metrics roll-up job: brings the metrics tables up to date.

The first run backfills every day since the first batch; later runs recompute the days
since the previous run (at least yesterday and today: an immediate-pay invoice received
late yesterday can still breach its 2 hours after midnight). Tickets are recomputed when
they changed since the previous run, when they still sit with a person (their human time
grows), or when they have no facts yet. Each day commits on its own, so a long backfill
that is interrupted keeps what it did and the next run redoes only the rest.
"""

from __future__ import annotations

import time as timer
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.insights.pipeline_rollup import roll_up_pipeline_day
from bot.insights.ticket_facts import WITH_A_PERSON, roll_up_tickets
from models import Batch, Database, RollupRun, Ticket, TicketFact
from payables.clock import Clock

MAX_BACKFILL_DAYS = 400


@dataclass(frozen=True)
class RollupSummary:
    first_day: date
    last_day: date
    days: int
    invoices: int
    tickets: int
    took_ms: int

    def __str__(self) -> str:
        return (f"rolled up {self.days} day(s) {self.first_day}..{self.last_day}: {self.invoices} received rows, "
                f"{self.tickets} ticket(s) in {self.took_ms} ms")


def roll_up(db: Database, clock: Clock, *, since: date | None = None) -> RollupSummary:
    """Bring the metrics up to date as of `clock()`; `since` forces a recomputation from that day."""
    started, began = clock(), timer.perf_counter()
    with db.session() as session:
        last = session.scalars(select(RollupRun).order_by(RollupRun.id.desc()).limit(1)).first()
        first_batch = session.scalar(select(func.min(Batch.received_at)))
    today = started.date()
    first_day = since or _first_day(today, last, first_batch)
    invoices = 0
    day = first_day
    while day <= today:
        with db.session() as session:
            invoices += roll_up_pipeline_day(session, day, now=started)
            session.commit()
        day += timedelta(days=1)
    with db.session() as session:
        changed_since = None if since is not None or last is None else last.started_at - timedelta(minutes=1)
        ids = _tickets_to_refresh(session, changed_since)
        tickets = roll_up_tickets(session, ids, now=started)
        took = round((timer.perf_counter() - began) * 1000)
        days = (today - first_day).days + 1
        session.add(RollupRun(started_at=started, finished_at=clock(), first_day=first_day, last_day=today,
                              days=days, tickets=tickets, took_ms=took))
        session.commit()
    return RollupSummary(first_day, today, days, invoices, tickets, took)


def _first_day(today: date, last: RollupRun | None, first_batch: datetime | None) -> date:
    if last is not None:
        return min(last.last_day, today - timedelta(days=1))
    if first_batch is None:
        return today
    return max(first_batch.date(), today - timedelta(days=MAX_BACKFILL_DAYS))


def _tickets_to_refresh(session: Session, changed_since: datetime | None) -> list[int]:
    query = select(Ticket.id).outerjoin(TicketFact, TicketFact.ticket_id == Ticket.id)
    if changed_since is not None:
        query = query.where(or_(Ticket.updated_at >= changed_since, Ticket.state.in_(WITH_A_PERSON),
                                TicketFact.ticket_id.is_(None)))
    return list(session.scalars(query.order_by(Ticket.id)))

"""What is at stake in a ticket, so that on-call works on the most urgent first.

Urgency is the 2-hour clock of immediate-pay invoices (the earliest deadline of any
unscheduled one the ticket names, or of its client's when an incident names only the
client), then money at risk (in USD where a rate is known), then age.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import FxRate, Invoice, Ticket
from payables.canonical import Status

OPEN = (Status.RECEIVED, Status.PARSED, Status.VALIDATED, Status.REJECTED, Status.ON_HOLD)


@dataclass(frozen=True)
class Stake:
    deadline: datetime | None
    at_stake_usd: Decimal
    immediate_invoices: int


def _usd(session: Session, amount: Decimal | None, currency: str, day: datetime) -> Decimal:
    if amount is None:
        return Decimal(0)
    if currency == "USD":
        return amount
    rate = session.scalar(select(FxRate.rate_to_usd).where(FxRate.currency == currency, FxRate.date <= day.date())
                          .order_by(FxRate.date.desc()).limit(1))
    # Without a rate the amount still counts, unconverted: a missing rate must not hide money.
    return amount * rate if rate is not None else amount


def stake_of(session: Session, invoices: Iterable[Invoice], clients: Iterable[str], now: datetime,
             *, incident: bool) -> Stake:
    invoices = [i for i in invoices if i.status in OPEN]
    immediate = [i for i in invoices if i.payment_terms == "IMMEDIATE" and i.payment_deadline is not None]
    if incident and not invoices and clients:
        # A feed or pipeline incident puts every open immediate-pay invoice of the client at risk.
        immediate = list(session.scalars(
            select(Invoice).where(Invoice.client_id.in_(sorted(set(clients))), Invoice.payment_terms == "IMMEDIATE",
                                  Invoice.status.in_(OPEN), Invoice.scheduled_at.is_(None)).limit(500)))
        invoices = immediate
    money = sum((_usd(session, i.total_amount, i.currency, now) for i in invoices), Decimal(0))
    deadlines = [i.payment_deadline for i in immediate if i.payment_deadline is not None and i.scheduled_at is None]
    return Stake(min(deadlines) if deadlines else None, money.quantize(Decimal("0.01")), len(immediate))


def apply_stake(ticket: Ticket, stake: Stake) -> None:
    ticket.deadline = stake.deadline
    ticket.at_stake_usd = stake.at_stake_usd
    ticket.immediate_invoices = stake.immediate_invoices


def rank_key(ticket: Ticket) -> tuple[bool, datetime, Decimal, datetime]:
    """Sort key: a running 2-hour clock first (soonest deadline), then money, then age."""
    far = datetime.max.replace(tzinfo=ticket.created_at.tzinfo)
    return (ticket.deadline is None, ticket.deadline or far, -(ticket.at_stake_usd or Decimal(0)), ticket.created_at)


def ranked(session: Session, states: Iterable[str], limit: int = 100) -> list[Ticket]:
    """Open tickets, most at stake first. Sorted here: money is exact text on SQLite."""
    open_tickets = session.scalars(select(Ticket).where(Ticket.state.in_(list(states))).limit(5000))
    return sorted(open_tickets, key=rank_key)[:limit]

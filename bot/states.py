"""Ticket state changes, each recorded with who and why (append-only `ticket_events`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from models import Ticket, TicketEvent
from models.tickets import TICKET_STATES


def set_state(session: Session, ticket: Ticket, state: str, *, now: datetime, reason: str,
              actor: str = "payops", previous: str | None = None) -> TicketEvent | None:
    """Move `ticket` to `state` and record it; `previous` when the state was already set."""
    if state not in TICKET_STATES:
        raise ValueError(f"unknown ticket state {state!r}; one of {', '.join(TICKET_STATES)}")
    before = ticket.state if previous is None else previous
    ticket.state, ticket.updated_at = state, now
    if before == state:
        return None
    event = TicketEvent(ticket_id=ticket.id, at=now, from_state=before, to_state=state, reason=reason, actor=actor)
    session.add(event)
    return event

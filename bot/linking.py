"""Linking tickets about the same thing, so that one fix answers them all.

Two tickets in the same window are linked when they name the same invoice, or the same
client together with an incident or with the same known root cause. A customer's ticket
linked to an open auto-cut incident hangs under it (`parent_id`): when the incident is
resolved, every inquiry under it is answered again (see `bot.resolution`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from models import Ticket, TicketLink, TicketSubject

CLOSED = ("resolved",)


@dataclass(frozen=True)
class Subjects:
    """What a ticket is about: its invoice numbers, clients and labels."""

    invoices: frozenset[str]
    clients: frozenset[str]
    category: str
    root_cause: str
    cut: str

    @property
    def is_incident(self) -> bool:
        return self.cut == "auto" and self.category == "incident"


def label(ticket: Ticket, head: str) -> str:
    confirmed = getattr(ticket, f"confirmed_{head}", None)
    if confirmed:
        return str(confirmed)
    return str(((ticket.predicted or {}).get(head) or {}).get("label", ""))


def subjects_of(ticket: Ticket) -> Subjects:
    """From the ticket's entities. `link_clients` is set by the pipeline: the clients the
    ticket is about (named, or owning its invoices) that its asker may see, so that a
    customer's ticket never hangs under another client's incident."""
    entities = ticket.entities or {}
    clients = entities["link_clients"] if "link_clients" in entities else entities.get("clients") or ()
    return Subjects(frozenset(entities.get("invoices") or ()), frozenset(clients),
                    label(ticket, "category"), label(ticket, "root_cause"), label(ticket, "cut"))


def why_linked(a: Subjects, b: Subjects) -> str | None:
    shared_invoices = a.invoices & b.invoices
    if shared_invoices:
        return "same invoice " + ", ".join(sorted(shared_invoices))
    shared_clients = a.clients & b.clients
    if not shared_clients:
        return None
    clients = ", ".join(sorted(shared_clients))
    if a.is_incident or b.is_incident:
        return f"client {clients} with an open incident"
    if a.root_cause and a.root_cause == b.root_cause and a.root_cause != "unknown":
        return f"client {clients}, same root cause {a.root_cause}"
    return None


def _record_subjects(session: Session, ticket: Ticket, subjects: Subjects, now: datetime) -> set[tuple[str, str]]:
    mine = {("invoice", v) for v in subjects.invoices} | {("client", v) for v in subjects.clients}
    known = {(kind, value) for kind, value in session.execute(
        select(TicketSubject.kind, TicketSubject.value).where(TicketSubject.ticket_id == ticket.id))}
    session.add_all(TicketSubject(ticket_id=ticket.id, kind=kind, value=value[:64], created_at=now)
                    for kind, value in sorted(mine - known))
    return mine


def link_ticket(session: Session, ticket: Ticket, *, now: datetime, window: timedelta) -> list[TicketLink]:
    """Link `ticket` with the recent tickets it shares a subject with; set parents.

    Candidates come from the subjects index (same invoice number or client within the
    window), so the cost follows how many tickets share a subject, not how many are open.
    """
    subjects = subjects_of(ticket)
    mine = _record_subjects(session, ticket, subjects, now)
    if not mine:
        return []
    shared = select(TicketSubject.ticket_id).where(
        tuple_(TicketSubject.kind, TicketSubject.value).in_(sorted(mine)),
        TicketSubject.created_at >= now - window, TicketSubject.ticket_id != ticket.id)
    recent = session.scalars(
        select(Ticket).where(Ticket.id.in_(shared), Ticket.state.not_in(CLOSED), Ticket.predicted.is_not(None))
        .order_by(Ticket.created_at.desc()).limit(500)
    )
    already = set(session.scalars(select(TicketLink.other_id).where(TicketLink.ticket_id == ticket.id)))
    links = []
    for other in recent:
        theirs = subjects_of(other)
        reason = why_linked(subjects, theirs)
        if reason is None:
            continue
        if other.id not in already:
            links += [TicketLink(ticket_id=ticket.id, other_id=other.id, reason=reason, created_at=now),
                      TicketLink(ticket_id=other.id, other_id=ticket.id, reason=reason, created_at=now)]
        if theirs.is_incident and not subjects.is_incident and ticket.parent_id is None:
            ticket.parent_id = other.id
        elif subjects.is_incident and not theirs.is_incident and other.parent_id is None:
            other.parent_id = ticket.id
    session.add_all(links)
    return links

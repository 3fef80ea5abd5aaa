"""Each ticket's facts for the metrics (`metrics_ticket_facts`), from its labels, the
messages payops wrote about it and its state history.

- first response: the first message to the person who raised it or to on-call (an
  answer, an acknowledgement, a triage summary, a page or hand-off);
- resolution: the first time it was answered or resolved;
- deflected: answered or resolved and never handed to a person (needs_human, escalated);
- human time: how long it sat with a person (needs_human, escalated), until it left
  those states or until now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Client, Proposal, Ticket, TicketEvent, TicketFact, TicketMessage
from playbooks.registry import default_registry
from playbooks.runner import ticket_root_cause

RESPONSE_KINDS = ("answer", "acknowledgement", "triage_summary", "follow_up", "page", "hand_off",
                  "playbook_notice", "playbook_outcome")
RESOLVED = ("answered", "resolved")
WITH_A_PERSON = ("needs_human", "escalated")
CHUNK = 500


def roll_up_tickets(session: Session, ticket_ids: Sequence[int], *, now: datetime) -> int:
    """Recompute the facts of these tickets; returns how many were written."""
    lines = {c.client_id: c.business_line for c in session.scalars(select(Client))}
    written = 0
    for i in range(0, len(ticket_ids), CHUNK):
        chunk = list(ticket_ids[i:i + CHUNK])
        tickets = list(session.scalars(select(Ticket).where(Ticket.id.in_(chunk))))
        first_response = dict(session.execute(
            select(TicketMessage.ticket_id, func.min(TicketMessage.created_at))
            .where(TicketMessage.ticket_id.in_(chunk), TicketMessage.kind.in_(RESPONSE_KINDS))
            .group_by(TicketMessage.ticket_id)).all())
        events: dict[int, list[TicketEvent]] = defaultdict(list)
        for event in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id.in_(chunk))
                                     .order_by(TicketEvent.at, TicketEvent.id)):
            events[event.ticket_id].append(event)
        causes = _proposal_causes(session, chunk)
        session.execute(delete(TicketFact).where(TicketFact.ticket_id.in_(chunk)))
        session.add_all(fact_of(t, first_response.get(t.id), events[t.id], causes.get(t.id), lines, now)
                        for t in tickets)
        written += len(tickets)
    session.flush()
    return written


def fact_of(ticket: Ticket, first_response: datetime | None, events: Iterable[TicketEvent],
            proposal_cause: str | None, business_lines: dict[str, str], now: datetime) -> TicketFact:
    resolved_at: datetime | None = None
    human_seconds = 0.0
    handed = False
    since: datetime | None = None  # when it went to a person
    for event in events:
        if since is not None and event.to_state not in WITH_A_PERSON:
            human_seconds += (event.at - since).total_seconds()
            since = None
        if event.to_state in WITH_A_PERSON:
            handed = True
            since = since or event.at
        if event.to_state in RESOLVED and resolved_at is None:
            resolved_at = event.at
    if since is not None:
        human_seconds += max(0.0, (now - since).total_seconds())
    client = _client_of(ticket)
    return TicketFact(
        ticket_id=ticket.id, created_at=ticket.created_at, day=ticket.created_at.date(),
        cut=_label(ticket, "cut", ticket.confirmed_cut), category=_label(ticket, "category", ticket.confirmed_category),
        root_cause=_root_cause(ticket, proposal_cause), client_id=client,
        business_line=business_lines.get(client, ""), state=ticket.state,
        deflected=resolved_at is not None and not handed,
        first_response_seconds=_seconds(ticket.created_at, first_response),
        resolution_seconds=_seconds(ticket.created_at, resolved_at),
        human_seconds=round(human_seconds), rolled_up_at=now)


def _label(ticket: Ticket, head: str, confirmed: str | None) -> str:
    return confirmed or str(((ticket.predicted or {}).get(head) or {}).get("label") or "unknown")


def _root_cause(ticket: Ticket, proposal_cause: str | None) -> str:
    """A person's word first; then the cause a playbook's diagnosis bore out (the pipeline
    finds it from the rule that stops the invoices even when the model was unsure); then
    the model's."""
    if ticket.confirmed_root_cause:
        return ticket.confirmed_root_cause
    return proposal_cause or ticket_root_cause(ticket)


def _proposal_causes(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    registry = default_registry()
    by_name = {pb.name: pb.root_cause for pb in registry.all()}
    out: dict[int, str] = {}
    for ticket_id, playbook in session.execute(
            select(Proposal.ticket_id, Proposal.playbook).where(Proposal.ticket_id.in_(ticket_ids))
            .order_by(Proposal.id)):
        cause = by_name.get(playbook, "unknown")
        if ticket_id is not None and cause != "unknown":
            out[ticket_id] = cause
    return out


def _client_of(ticket: Ticket) -> str:
    entities = ticket.entities or {}
    clients = entities.get("link_clients") or entities.get("clients") or []
    return str(sorted(clients)[0])[:16] if clients else ""


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, round((end - start).total_seconds()))

"""Tickets from every source (the embedded queue, Jira, Slack), with their labels."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Money, UtcDateTime

TICKET_STATES = ("new", "triaged", "needs_human", "answered", "awaiting_customer", "escalated", "resolved")
MESSAGE_STATUSES = ("pending", "sending", "sent", "failed")


class Ticket(Base):
    """One ticket. Predicted labels come from the classifier; confirmed ones from a person.

    `predicted` holds, per label (cut, category, root_cause), the best label, its
    probability and whether the model abstained; `entities` what extraction found.
    """

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("source", "external_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # local, jira, slack
    external_key: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    reporter: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(24), default="new")
    predicted: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(64))
    entities: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confirmed_cut: Mapped[str | None] = mapped_column(String(16))
    confirmed_category: Mapped[str | None] = mapped_column(String(24))
    confirmed_root_cause: Mapped[str | None] = mapped_column(String(32))
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[str] = mapped_column(Text, default="")
    # Where it came from and where answers go: a Slack channel, a Jira project, "cli".
    channel: Mapped[str] = mapped_column(String(64), default="")
    # Slack: the thread to answer in; slash commands: the response URL.
    reply_to: Mapped[str] = mapped_column(Text, default="")
    # How it arrived: ticket, mention, dm, slash_command, alarm. A slash command is an inquiry.
    origin: Mapped[str] = mapped_column(String(16), default="ticket")
    # Bumped whenever the source reports a change; answers are keyed by it, so an update
    # gets a new answer and a replay of the same revision does not.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # A worker's lease on a new ticket; a lease that ran out is free again.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # What is at stake, for on-call's ranking: the earliest immediate-pay deadline among
    # its invoices and the money they carry (in USD where a rate is known).
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    at_stake_usd: Mapped[Decimal | None] = mapped_column(Money)
    immediate_invoices: Mapped[int] = mapped_column(Integer, default=0)
    # The incident it hangs under (a customer inquiry caused by a broken feed, say).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


Index("ix_tickets_state", Ticket.state)
Index("ix_tickets_parent", Ticket.parent_id)


class TicketMessage(Base):
    """Everything the bot writes about a ticket, and its outbox.

    A message is stored (pending) in the same transaction that decided to send it, then
    delivered. The idempotency key is unique: reprocessing the same ticket revision finds
    the message already there, and a delivery interrupted after sending is checked against
    the destination before it is sent again.
    """

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # answer, triage_summary, oncall_summary, follow_up
    # local, jira_comment, slack_thread, slack_channel, slack_response
    destination: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    external_id: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(Text, default="")


Index("ix_ticket_messages_status", TicketMessage.status)


class TicketEvent(Base):
    """A ticket's state change: append-only, who and why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200), default="payops")


class TicketLink(Base):
    """Two tickets about the same thing: an invoice, a client feed, a root cause."""

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("ticket_id", "other_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SourceCursor(Base):
    """How far a polled source (a Jira filter) has been read; survives restarts."""

    __tablename__ = "source_cursors"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TicketEmbedding(Base):
    """A ticket's sentence embedding (float32 bytes), for similar-ticket search."""

    __tablename__ = "ticket_embeddings"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class LabelCorrection(Base):
    """A person's correction of a ticket's label: append-only, for audit and retraining."""

    __tablename__ = "label_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    label: Mapped[str] = mapped_column(String(16))  # cut, category, root_cause
    predicted: Mapped[str | None] = mapped_column(String(32))
    confirmed: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class TicketSubject(Base):
    """What a ticket is about, one row per invoice number or client id, so that linking
    finds the tickets sharing a subject with an index lookup instead of a scan."""

    __tablename__ = "ticket_subjects"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(16))  # invoice, client
    value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


Index("ix_ticket_subjects_lookup", TicketSubject.kind, TicketSubject.value, TicketSubject.created_at)

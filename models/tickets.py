"""Tickets from every source (the embedded queue, Jira, Slack), with their labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime

TICKET_STATES = ("new", "triaged", "needs_human", "answered", "awaiting_customer", "escalated", "resolved")


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


Index("ix_tickets_state", Ticket.state)


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

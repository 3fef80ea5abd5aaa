"""Remediation proposals (a playbook's plan and where it stands) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime

# proposed -> approved | rejected | expired -> applying -> verified | failed | rolled_back;
# a shadow proposal is only recorded (`shadow`), then compared with what people did.
PROPOSAL_STATES = ("shadow", "proposed", "approved", "rejected", "expired", "applying", "verified", "failed",
                   "rolled_back")


class Proposal(Base):
    """One run of a playbook for one ticket: its diagnosis, its plan, and its progress.

    `plan` is frozen when proposed (what was approved is what is applied); `steps_done`
    counts the plan's changes committed so far, so an apply cut short resumes after the
    last one. `claimed_by/claimed_until` is the applying process's lease.
    """

    __tablename__ = "playbook_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    playbook: Mapped[str] = mapped_column(String(48))
    playbook_version: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(12))  # shadow, approve, auto
    state: Mapped[str] = mapped_column(String(16))
    risk: Mapped[str] = mapped_column(String(8))  # low, medium, high
    moves_money: Mapped[bool] = mapped_column(default=False)
    changes_bank_data: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(Text)
    diagnosis: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(Text, default="")
    # Shadow and decided proposals: did the plan agree with what people did? agree, differ.
    agreement: Mapped[str | None] = mapped_column(String(12))
    agreement_detail: Mapped[str] = mapped_column(Text, default="")


Index("ix_playbook_proposals_state", Proposal.state)


class AuditEntry(Base):
    """One thing done or refused, by whom, when, with the values before and after.

    Append-only: the migration installs triggers that refuse UPDATE and DELETE.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(48))
    proposal_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")

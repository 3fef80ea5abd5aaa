"""What the runner needs from the outside world, as small interfaces the bot implements.

Playbooks import nothing of the bot (DESIGN.md): messages go through a Notifier, which
writes them in the caller's transaction (the bot's outbox), so a message is sent if and
only if the step that decided it committed.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry, Proposal, Ticket
from payables.clock import Clock


class Notifier(Protocol):
    def notice(self, session: Session, *, proposal_id: int, ticket: Ticket | None, key: str, audience: str,
               text: str) -> None:
        """Send a playbook's message (page on-call, tell the vendor contact, ...)."""
        ...

    def has_notice(self, session: Session, key: str) -> bool:
        """Whether the message under `key` was already sent (or is on its way)."""
        ...

    def proposal_changed(self, session: Session, proposal: Proposal, ticket: Ticket | None) -> None:
        """Show the proposal as it now stands: buttons while proposed, the outcome after."""
        ...


class AuditOnlyNotifier:
    """No outside world: notices are kept in the audit log only (library use, tests)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def notice(self, session: Session, *, proposal_id: int, ticket: Ticket | None, key: str, audience: str,
               text: str) -> None:
        from playbooks.audit import record

        record(session, at=self.clock(), actor="payops", action="notice", proposal_id=proposal_id,
               ticket_id=ticket.id if ticket else None, subject=key, after={"audience": audience}, detail=text)

    def has_notice(self, session: Session, key: str) -> bool:
        return session.scalar(select(AuditEntry.id).where(AuditEntry.action == "notice",
                                                          AuditEntry.subject == key[:200]).limit(1)) is not None

    def proposal_changed(self, session: Session, proposal: Proposal, ticket: Ticket | None) -> None:
        return None


"""The audit log: every step of every playbook, who, what, when, before and after.

Entries are only ever added (the database refuses UPDATE and DELETE on the table), in
the same transaction as the thing they record, so the log never claims what did not
happen and never misses what did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry
from playbooks.changes import as_json


def record(session: Session, *, at: datetime, actor: str, action: str, proposal_id: int | None = None,
           ticket_id: int | None = None, subject: str = "", before: Any = None, after: Any = None,
           detail: str = "") -> AuditEntry:
    entry = AuditEntry(at=at, actor=actor[:200], action=action, proposal_id=proposal_id, ticket_id=ticket_id,
                       subject=subject[:200], before=as_json(before), after=as_json(after), detail=detail)
    session.add(entry)
    return entry


def entries(session: Session, *, ticket_id: int | None = None, proposal_id: int | None = None,
            limit: int = 1000) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if ticket_id is not None:
        query = query.where(AuditEntry.ticket_id == ticket_id)
    if proposal_id is not None:
        query = query.where(AuditEntry.proposal_id == proposal_id)
    return list(session.scalars(query.limit(limit)))


def entry_dict(e: AuditEntry) -> dict[str, Any]:
    return {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "proposal": e.proposal_id,
            "ticket": e.ticket_id, "subject": e.subject, "before": e.before, "after": e.after, "detail": e.detail}

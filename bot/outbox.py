"""What the bot writes, stored first and delivered after: exactly once in effect.

`enqueue` stores a message in the transaction that decided to send it, under an
idempotency key; processing the same ticket revision again finds the key and adds
nothing. `deliver_pending` sends what is due: it marks a message `sending` (committed)
before calling the destination, and `sent` after. A process that dies in between leaves
the message `sending`; once its send lease has run out, the next delivery asks the
destination whether the message is already there (senders look for the message's
reference) before sending it again. The lease also keeps two processes delivering at
once (the service and `payops ask`, say) from taking the same message.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import Database, Ticket, TicketMessage
from payables.clock import Clock

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# While one process sends a message, no other takes it; a sender that died is presumed
# dead after this long and its message is taken again (checked at the destination first).
SEND_LEASE = timedelta(minutes=2)


class DeliveryError(Exception):
    """A destination refused the message. `retryable` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class Outgoing:
    """A message as a sender sees it (no ORM object crosses into network code)."""

    id: int
    ref: str
    kind: str
    destination: str
    text: str
    payload: dict[str, Any]
    ticket_key: str
    ticket_source: str
    resumed: bool  # an earlier attempt may have reached the destination


class Sender(Protocol):
    def send(self, message: Outgoing) -> str:
        """Deliver `message` (or find it already delivered); return its id at the destination."""
        ...


def reference(key: str) -> str:
    """A short, stable reference for a message, shown in its footer and searched for."""
    return "payops-" + hashlib.sha1(key.encode()).hexdigest()[:10]


def enqueue(session: Session, ticket: Ticket, *, key: str, kind: str, destination: str, text: str,
            now: datetime, payload: Mapping[str, Any] | None = None) -> TicketMessage:
    """Store a message to send, unless one with this key exists (then return that one)."""
    existing = session.scalars(select(TicketMessage).where(TicketMessage.idempotency_key == key)).first()
    if existing is not None:
        return existing
    message = TicketMessage(ticket_id=ticket.id, idempotency_key=key, kind=kind, destination=destination,
                            text=text, payload=dict(payload or {}), status="pending", attempts=0,
                            created_at=now, next_attempt_at=now, external_id="", error="")
    session.add(message)
    session.flush()
    return message


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    return timedelta(seconds=max(retry_after or 0.0, min(2 ** attempts, 600)))


def deliver_pending(db: Database, senders: Mapping[str, Sender], clock: Clock, *, limit: int = 200,
                    on_failure: Callable[[Outgoing, str], None] | None = None) -> int:
    """Send every due message whose destination has a sender; returns how many were sent."""
    now = clock()
    due_now = or_(TicketMessage.next_attempt_at.is_(None), TicketMessage.next_attempt_at <= now)
    batch = []
    with db.session() as session:
        due = session.execute(
            select(TicketMessage, Ticket.external_key, Ticket.source)
            .join(Ticket, Ticket.id == TicketMessage.ticket_id)
            .where(TicketMessage.status.in_(("pending", "sending")),
                   TicketMessage.destination.in_(sorted(senders)), due_now)
            .order_by(TicketMessage.id).limit(limit).with_for_update(skip_locked=True, of=TicketMessage)
        ).all()
        for m, key, source in due:
            # Taken only if still due: of two deliverers racing on SQLite, one wins.
            won = session.execute(
                update(TicketMessage)
                .where(TicketMessage.id == m.id, TicketMessage.status.in_(("pending", "sending")), due_now)
                .values(status="sending", attempts=TicketMessage.attempts + 1, next_attempt_at=now + SEND_LEASE)
                .execution_options(synchronize_session=False))
            if won.rowcount == 1:  # type: ignore[attr-defined]
                batch.append(Outgoing(m.id, reference(m.idempotency_key), m.kind, m.destination, m.text,
                                      dict(m.payload or {}), key, source, resumed=m.status == "sending"))
    sent = 0
    for out in batch:
        sent += _deliver_one(db, senders[out.destination], out, clock, on_failure)
    return sent


def _deliver_one(db: Database, sender: Sender, out: Outgoing, clock: Clock,
                 on_failure: Callable[[Outgoing, str], None] | None) -> int:
    try:
        external_id = sender.send(out)
    except DeliveryError as exc:
        with db.session() as session:
            m = session.get(TicketMessage, out.id)
            assert m is not None
            m.error = str(exc)
            if exc.retryable and m.attempts < MAX_ATTEMPTS:
                m.status, m.next_attempt_at = "pending", clock() + _backoff(m.attempts, exc.retry_after)
                log.warning("delivery of %s to %s failed, will retry: %s", out.ref, out.destination, exc)
                return 0
            m.status = "failed"
        log.error("delivery of %s to %s failed for good: %s", out.ref, out.destination, exc)
        if on_failure is not None:
            on_failure(out, str(exc))
        return 0
    with db.session() as session:
        m = session.get(TicketMessage, out.id)
        assert m is not None
        m.status, m.sent_at, m.external_id, m.error = "sent", clock(), external_id[:64], ""
    return 1


class LocalSender:
    """The embedded queue: the message is the record (`payops ticket show` reads it)."""

    def send(self, message: Outgoing) -> str:
        return f"local:{message.id}"

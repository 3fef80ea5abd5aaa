"""The outbox: a message is stored once per key and delivered once, whoever delivers."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from bot.outbox import DeliveryError, Outgoing, deliver_pending, enqueue
from models import Ticket, TicketMessage
from payables.clock import fixed_clock
from tests.factories import NOW
from triage.service import create_ticket


class SlowSender:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        time.sleep(0.05)
        with self.lock:
            self.sent.append(message.ref)
        return f"x{message.id}"


def _queue(db, n: int) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        ticket = create_ticket(session, title="t", body="b", now=NOW)
        for i in range(n):
            enqueue(session, ticket, key=f"k{i}", kind="answer", destination="local", text=f"m{i}", now=NOW)
        again = enqueue(session, ticket, key="k0", kind="answer", destination="local", text="other", now=NOW)
        assert again.text == "m0"  # the same key is the same message


def test_two_deliverers_at_once_send_each_message_once(db):
    _queue(db, 12)
    sender = SlowSender()
    threads = [threading.Thread(target=deliver_pending, args=(db, {"local": sender}, fixed_clock(NOW)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sender.sent) == 12 and len(set(sender.sent)) == 12
    with db.session() as session:
        assert set(session.scalars(select(TicketMessage.status))) == {"sent"}


class Flaky:
    def __init__(self, errors: list[DeliveryError]) -> None:
        self.errors = errors
        self.calls = 0

    def send(self, message: Outgoing) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_a_retryable_failure_waits_its_backoff_and_a_refusal_fails_for_good(db):
    _queue(db, 1)
    flaky = Flaky([DeliveryError("503", retryable=True, retry_after=30)])
    assert deliver_pending(db, {"local": flaky}, fixed_clock(NOW)) == 0
    assert deliver_pending(db, {"local": flaky}, fixed_clock(NOW + timedelta(seconds=10))) == 0
    assert flaky.calls == 1  # not due yet: Retry-After said 30 s
    assert deliver_pending(db, {"local": flaky}, fixed_clock(NOW + timedelta(seconds=31))) == 1
    refusing = Flaky([DeliveryError("HTTP 403 not_in_channel", retryable=False)])
    with db.session() as session:
        ticket = session.scalars(select(Ticket)).one()
        enqueue(session, ticket, key="k-refused", kind="answer", destination="local", text="x", now=NOW)
    failures: list[str] = []
    deliver_pending(db, {"local": refusing}, fixed_clock(NOW + timedelta(minutes=5)),
                    on_failure=lambda out, why: failures.append(why))
    with db.session() as session:
        refused = session.scalars(select(TicketMessage).where(TicketMessage.idempotency_key == "k-refused")).one()
        assert refused.status == "failed" and "not_in_channel" in refused.error
    assert failures == ["HTTP 403 not_in_channel"]

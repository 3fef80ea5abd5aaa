"""The queue: leases, failures, shutdown. Several workers never take the same ticket."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from bot.worker import Worker
from models import Ticket, TicketMessage
from payables.clock import fixed_clock
from tests.factories import NOW


def worker(book, pipeline, name: str, *, at=NOW, **kw) -> Worker:  # type: ignore[no-untyped-def]
    return Worker(book, pipeline, worker_id=name, clock=fixed_clock(at), **kw)


def test_two_workers_never_claim_the_same_ticket(book, pipeline, new_ticket):
    ids = [new_ticket(f"why was INV-{n} not paid?") for n in range(2290, 2300)]
    a, b = worker(book, pipeline, "a"), worker(book, pipeline, "b")
    first, second = a.claim(6), b.claim(6)
    assert len(first) == 6 and len(second) == 4 and not set(first) & set(second)
    assert sorted(first + second) == ids


def test_a_crashed_workers_lease_runs_out_and_another_takes_the_ticket(book, pipeline, new_ticket):
    ticket_id = new_ticket("why was INV-2291 not paid?")
    assert worker(book, pipeline, "dead").claim() == [ticket_id]  # ... and it dies holding the lease
    assert worker(book, pipeline, "b").claim() == []
    late = worker(book, pipeline, "b", at=NOW + timedelta(minutes=6))
    assert late.drain() == 1
    with book.session() as session:
        assert session.get(Ticket, ticket_id).state == "answered"


def test_concurrent_drains_answer_each_ticket_once(book, pipeline, new_ticket):
    ids = [new_ticket(f"why was INV-{n} not paid?") for n in range(2280, 2296)]
    workers = [worker(book, pipeline, f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=w.drain, kwargs={"batch": 2}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with book.session() as session:
        answers = session.scalar(select(func.count()).select_from(TicketMessage).where(TicketMessage.kind == "answer"))
        states = set(session.scalars(select(Ticket.state).where(Ticket.id.in_(ids))))
    assert answers == len(ids) and "new" not in states


def test_a_ticket_that_breaks_the_pipeline_is_retried_later_then_handed_to_a_person(book, pipeline, new_ticket,
                                                                                   monkeypatch):
    ticket_id = new_ticket("why was INV-2291 not paid?")
    monkeypatch.setattr(pipeline, "process", lambda session, ticket, prepared=None: 1 / 0)
    w = worker(book, pipeline, "a", max_attempts=2)
    assert w.drain() == 0
    with book.session() as session:
        t = session.get(Ticket, ticket_id)
        assert (t.state, t.attempts, t.claimed_by) == ("new", 1, None)
        assert t.last_error.startswith("ZeroDivisionError")
    assert w.claim() == []  # backing off, not spinning
    later = worker(book, pipeline, "a", at=NOW + timedelta(hours=1), max_attempts=2)
    later.drain()
    with book.session() as session:
        assert session.get(Ticket, ticket_id).state == "needs_human"


def test_stopping_releases_the_tickets_not_started(book, pipeline, new_ticket):
    ids = [new_ticket(f"why was INV-{n} not paid?") for n in range(2290, 2294)]
    stop = threading.Event()
    w = worker(book, pipeline, "a", on_outcome=lambda outcome: stop.set())
    assert w.drain(stop, batch=10) == 1
    with book.session() as session:
        rest = list(session.scalars(select(Ticket).where(Ticket.id.in_(ids[1:]))))
        assert all(t.state == "new" and t.claimed_by is None for t in rest)
    assert worker(book, pipeline, "b").drain() == 3

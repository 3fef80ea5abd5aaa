"""`payops demo` seeds eight weeks of history before today: the weeks of feeds before the
demo's own files, today's file of one client whose ERP change breaks TAX-01, and eight
weeks of tickets, proposals and people's resolutions."""

from __future__ import annotations

import statistics
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.demo_history import CHANNEL, RULE
from bot.demo_history_tickets import PEOPLE, Known, plan_tickets
from models import Batch, Database, Finding, Invoice, Proposal, Ticket, TicketEvent
from payables.demo.history import history_days, make_history, read_world
from tests.bot.test_demo import PAYOPS, demo_env

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)  # PAYOPS_NOW of demo_env
TODAY = NOW.date()
HISTORY = Batch.source_name.like("history/%")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> tuple[Database, Path]:
    """One demo run for the module: its database and its data directory."""
    cwd = tmp_path_factory.mktemp("demo")
    done = subprocess.run(PAYOPS + ["demo", "--json"], cwd=cwd, env=demo_env(model_path), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return Database(f"sqlite:///{cwd / 'payops.db'}"), cwd / "demo-data"


def _per_day(db: Database, *where: object) -> Counter[date]:
    with db.session() as session:
        stamps = session.scalars(select(Invoice.ingested_at).join(Batch, Batch.id == Invoice.batch_id)
                                 .where(*where))
        return Counter(s.date() for s in stamps)


def test_history_feeds_fill_the_weeks_before_the_demo_files_with_a_weekday_rhythm(demo):
    db, _ = demo
    days = _per_day(db, HISTORY)
    demo_days = _per_day(db, ~HISTORY, Batch.source_name.not_like("%erp-change%"))
    # Eight weeks in all: the history up to the day before the demo's own files begin.
    assert min(days) == TODAY - timedelta(days=56) and max(days) < min(demo_days) <= TODAY - timedelta(days=33)
    assert max(demo_days) == TODAY and all(d.weekday() < 5 for d in demo_days)
    assert 2500 <= sum(days.values()) <= 5000
    weekday = statistics.mean(n for d, n in days.items() if d.weekday() < 5)
    span = [min(days) + timedelta(days=k) for k in range((max(days) - min(days)).days + 1)]
    weekend = statistics.mean(days.get(d, 0) for d in span if d.weekday() >= 5)
    assert weekend < 0.3 * weekday, (weekday, weekend)
    with db.session() as session:  # a realistic small share breaks rules, every day's files apart
        rejected = session.scalar(select(func.count()).select_from(Invoice).join(Batch, Batch.id == Invoice.batch_id)
                                  .where(HISTORY, Invoice.status == "REJECTED"))
    assert 0.01 * sum(days.values()) < rejected < 0.08 * sum(days.values())


def test_one_client_rejects_far_more_for_one_rule_today_than_in_its_history(demo):
    db, _ = demo
    with db.session() as session:
        batch = session.scalars(select(Batch).where(Batch.source_name.like("%erp-change%"))).one()
        client = batch.source_name.split("-", 1)[0]
        tax_01 = Invoice.raw_record_id.in_(select(Finding.raw_record_id).where(Finding.rule == RULE))
        today = session.scalar(select(func.count()).select_from(Invoice)
                               .where(Invoice.batch_id == batch.id, Invoice.status == "REJECTED", tax_01))
    assert batch.received_at.date() == TODAY and batch.received_at < NOW
    assert (batch.received, today) == (40, 12)
    earlier = _per_day(db, Invoice.client_id == client, Invoice.batch_id != batch.id, Invoice.status == "REJECTED",
                       tax_01)
    assert sum(earlier.values()) == 0  # a clean history, so today's 12 stand out


def test_tickets_recur_get_resolved_by_people_and_fixes_are_decided(demo):
    db, _ = demo
    with db.session() as session:
        # The history's tickets and alarms (the SLA clock may also cut one when the demo starts).
        tickets = list(session.scalars(select(Ticket).where(Ticket.channel.in_((CHANNEL, "sla-clock")),
                                                            Ticket.created_at < NOW)))
        resolved_by = Counter(session.scalars(select(TicketEvent.actor).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                                              .where(Ticket.channel == CHANNEL, TicketEvent.to_state == "resolved")))
        states = Counter(session.scalars(select(Proposal.state).join(Ticket, Ticket.id == Proposal.ticket_id)
                                         .where(Ticket.channel.in_((CHANNEL, "sla-clock")))))
        # Immediate-pay invoices that passed every rule yet missed their 2 hours: the ones the
        # payment run left for the SLA clock (today's are still on their clock).
        breached = session.scalar(select(func.count()).select_from(Invoice).where(
            Invoice.payment_terms == "IMMEDIATE", (Invoice.scheduled_at > Invoice.payment_deadline)
            | ((Invoice.status == "VALIDATED") & (Invoice.payment_deadline < NOW))))
    days = Counter(t.created_at.date() for t in tickets)
    assert len(days) >= 35 and all(d < TODAY for d in days)
    weekdays = [n for d, n in days.items() if d.weekday() < 5]
    assert 8 <= statistics.mean(weekdays) <= 16
    assert all(t.state != "new" for t in tickets)
    text = " ".join(f"{t.title} {t.body}".lower() for t in tickets)
    assert all(word in text for word in ("remittance", "portal", "w-9"))
    assert sum(n for actor, n in resolved_by.items() if actor in PEOPLE) >= 50
    assert {"verified", "rejected"} <= set(states), states
    assert "proposed" not in states and "approved" not in states  # nothing of the history left open
    assert 1 <= breached <= 30
    with db.session() as session:  # today's demo is still about today's invoices
        first = session.scalar(select(Ticket).where(Ticket.channel == "demo").order_by(Ticket.id).limit(1))
        assert first is not None and first.created_at == NOW


def test_history_data_is_the_same_for_the_same_seed(demo):
    _, directory = demo
    world = read_world(directory, TODAY)

    def make(seed: int) -> list[tuple[str, bytes]]:
        weights = {c.client_id: 1.0 + i % 3 for i, c in enumerate(world.clients)}
        history = make_history(world, today=TODAY, seed=seed, weights=weights, formats={"C002": "jsonl"},
                               clean=("C014", RULE), taken=set(), twins=set(), invoices=1500)
        return [(f.name, f.data) for f in history.feeds]

    first = make(7)
    assert first == make(7) and first != make(8)
    assert len(first) > 10

    known = [Known(f"INV-{i}", "C001", "V00001", "Acme", "REJECTED", ("DUP-02",), "",
                   NOW - timedelta(days=50 - i // 20)) for i in range(900)]
    days = history_days(TODAY)

    def tickets(seed: int) -> list[tuple[datetime, str]]:
        import random

        return [(t.at, t.title) for t in plan_tickets(random.Random(seed), days, known, until=NOW, avoid_client="")]

    assert tickets(3) == tickets(3)

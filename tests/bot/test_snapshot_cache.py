"""The dashboard's recurrence report is shared between page views of one database and
roll-up run, never between databases or runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.insights.filters import Filters
from bot.insights.rollup import roll_up
from bot.insights.snapshot import build_snapshot
from models import Database
from payables.clock import fixed_clock
from tests.bot.metrics_data import MONDAY, ticket


def _report_tickets(db: Database) -> int:
    with db.session() as session:
        snapshot = build_snapshot(session, Filters(MONDAY.date(), MONDAY.date()), MONDAY + timedelta(hours=1))
    assert snapshot.recurrence is not None
    return snapshot.recurrence.total_tickets


def test_each_database_and_each_roll_up_gets_its_own_report(tmp_path: Path) -> None:
    first, second = Database(f"sqlite:///{tmp_path / 'a.db'}"), Database(f"sqlite:///{tmp_path / 'b.db'}")
    for db, tickets in ((first, 1), (second, 3)):
        with db.session() as session:
            for _ in range(tickets):
                ticket(session, created=MONDAY)
        roll_up(db, fixed_clock(MONDAY + timedelta(minutes=30)))  # run 1 in both
    assert (_report_tickets(first), _report_tickets(second)) == (1, 3)

    with first.session() as session:
        ticket(session, created=MONDAY)
    assert _report_tickets(first) == 1  # the same run: the same report
    roll_up(first, fixed_clock(MONDAY + timedelta(minutes=40)))
    assert _report_tickets(first) == 2

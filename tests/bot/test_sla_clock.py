"""The SLA clock cuts one alarm per client and hour when immediate-pay invoices near 2 hours."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.pipeline import Pipeline
from bot.sla_clock import cut_sla_alarms
from models import Ticket
from payables.clock import fixed_clock
from tests.bot.conftest import process
from tests.factories import NOW


def test_an_alarm_is_cut_once_when_the_budget_nears_and_ranks_by_its_deadline(book, triager, settings):
    with book.session() as session:
        assert cut_sla_alarms(session, now=NOW + timedelta(minutes=60)) == 0  # INV-4400: 60 min left
    soon = NOW + timedelta(minutes=95)
    with book.session() as session:
        assert cut_sla_alarms(session, now=soon) == 1
    with book.session() as session:
        assert cut_sla_alarms(session, now=soon + timedelta(minutes=1)) == 0  # the clock ticks: still one
        [alarm] = session.scalars(select(Ticket).where(Ticket.origin == "alarm"))
        assert alarm.external_key.startswith("SLA-C017-") and "invoice=INV-4400" in alarm.body
        alarm_id = alarm.id
    out, outcome = process(book, Pipeline(triager, settings, clock=fixed_clock(soon)), alarm_id)
    assert out["labels"]["cut"]["label"] == "auto" and out["route"] == "triage"
    assert "immediate-pay invoice(s)" in outcome.summary and "25 min left" in outcome.summary
    with book.session() as session:
        assert session.get(Ticket, alarm_id).deadline == NOW + timedelta(hours=2)

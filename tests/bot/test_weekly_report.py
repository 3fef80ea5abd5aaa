"""The service's scheduled jobs for managers: the metrics roll-up and the weekly
recurrence report posted to Slack with its chart (through the real slack_sdk client)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from bot.config import ReportSettings, SlackSettings, WebSettings
from bot.service import Service
from models import Database, PipelineDay, TicketFact
from payables.clock import fixed_clock
from tests.factories import NOW
from tests.fakes.slack_api import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def service(book: Database, settings, triager, slack: FakeSlack) -> Iterator[Service]:  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={
        "slack": SlackSettings(bot_token=slack.token, signing_secret=SECRET, api_url=slack.base_url),
        "web": WebSettings(port=0), "reports": ReportSettings(channel="CREPORTS", weekday="fri", hour=16)})
    svc = Service(settings, db=book, clock=fixed_clock(NOW), triager=triager)
    yield svc
    svc.stop()


def test_the_weekly_report_goes_to_its_channel_with_the_chart(service: Service, slack: FakeSlack, book: Database,
                                                              new_ticket: Callable[..., int]) -> None:
    new_ticket("why was INV-3000 not paid?")
    new_ticket("the C017 feed alarm fired again", reporter="monitoring", origin="alarm")
    service.run_once()

    file_id = service.post_recurrence_report()

    assert file_id is not None
    upload = slack.uploads[file_id]
    assert upload["channel"] == "CREPORTS"
    assert upload["bytes"][:8] == b"\x89PNG\r\n\x1a\n"
    assert "(2 tickets)" in upload["initial_comment"].splitlines()[0]
    with book.session() as session:  # it rolled the metrics up first
        assert len(list(session.scalars(select(TicketFact)))) == 2
        assert list(session.scalars(select(PipelineDay)))


def test_the_scheduler_runs_the_roll_up_and_the_weekly_report(service: Service) -> None:
    service.start(web=False)
    assert service.scheduler is not None
    rollup = service.scheduler.get_job("metrics-rollup")
    weekly = service.scheduler.get_job("recurrence-report")
    assert rollup is not None and "interval[0:10:00]" in str(rollup.trigger)
    assert weekly is not None and "day_of_week='fri'" in str(weekly.trigger) and "hour='16'" in str(weekly.trigger)


def test_no_channel_no_report(book: Database, settings, triager) -> None:  # type: ignore[no-untyped-def]
    svc = Service(settings, db=book, clock=fixed_clock(NOW), triager=triager)
    assert svc.post_recurrence_report() is None

"""End to end through Jira: the real `jira` client polling a local server that speaks the
Jira REST API v2; answers, labels and transitions written back; restarts and failures."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from bot.config import JiraSettings
from bot.service import Service
from models import Database, TicketMessage
from payables.clock import fixed_clock
from tests.factories import NOW
from tests.fakes.jira_api import FakeJira


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with FakeJira(projects=("PAY",)) as fake:
        fake.clock = lambda: NOW
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_service(book: Database, settings, triager, jira: FakeJira, sleeps) -> Callable[[], Service]:
    """A new service over the same database: calling it twice is a restart."""
    configured = settings.model_copy(update={"jira": JiraSettings(
        url=jira.url, user=jira.user, token=jira.token, jql="project = PAY", max_retries=3)})

    def make() -> Service:
        return Service(configured, db=book, clock=fixed_clock(NOW), triager=triager, jira_sleep=sleeps.append)
    return make


def ask(jira: FakeJira, key: str, text: str, reporter: str = "ana@client17.example") -> None:
    jira.add_issue(key, text[:60], text, reporter=reporter, reporter_name="Ana")


def test_a_customer_question_in_jira_is_answered_labelled_and_transitioned(jira, make_service):
    ask(jira, "PAY-1", "Hello, why was invoice INV-2291 not paid? Thanks, Ana")
    summary = make_service().run_once()
    assert summary.polled == 1 and summary.processed == 1
    [comment] = jira.comments("PAY-1")
    assert "VM-01" in comment and "What you can do:" in comment and "payops · ref payops-" in comment
    state = jira.issue_state("PAY-1")
    assert {"payops", "payops-inquiry"} <= set(state["labels"])
    assert state["status"] == "Waiting for Customer"


def test_a_restart_never_comments_twice(jira, make_service):
    ask(jira, "PAY-2", "why was INV-2291 not paid?")
    make_service().run_once()
    make_service().run_once()  # a new process: reads on from the stored cursor
    make_service().run_once()
    assert len(jira.comments("PAY-2")) == 1
    assert "updated >=" in jira.jql_queries[-1]


def test_another_clients_invoice_gets_nothing_about_it(jira, make_service):
    ask(jira, "PAY-3", "why was INV-2291 not paid?", reporter="bob@client42.example")
    make_service().run_once()
    [comment] = jira.comments("PAY-3")
    assert "There is no invoice INV-2291 visible to you." in comment
    for leak in ("C017", "VM-01", "V00777", "Bolt"):
        assert leak not in comment


def test_a_customer_reply_gets_a_new_answer_but_the_bots_own_comment_does_not(jira, make_service):
    ask(jira, "PAY-4", "why was INV-2291 not paid?")
    service = make_service()
    service.run_once()
    service.run_once()  # our comment moved `updated`: not a change
    assert len(jira.comments("PAY-4")) == 1
    jira.add_comment("PAY-4", "And what about INV-3000?", author="ana@client17.example")
    service.run_once()
    answers = [c for c in jira.comments("PAY-4") if "payops · ref" in c]
    assert len(answers) == 2 and "INV-3000" in answers[1] and "2026-12-05" in answers[1]


def test_429_and_5xx_are_retried_with_backoff(jira, make_service, sleeps):
    ask(jira, "PAY-5", "why was INV-2291 not paid?")
    jira.fail_next("/search", status=503, times=1, retry_after=None)
    jira.fail_next("/search", status=429, times=1, retry_after=3)
    make_service().run_once()
    assert sleeps == [1.0, 3.0]  # exponential from 1 s; Retry-After honoured
    assert len(jira.comments("PAY-5")) == 1


def test_a_4xx_is_reported_not_retried(jira, make_service, book, sleeps):
    ask(jira, "PAY-6", "why was INV-2291 not paid?")
    jira.fail_next("/comment", status=400, method="POST", message="Comment body is not valid")
    make_service().run_once()
    assert jira.comments("PAY-6") == [] and sleeps == []
    with book.session() as session:
        [answer] = session.scalars(select(TicketMessage).where(TicketMessage.kind == "answer"))
        assert answer.status == "failed" and "HTTP 400" in answer.error and "not valid" in answer.error


def test_a_delivery_interrupted_after_posting_is_not_posted_again(jira, make_service, book):
    ask(jira, "PAY-7", "why was INV-2291 not paid?")
    service = make_service()
    service.run_once()
    with book.session() as session:
        [answer] = session.scalars(select(TicketMessage).where(TicketMessage.kind == "answer"))
        posted_id = answer.external_id
        # As if the process died after Jira took the comment, before we recorded it, and
        # its send lease has run out.
        answer.status, answer.sent_at, answer.external_id = "sending", None, ""
        answer.next_attempt_at = NOW
    service.deliver()
    assert len(jira.comments("PAY-7")) == 1
    with book.session() as session:
        [answer] = session.scalars(select(TicketMessage).where(TicketMessage.kind == "answer"))
        assert answer.status == "sent" and answer.external_id == posted_id

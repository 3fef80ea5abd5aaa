"""End to end through Slack: signed events over HTTP to the running service, answers to a
local server speaking the Slack Web API to the real slack_sdk client."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from bot.config import SlackSettings, WebSettings
from bot.service import Service
from models import Database, Ticket
from tests.bot.test_pipeline import ALARM
from tests.factories import NOW
from tests.fakes.slack_api import FakeSlack, event_body, signed_headers, slash_command_body

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def running_clock() -> datetime:
    """NOW, moving at the speed of real time (outbox retries become due)."""
    return NOW + timedelta(seconds=time.monotonic() - _START)


_START = time.monotonic()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def service(book: Database, settings, triager, slack: FakeSlack) -> Iterator[Service]:
    settings = settings.model_copy(update={
        "slack": SlackSettings(bot_token=slack.token, signing_secret=SECRET, api_url=slack.base_url,
                               oncall_channel="CONCALL"),
        "web": WebSettings(port=0), "poll_seconds": 0.1})
    svc = Service(settings, db=book, clock=running_clock, triager=triager)
    svc.start()
    yield svc
    svc.stop()


def send(service: Service, body: str, *, content_type: str = "application/json", retry_num: int | None = None,
         secret: str = SECRET) -> requests.Response:
    headers = signed_headers(secret, body, content_type=content_type, retry_num=retry_num,
                             retry_reason="http_timeout" if retry_num else None)
    return requests.post(f"{service.url}slack/events", data=body.encode(), headers=headers, timeout=10)


def mention(text: str, *, user: str, channel: str, ts: str, event_id: str) -> str:
    return event_body({"type": "app_mention", "user": user, "text": f"<@UBOT> {text}", "ts": ts,
                       "channel": channel, "event_ts": ts}, event_id=event_id)


def thread_replies(slack: FakeSlack, thread_ts: str) -> list:
    return [c for c in slack.calls("chat.postMessage") if c.params.get("thread_ts") == thread_ts]


def text_of(call) -> str:  # type: ignore[no-untyped-def]
    return call.params.get("text", "") + json.dumps(call.params.get("blocks") or [])


def test_a_question_in_a_client_channel_is_answered_in_its_thread_with_the_rule(service, slack, caplog):
    caplog.set_level(logging.DEBUG)
    assert send(service, mention("why was INV-2291 not paid?", user="U017", channel="CC017", ts="1700.0001",
                                 event_id="Ev1")).status_code == 200
    [reply] = slack.wait_for("chat.postMessage")
    assert reply.params["channel"] == "CC017" and reply.params["thread_ts"] == "1700.0001"
    assert "VM-01" in reply.params["text"]
    kinds = [b["type"] for b in reply.params["blocks"]]
    assert kinds[0] == "section" and kinds[-1] == "context"
    assert "payops · ref payops-" in json.dumps(reply.params["blocks"], ensure_ascii=False)
    # Even at DEBUG, with slack_sdk logging its requests, no secret reaches the log.
    assert any("chat.postMessage" in r.getMessage() for r in caplog.records)
    assert slack.token not in caplog.text and SECRET not in caplog.text


def test_a_redelivered_event_gets_one_answer(service, slack, book):
    body = mention("why was INV-2291 not paid?", user="U017", channel="CC017", ts="1700.0002", event_id="Ev2")
    assert send(service, body).status_code == 200
    slack.wait_for("chat.postMessage")
    # Slack did not see our ack in time and sends it again, twice.
    assert send(service, body, retry_num=1).status_code == 200
    assert send(service, body, retry_num=2).status_code == 200
    time.sleep(1.0)
    assert len(thread_replies(slack, "1700.0002")) == 1
    with book.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.source == "slack")) == 1


def test_another_clients_invoice_is_not_shown_in_a_client_channel(service, slack):
    send(service, mention("why was INV-5001 not paid?", user="U017", channel="CC017", ts="1700.0003", event_id="Ev3"))
    [reply] = slack.wait_for("chat.postMessage")
    assert "no invoice INV-5001 visible to you" in reply.params["text"]
    for leak in ("C042", "VM-01", "V00777", "Bolt"):
        assert leak not in text_of(reply)


def test_the_channel_decides_what_a_channel_reply_may_show(service, slack):
    # An on-call engineer (who sees everything) asks in C042's channel about C017's invoice.
    send(service, mention("why was INV-2291 not paid?", user="UONCALL", channel="CC042", ts="1700.0004",
                          event_id="Ev4"))
    [reply] = slack.wait_for("chat.postMessage")
    assert "no invoice INV-2291 visible to you" in reply.params["text"] and "VM-01" not in text_of(reply)


def test_slash_invoice_answers_privately(service, slack):
    body = slash_command_body("/invoice", "INV-2291", user_id="U017", channel_id="CGENERAL",
                              response_url=slack.response_url("cmd1"), trigger_id="trig-1")
    ack = send(service, body, content_type="application/x-www-form-urlencoded")
    assert ack.status_code == 200 and "Looking up INV-2291" in ack.text
    [response] = slack.wait_for_responses()
    assert response.params["response_type"] == "ephemeral"
    assert "VM-01" in response.params["text"]
    assert slack.calls("chat.postMessage") == []  # nothing public


def test_a_direct_message_is_a_ticket_too(service, slack):
    body = event_body({"type": "message", "channel_type": "im", "user": "U042", "text": "status of INV-5001?",
                       "ts": "1700.0005", "channel": "D042", "event_ts": "1700.0005"}, event_id="Ev5")
    send(service, body)
    [reply] = slack.wait_for("chat.postMessage")
    assert reply.params["channel"] == "D042" and "VM-01" in reply.params["text"]


def test_oncall_gets_the_triage_summary_of_an_incident_in_its_channel(service, slack):
    send(service, mention(f"{ALARM[0]}\n{ALARM[1]}", user="UONCALL", channel="COPS", ts="1700.0006",
                          event_id="Ev6"))
    calls = slack.wait_for("chat.postMessage")
    [summary] = [c for c in calls if c.params["channel"] == "CONCALL"]
    assert "category incident" in summary.params["text"] and "Similar past tickets" in summary.params["text"]


def test_a_request_with_a_bad_signature_is_refused_and_recorded_nowhere(service, slack, book):
    body = mention("why was INV-2291 not paid?", user="U017", channel="CC017", ts="1700.0007", event_id="Ev7")
    assert send(service, body, secret="not-the-secret").status_code == 401
    time.sleep(0.3)
    with book.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.source == "slack")) == 0


def test_a_rate_limited_post_is_retried_and_delivered_once(service, slack):
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    send(service, mention("why was INV-2291 not paid?", user="U017", channel="CC017", ts="1700.0008", event_id="Ev8"))
    calls = slack.wait_for("chat.postMessage", count=2, timeout=15)
    assert len(thread_replies(slack, "1700.0008")) == 2  # the refused one and the delivered one
    time.sleep(0.5)
    assert len(thread_replies(slack, "1700.0008")) == 2
    assert "VM-01" in calls[-1].params["text"]

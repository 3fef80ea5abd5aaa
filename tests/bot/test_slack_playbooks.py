"""A fix proposed in on-call's Slack channel, approved with a button, applied, answered.

Signed button clicks go over HTTP to the running service; the proposal, the refusals, the
update of the proposal message and the customer's answer go to a local server speaking
the Slack Web API to the real slack_sdk client.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import PlaybookSettings, SlackSettings, WebSettings
from bot.service import Service
from models import Database, Invoice, Ticket, TicketMessage
from payables.canonical import Status
from playbooks import audit
from tests.bot.scenario import activate_vendor
from tests.bot.test_slack import SECRET, mention, running_clock, send
from tests.fakes.slack_api import FakeSlack, block_action_body

QUESTION = "why was INV-2291 not paid? Bolt GmbH says their vendor record was reactivated last week"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.usergroups = {"S0ONCALL": ["UGROUP"]}
        yield fake


def running(book: Database, settings, triager, slack: FakeSlack, tmp_path: Path,  # type: ignore[no-untyped-def]
            playbooks: PlaybookSettings) -> Iterator[Service]:
    """The service on the fixed vendor master, talking to the fake Slack."""
    activate_vendor(book, tmp_path / "fixed")
    settings = settings.model_copy(update={
        "slack": SlackSettings(bot_token=slack.token, signing_secret=SECRET, api_url=slack.base_url,
                               oncall_channel="CONCALL"),
        "playbooks": playbooks, "web": WebSettings(port=0), "poll_seconds": 0.1})
    svc = Service(settings, db=book, clock=running_clock, triager=triager)
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def service(book: Database, settings, triager, slack: FakeSlack, tmp_path: Path) -> Iterator[Service]:
    yield from running(book, settings, triager, slack, tmp_path,
                       PlaybookSettings(approvers=["UONCALL"], approver_groups=["S0ONCALL"]))


def click(service: Service, slack: FakeSlack, action: str, proposal_id: int, user: str, ts: str) -> None:
    body = block_action_body(action, str(proposal_id), user_id=user, channel_id="CONCALL", message_ts=ts,
                             response_url=slack.response_url(f"click-{user}"))
    assert send(service, body, content_type="application/x-www-form-urlencoded").status_code == 200


def wait_until(check, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def ask_and_propose(service: Service, slack: FakeSlack, book: Database, *, ts: str, event_id: str) -> int:
    """The customer asks in their channel; on-call asks for the vendor-master playbook on it."""
    send(service, mention(QUESTION, user="U017", channel="CC017", ts=ts, event_id=event_id))
    slack.wait_for("chat.postMessage")  # the customer's answer
    with book.session() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.source == "slack")).one()
        proposal = service.runner.propose(session, ticket, root_cause="vendor_master_stale")
        assert proposal is not None and proposal.state == "proposed"
        pid = proposal.id
    service.wake()
    return pid


def test_a_fix_is_approved_in_slack_applied_and_the_customer_hears_of_it(service: Service, slack: FakeSlack,
                                                                           book: Database) -> None:
    pid = ask_and_propose(service, slack, book, ts="1800.0001", event_id="EvP1")
    posted = wait_until(lambda: [c for c in slack.calls("chat.postMessage") if c.params.get("channel") == "CONCALL"
                                 and "Approve" in json.dumps(c.params.get("blocks"))])
    blocks = posted[0].params["blocks"]
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "invoice INV-2291 status: REJECTED → VALIDATED" in shown and "Blast radius" in shown
    actions = next(b for b in blocks if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == ["payops_approve", "payops_reject"]
    ts = wait_until(lambda: _sent_ts(book, pid))

    # Someone not on call, then the customer who asked: refused, each told why, privately.
    click(service, slack, "payops_approve", pid, "UMALLORY", ts)
    click(service, slack, "payops_approve", pid, "U017", ts)
    refusals = slack.wait_for("chat.postEphemeral", count=2)
    told = {c.params["user"]: c.params["text"] for c in refusals}
    assert "not on the approver list" in told["UMALLORY"]
    assert "two-person rule" in told["U017"]

    # An engineer in the on-call user group approves; a colleague clicks a moment later.
    click(service, slack, "payops_approve", pid, "UGROUP", ts)
    click(service, slack, "payops_approve", pid, "UONCALL", ts)
    late = slack.wait_for("chat.postEphemeral", count=3)[-1]
    assert late.params["user"] == "UONCALL" and "already approved by UGROUP" in late.params["text"]

    updates = wait_until(lambda: [c for c in slack.calls("chat.update") if c.params.get("ts") == ts
                                  and "Applied and verified" in json.dumps(c.params.get("blocks"))])
    assert not any(b["type"] == "actions" for b in updates[-1].params["blocks"])  # the buttons are gone
    follow_up = wait_until(lambda: [c for c in slack.calls("chat.postMessage") if c.params.get("thread_ts") ==
                                    "1800.0001" and "we have fixed what held this up" in c.params.get("text", "")])
    assert "INV-2291" in follow_up[0].params["text"] and "VM-01" not in follow_up[0].params["text"]
    with book.session() as session:
        status = session.scalars(select(Invoice.status).where(Invoice.invoice_number == "INV-2291")).one()
        assert status == Status.VALIDATED
        actions_logged = [(e.actor, e.action) for e in audit.entries(session, proposal_id=pid)]
    assert ("UMALLORY", "refused") in actions_logged and ("U017", "refused") in actions_logged
    assert ("UGROUP", "approved") in actions_logged and ("UONCALL", "refused") in actions_logged
    assert [a for _, a in actions_logged if a not in ("refused",)][-1] == "verified"
    assert [a for _, a in actions_logged].count("step_applied") == 1


def _sent_ts(book: Database, proposal_id: int) -> str | None:
    with book.session() as session:
        m = session.scalars(select(TicketMessage).where(TicketMessage.idempotency_key == f"proposal:{proposal_id}")).one()
        return m.external_id if m.status == "sent" else None


def test_reject_in_slack_leaves_everything_as_it_was(service: Service, slack: FakeSlack, book: Database) -> None:
    pid = ask_and_propose(service, slack, book, ts="1800.0002", event_id="EvP2")
    ts = wait_until(lambda: _sent_ts(book, pid))
    click(service, slack, "payops_reject", pid, "UONCALL", ts)
    rejected = wait_until(lambda: [c for c in slack.calls("chat.update") if "Rejected by UONCALL" in
                                   json.dumps(c.params.get("blocks"))])
    assert not any(b["type"] == "actions" for b in rejected[-1].params["blocks"])
    with book.session() as session:
        assert session.scalars(select(Invoice.status).where(Invoice.invoice_number == "INV-2291")).one() == "REJECTED"


@pytest.fixture
def hasty(book: Database, settings, triager, slack: FakeSlack, tmp_path: Path) -> Iterator[Service]:
    """A service whose proposals expire after about a second."""
    yield from running(book, settings, triager, slack, tmp_path,
                       PlaybookSettings(approvers=["UONCALL"], expiry_minutes=0.02))


def test_an_unanswered_proposal_expires_in_slack_and_a_late_click_is_refused(hasty: Service, slack: FakeSlack,
                                                                              book: Database) -> None:
    pid = ask_and_propose(hasty, slack, book, ts="1800.0003", event_id="EvP3")
    ts = wait_until(lambda: _sent_ts(book, pid))
    time.sleep(1.5)
    hasty.wake()  # the work loop expires it (the scheduler does so every 30 s)
    expired = wait_until(lambda: [c for c in slack.calls("chat.update") if c.params.get("ts") == ts and
                                  "Expired unanswered" in json.dumps(c.params.get("blocks"))])
    assert not any(b["type"] == "actions" for b in expired[-1].params["blocks"])
    click(hasty, slack, "payops_approve", pid, "UONCALL", ts)
    [late] = slack.wait_for("chat.postEphemeral")
    assert "expired" in late.params["text"]
    with book.session() as session:
        assert session.scalars(select(Invoice.status).where(Invoice.invoice_number == "INV-2291")).one() == "REJECTED"

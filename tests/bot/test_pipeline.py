"""The ticket pipeline on a real book of invoices: answers, privacy, links, stake."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.pipeline import Pipeline
from bot.stake import ranked
from models import Database, Ticket, TicketEvent, TicketMessage
from payables.clock import fixed_clock
from tests.bot.conftest import process
from tests.bot.scenario import activate_vendor
from tests.factories import NOW


def messages(db: Database, ticket_id: int) -> list[TicketMessage]:
    with db.session() as session:
        rows = list(session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
                                    .order_by(TicketMessage.id)))
        session.expunge_all()
        return rows


def test_an_inquiry_is_answered_with_the_rule_that_stops_the_invoice(book, pipeline, new_ticket):
    out, _ = process(book, pipeline, new_ticket("Hi, why was invoice INV-2291 not paid yet?"))
    assert out["route"] == "inquiry" and out["state"] == "answered"
    [invoice] = out["invoices"]
    assert invoice["invoice_number"] == "INV-2291" and invoice["status"] == "rejected"
    assert invoice["blocking_rules"] == ["VM-01"]
    assert invoice["expected_payment_date"] is None  # stopped: no date to promise
    assert "VM-01" in out["answer"] and "What you can do:" in out["answer"]
    [answer] = messages(book, out_ticket_id(book, out))
    assert answer.kind == "answer" and answer.destination == "local" and "VM-01" in answer.text


def out_ticket_id(db: Database, out: dict) -> int:
    with db.session() as session:
        return session.scalars(select(Ticket.id).where(Ticket.external_key == out["ticket"])).one()


def test_a_validated_invoice_gets_its_expected_payment_date(book, pipeline, new_ticket):
    out, _ = process(book, pipeline, new_ticket("When will INV-3000 be paid?"))
    [invoice] = out["invoices"]
    assert invoice["status"] == "validated" and invoice["findings"] == []
    assert invoice["expected_payment_date"] == "2026-12-05"
    assert "Expected payment date: 2026-12-05" in out["answer"]


def test_another_clients_invoice_gets_the_same_words_as_one_that_does_not_exist(book, pipeline, new_ticket):
    theirs, _ = process(book, pipeline, new_ticket("why was INV-5001 not paid?", reporter="client:C017"))
    missing, _ = process(book, pipeline, new_ticket("why was INV-9999 not paid?", reporter="client:C017"))
    assert theirs["invoices"] == [] and theirs["not_visible"] == ["INV-5001"]
    assert theirs["answer"] == missing["answer"].replace("INV-9999", "INV-5001")
    assert "There is no invoice INV-5001 visible to you." in theirs["answer"]
    for leak in ("C042", "VM-01", "Bolt", "V00777", "119.00", "rejected"):
        assert leak not in theirs["answer"]
    # Its owner sees it.
    own, _ = process(book, pipeline, new_ticket("why was INV-5001 not paid?", reporter="client:C042"))
    assert [i["invoice_number"] for i in own["invoices"]] == ["INV-5001"]


def test_close_matches_are_suggested_only_within_the_askers_clients(book, pipeline, new_ticket):
    mine, _ = process(book, pipeline, new_ticket("why was INV-2219 not paid?", reporter="client:C017"))
    assert [s["invoice_number"] for s in mine["suggestions"]] == ["INV-2291"]
    assert "Did you mean: INV-2291" in mine["answer"]
    # C042 has no INV-2291 (nor anything close): nothing is suggested, C017's invoice stays hidden.
    theirs, _ = process(book, pipeline, new_ticket("why was INV-2219 not paid?", reporter="client:C042"))
    assert theirs["suggestions"] == [] and "INV-2291" not in theirs["answer"]


def test_an_unconfigured_asker_sees_nothing(book, pipeline, new_ticket):
    out, _ = process(book, pipeline, new_ticket("why was INV-2291 not paid?", reporter="stranger"))
    assert out["invoices"] == [] and out["state"] == "awaiting_customer"
    assert "VM-01" not in out["answer"]


def test_an_invoice_that_would_now_pass_is_said_so_and_a_redrive_is_proposed(book, pipeline, new_ticket, tmp_path):
    activate_vendor(book, tmp_path / "fix")
    out, _ = process(book, pipeline, new_ticket("why was INV-2291 not paid?"))
    [invoice] = out["invoices"]
    assert invoice["would_now_pass"] and invoice["status"] == "rejected"
    assert "It would now pass" in out["answer"]
    kinds = {m.kind: m for m in messages(book, out_ticket_id(book, out))}
    assert "payops redrive INV-2291 --client C017 --vendor V00777" in kinds["redrive_proposal"].text


def test_processing_the_same_revision_twice_answers_once(book, pipeline, new_ticket):
    ticket_id = new_ticket("why was INV-2291 not paid?")
    process(book, pipeline, ticket_id)
    with book.session() as session:
        session.get(Ticket, ticket_id).state = "new"  # e.g. a replay after a crash
    process(book, pipeline, ticket_id)
    assert [m.kind for m in messages(book, ticket_id)] == ["answer"]
    with book.session() as session:
        session.get(Ticket, ticket_id).revision += 1  # the customer wrote again
        session.get(Ticket, ticket_id).state = "new"
    process(book, pipeline, ticket_id)
    assert [m.kind for m in messages(book, ticket_id)] == ["answer", "answer"]


def test_state_changes_are_recorded(book, pipeline, new_ticket):
    ticket_id = new_ticket("why was INV-2291 not paid?")
    process(book, pipeline, ticket_id)
    with book.session() as session:
        events = [(e.from_state, e.to_state) for e in session.scalars(select(TicketEvent)
                                                                       .where(TicketEvent.ticket_id == ticket_id))]
    assert events == [("new", "answered")]


ALARM = ("FEED REJECTED: C017_invoices_20261120.csv - header mismatch",
         "FEED STATUS: REJECTED\nclient: C017 (DIGITAL/DE)\nfile: C017_invoices_20261120.csv\nreason: header mismatch\n"
         "detected delimiter: ';' (expected ',')\nrows: 18,220 (none ingested)")


def test_customer_inquiries_hang_under_the_feed_incident_and_are_answered_when_it_is_fixed(
        book, pipeline, new_ticket, tmp_path):
    incident = new_ticket(ALARM[1], title=ALARM[0], reporter="monitoring", origin="alarm")
    process(book, pipeline, incident)
    inquiry = new_ticket("Hello, C017 accounts payable here. Why was INV-2291 not paid?")
    out, _ = process(book, pipeline, inquiry)
    with book.session() as session:
        child = session.get(Ticket, inquiry)
        assert child.parent_id == incident
    assert "incident on-call is already working on" in out["answer"]
    activate_vendor(book, tmp_path / "fix")
    with book.session() as session:
        followed = pipeline.resolve(session, session.get(Ticket, incident), by="ana", note="re-parsed the file")
        assert [t.id for t in followed] == [inquiry]
    follow_up = messages(book, inquiry)[-1]
    assert follow_up.kind == "follow_up"
    assert "has been fixed: re-parsed the file" in follow_up.text and "It would now pass" in follow_up.text


def test_oncall_sees_the_immediate_pay_ticket_first(book, pipeline, new_ticket):
    big = new_ticket("Please release the hold on INV-3000, the vendor is calling us", reporter="client:C017")
    urgent = new_ticket("INV-4400 is immediate pay and still not scheduled, please expedite",
                        reporter="client:C017")
    for ticket_id in (big, urgent):
        process(book, pipeline, ticket_id)
    with book.session() as session:
        order = [t.id for t in ranked(session, ("answered", "escalated", "needs_human", "awaiting_customer"))]
        assert order.index(urgent) < order.index(big)
        u = session.get(Ticket, urgent)
        assert u.immediate_invoices == 1 and u.deadline == NOW + timedelta(hours=2)


def test_a_non_inquiry_gets_labels_similar_tickets_and_an_oncall_summary(book, pipeline, new_ticket):
    out, outcome = process(book, pipeline, new_ticket(ALARM[1], title=ALARM[0], reporter="monitoring",
                                                      origin="alarm"))
    assert out["route"] == "triage"
    assert out["labels"]["category"]["label"] == "incident"
    assert outcome.summary.startswith("LOCAL-") and "Similar past tickets:" in outcome.summary
    with book.session() as session:
        [summary] = session.scalars(select(TicketMessage).where(TicketMessage.kind == "triage_summary"))
        assert summary.destination == "local"
        assert session.scalar(select(func.count()).select_from(TicketMessage)
                              .where(TicketMessage.kind == "answer")) == 0


def test_the_pipeline_uses_the_injected_clock(book, triager, settings, new_ticket):
    later = NOW + timedelta(days=3)
    pipeline = Pipeline(triager, settings, clock=fixed_clock(later))
    ticket_id = new_ticket("why was INV-2291 not paid?")
    process(book, pipeline, ticket_id)
    with book.session() as session:
        assert session.get(Ticket, ticket_id).updated_at == later




def test_a_past_due_invoice_is_expected_in_the_next_payment_run_not_in_the_past(book, triager, settings, new_ticket):
    later = NOW + timedelta(days=20)  # INV-3000 fell due on 2026-12-05
    out, _ = process(book, Pipeline(triager, settings, clock=fixed_clock(later)),
                     new_ticket("When will INV-3000 be paid?"))
    [invoice] = out["invoices"]
    assert invoice["expected_payment_date"] == later.date().isoformat()
    assert "fell due on 2026-12-05" in out["answer"]


def test_a_customer_never_hangs_under_another_clients_incident(book, pipeline, new_ticket):
    alarm = ALARM[1].replace("C017", "C042")
    incident = new_ticket(alarm, title=ALARM[0].replace("C017", "C042"), reporter="monitoring", origin="alarm")
    process(book, pipeline, incident)
    # A C017 user asks about C042's invoice (and names C042): no link, no word of the incident.
    asked = new_ticket("Hello, why was INV-5001 (client C042) not paid?", reporter="client:C017")
    out, _ = process(book, pipeline, asked)
    with book.session() as session:
        assert session.get(Ticket, asked).parent_id is None
    assert "incident" not in out["answer"] and "LOCAL-" not in out["answer"]

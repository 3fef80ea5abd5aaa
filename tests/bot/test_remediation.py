"""Playbooks inside the bot: proposed by the pipeline, shown to on-call, outcomes told to
the ticket (Jira or local) and its customer; and the `payops playbook` / `payops audit`
commands as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import PlaybookSettings
from bot.pipeline import Pipeline
from bot.remediation import BotNotifier, build_runner
from models import Database, Proposal, Ticket, TicketMessage
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from tests.bot.conftest import process
from tests.bot.scenario import activate_vendor, seed_book
from tests.factories import NOW, make_invoice, write_feed
from triage.service import create_ticket

PAYOPS = [sys.executable, "-c", "from bot.cli import main; main()"]
ASK = "why was INV-2291 not paid? Bolt GmbH says their vendor record was reactivated"


@pytest.fixture
def fixed(book: Database, tmp_path: Path) -> Database:
    activate_vendor(book, tmp_path / "fixed")
    return book


def _pipeline(triager, settings, db: Database, **playbooks) -> Pipeline:  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"playbooks": PlaybookSettings(approvers=["alice"], **playbooks)})
    clock = fixed_clock(NOW)
    return Pipeline(triager, settings, clock=clock, runner=build_runner(db, settings, clock))


def _messages(db: Database, ticket_id: int) -> list[TicketMessage]:
    with db.session() as session:
        return list(session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
                                    .order_by(TicketMessage.id)))


def test_the_pipeline_proposes_the_fix_for_a_known_root_cause(fixed, triager, settings, new_ticket):
    pipeline = _pipeline(triager, settings, fixed)
    tid = new_ticket(ASK, confirmed_root_cause="vendor_master_stale")
    process(fixed, pipeline, tid)
    with fixed.session() as session:
        [p] = session.scalars(select(Proposal).where(Proposal.ticket_id == tid)).all()
        assert (p.playbook, p.state, p.requested_by) == ("refresh_vendor_snapshot", "proposed", "client:C017")
    by_kind = {m.kind: m for m in _messages(fixed, tid)}
    assert sorted(by_kind) == ["answer", "proposal"]  # the customer's answer, and the proposal for on-call
    proposal_text = by_kind["proposal"].text
    assert "invoice INV-2291 status: REJECTED → VALIDATED" in proposal_text and "Dry run:" in proposal_text

    runner = pipeline.runner
    assert runner is not None
    assert runner.decide(p.id, "alice", approve=True).ok
    assert runner.apply(p.id).state == "verified"
    follow_up = _messages(fixed, tid)[-1]
    assert follow_up.kind == "follow_up" and "we have fixed what held this up" in follow_up.text
    assert "INV-2291" in follow_up.text and "VM-01" not in follow_up.text
    shown = [m.kind for m in _messages(fixed, tid)]
    assert shown.count("proposal") == 3  # proposed, approved, verified: one message updated in place locally


def test_a_second_question_about_the_same_invoice_hangs_under_the_fix_already_proposed(
        fixed, triager, settings, new_ticket):
    pipeline = _pipeline(triager, settings, fixed)
    runner = pipeline.runner
    assert runner is not None and isinstance(runner.notifier, BotNotifier)
    runner.notifier.on_verified = lambda session, ticket, p: pipeline.resolve(session, ticket, by="test", note=p.summary)
    first = new_ticket(ASK, confirmed_root_cause="vendor_master_stale")
    second = new_ticket("INV-2291 still not paid?? vendor is chasing", confirmed_root_cause="vendor_master_stale")
    process(fixed, pipeline, first)
    _, outcome = process(fixed, pipeline, second)
    assert "We have proposed a fix to our on-call engineers" in outcome.answer
    with fixed.session() as session:
        [p] = session.scalars(select(Proposal)).all()  # one fix for on-call to approve, not two
        child = session.get(Ticket, second)
        assert p.ticket_id == first and child is not None and child.parent_id == first
    runner.decide(p.id, "alice", approve=True)
    assert runner.apply(p.id).state == "verified"
    told = [m for m in _messages(fixed, second) if m.kind == "follow_up"]
    assert told and "has been fixed" in told[-1].text and "INV-2291" in told[-1].text


def test_a_root_cause_not_borne_out_adds_nothing_to_the_pipeline(book, triager, settings, new_ticket):
    # The vendor is still inactive: the customer is answered, no proposal, no hand-off noise.
    pipeline = _pipeline(triager, settings, book)
    tid = new_ticket(ASK, confirmed_root_cause="vendor_master_stale")
    process(book, pipeline, tid)
    with book.session() as session:
        assert session.scalars(select(Proposal)).all() == []
    assert [m.kind for m in _messages(book, tid)] == ["answer"]


def test_a_jira_ticket_gets_the_outcome_as_a_comment(fixed, triager, settings, new_ticket):
    pipeline = _pipeline(triager, settings, fixed)
    tid = new_ticket(ASK, source="jira", origin="ticket", reporter="ap@client17.example", title="INV-2291 not paid",
                     external_key="PAY-77", confirmed_root_cause="vendor_master_stale")
    process(fixed, pipeline, tid)
    with fixed.session() as session:
        pid = session.scalars(select(Proposal.id).where(Proposal.ticket_id == tid)).one()
    runner = pipeline.runner
    assert runner is not None
    runner.decide(pid, "alice", approve=True)
    runner.apply(pid)
    comments = [m for m in _messages(fixed, tid) if m.destination == "jira_comment"]
    assert comments[-1].payload == {"issue": "PAY-77"}
    assert "we have fixed what held this up" in comments[-1].text and "INV-2291" in comments[-1].text


def test_the_engine_names_the_root_cause_the_question_does_not(book, triager, settings, new_ticket, tmp_path):
    # An October invoice: no EUR rate is loaded for its date, so FX-01 holds it.
    with book.session() as session:
        ingest_file(session, write_feed(tmp_path / "october.csv", [make_invoice(
            invoice_number="INV-6100", invoice_date=date(2026, 10, 15))]), clock=fixed_clock(NOW))
    rates = tmp_path / "published-rates.csv"
    rates.write_text("currency,date,rate_to_usd\nEUR,2026-10-15,1.0712\n", encoding="utf-8")
    pipeline = _pipeline(triager, settings, book, fx_rate_file=rates)
    tid = new_ticket("Hello, why was INV-6100 not paid yet?")
    _, outcome = process(book, pipeline, tid)
    with book.session() as session:
        [p] = session.scalars(select(Proposal).where(Proposal.ticket_id == tid)).all()
        assert p.playbook == "backfill_fx_rate"
        assert p.plan["diff"][0]["subject"] == "FX rate EUR 2026-10-15"
    assert "FX-01" in outcome.answer and "We have proposed a fix to our on-call engineers" in outcome.answer


def test_shadow_mode_in_the_pipeline_records_silently(fixed, triager, settings, new_ticket):
    pipeline = _pipeline(triager, settings, fixed, modes={"refresh_vendor_snapshot": "shadow"})
    tid = new_ticket(ASK, confirmed_root_cause="vendor_master_stale")
    process(fixed, pipeline, tid)
    with fixed.session() as session:
        assert session.scalars(select(Proposal.state).where(Proposal.ticket_id == tid)).one() == "shadow"
    assert [m.kind for m in _messages(fixed, tid)] == ["answer"]  # on-call is not bothered


# -- the commands -----------------------------------------------------------------------------


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    db = Database(sqlite_url)
    seed_book(db, tmp_path / "book")
    activate_vendor(db, tmp_path / "fixed")
    with db.session() as session:
        t = create_ticket(session, title="INV-2291 not paid", body=ASK, now=NOW, source="local", reporter="carol")
        t.confirmed_root_cause = "vendor_master_stale"
        t.entities = {"invoices": ["INV-2291"]}
    db.dispose()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JIRA_", "PAYOPS_"))}
    return {**clean, "PAYOPS_DATABASE_URL": sqlite_url, "PAYOPS_NOW": NOW.isoformat(),
            "PAYOPS_PLAYBOOKS__APPROVERS": '["alice"]'}


def payops(args: list[str], env: dict[str, str], cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(PAYOPS + args, capture_output=True, text=True, env=env, cwd=cwd, timeout=180)
    assert (done.returncode == 0) == ok, done.stderr
    return done


def test_playbook_commands_plan_refuse_apply_and_audit(env, tmp_path):
    listed = json.loads(payops(["playbook", "list", "--json"], env, tmp_path).stdout)
    assert {r["root_cause"] for r in listed} == {
        "vendor_master_stale", "duplicate_suspect", "missing_fx_rate", "stuck_in_pipeline", "feed_format_error",
        "immediate_pay_sla_risk", "tax_id_invalid", "po_mismatch", "bank_details_invalid", "unknown"}
    plan = json.loads(payops(["playbook", "plan", "LOCAL-1", "--as", "carol", "--json"], env, tmp_path).stdout)
    assert (plan["playbook"], plan["state"], plan["risk"]) == ("refresh_vendor_snapshot", "proposed", "medium")
    assert plan["diff"][0]["before"] == "REJECTED" and plan["blast"]["clients"] == ["C017"]
    shown = payops(["playbook", "show", str(plan["id"])], env, tmp_path).stdout
    assert "invoice INV-2291 status: REJECTED → VALIDATED" in shown and "Blast radius: 1 invoice(s)" in shown

    refused = payops(["playbook", "apply", str(plan["id"]), "--as", "carol"], env, tmp_path, ok=False)
    assert "two-person rule" in refused.stderr
    stranger = payops(["playbook", "apply", str(plan["id"]), "--as", "mallory"], env, tmp_path, ok=False)
    assert "not on the approver list" in stranger.stderr
    done = json.loads(payops(["playbook", "apply", str(plan["id"]), "--as", "alice", "--json"], env, tmp_path).stdout)
    assert (done["state"], done["decided_by"]) == ("verified", "alice")
    again = payops(["playbook", "apply", str(plan["id"]), "--as", "alice"], env, tmp_path, ok=False)
    assert "already approved by alice" in again.stderr

    trail = json.loads(payops(["audit", "--ticket", "LOCAL-1", "--json"], env, tmp_path).stdout)
    assert [(e["actor"], e["action"]) for e in trail][:4] == [
        ("carol", "proposed"), ("carol", "refused"), ("mallory", "refused"), ("alice", "approved")]
    step = next(e for e in trail if e["action"] == "step_applied")
    assert (step["subject"], step["before"], step["after"]) == (
        "step 1/1: invoice INV-2291", {"status": "REJECTED"}, {"status": "VALIDATED"})
    text = payops(["audit", "--ticket", "LOCAL-1"], env, tmp_path).stdout
    assert "alice: approved" in text and "verified" in text


def test_playbook_commands_say_what_is_wrong(env, tmp_path):
    assert "no ticket LOCAL-99" in payops(["playbook", "plan", "LOCAL-99"], env, tmp_path, ok=False).stderr
    assert "no proposal 42" in payops(["playbook", "show", "42"], env, tmp_path, ok=False).stderr
    assert "there is no proposal 42" in payops(["playbook", "apply", "42", "--as", "alice"], env, tmp_path,
                                               ok=False).stderr
    wrong = payops(["playbook", "plan", "LOCAL-1", "--root-cause", "gremlins"], env, tmp_path, ok=False).stderr
    assert "'gremlins' is not a root cause of the taxonomy" in wrong and "missing_fx_rate" in wrong
    bad = {**env, "PAYOPS_PLAYBOOKS__AUTO_APPLY": '{"*": "whenever"}'}
    assert "risk must be one of low, medium, high" in payops(["playbook", "list"], bad, tmp_path, ok=False).stderr

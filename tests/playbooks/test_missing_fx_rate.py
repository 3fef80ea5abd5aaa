"""backfill_fx_rate, end to end through the engine and the runner.

The book has EUR rates only; the feed below brings in GBP and CHF invoices, which the
engine holds for FX-01. The rate source is a CSV file like the one the bot is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Database, FxRate, Invoice
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from playbooks import audit
from playbooks.base import PlaybookOptions
from playbooks.library.missing_fx_rate import RateFileError, RateSource
from playbooks.runner import Runner
from tests.factories import NOW, make_invoice, write_feed, write_reference
from tests.playbooks.conftest import proposal_of, propose

TUESDAY, FRIDAY, MONDAY = date(2026, 11, 10), date(2026, 11, 13), date(2026, 11, 16)
OTHER_IBAN = "DE02120300000000202051"  # valid, but not the vendor master's
RATES = "currency,date,rate_to_usd\nGBP,2026-11-10,1.2700\nGBP,2026-11-13,1.2650\nJPY,2026-11-10,0.0066\n"


def write_rates(tmp_path: Path, text: str = RATES) -> Path:
    path = tmp_path / "published_rates.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def held(book: Database, tmp_path: Path) -> Database:
    """GBP invoices of two clients on Tuesday, one on Monday (rate published the Friday
    before), one on Tuesday also held for its bank account (VM-02), and a CHF one the rate
    source never covers."""
    feed = write_feed(tmp_path / "fx.csv", [
        make_invoice(invoice_number="G-1", currency="GBP", invoice_date=TUESDAY),
        make_invoice(invoice_number="G-2", currency="GBP", invoice_date=TUESDAY, client_id="C042",
                     net_amount=Decimal("200.00"), tax_amount=Decimal("38.00"), total_amount=Decimal("238.00")),
        make_invoice(invoice_number="G-3", currency="GBP", invoice_date=MONDAY),
        make_invoice(invoice_number="G-4", currency="GBP", invoice_date=TUESDAY, vendor_iban=OTHER_IBAN,
                     net_amount=Decimal("10.00"), tax_amount=Decimal("1.90"), total_amount=Decimal("11.90")),
        make_invoice(invoice_number="F-1", currency="CHF", invoice_date=TUESDAY,
                     net_amount=Decimal("300.00"), tax_amount=Decimal("57.00"), total_amount=Decimal("357.00")),
    ])
    with book.session() as session:
        ingest_file(session, feed, clock=fixed_clock(NOW))
    numbers = ("G-1", "G-2", "G-3", "G-4", "F-1")
    assert {n: status(book, n) for n in numbers} == dict.fromkeys(numbers, "ON_HOLD")
    return book


def status(book: Database, number: str) -> str:
    with book.session() as session:
        return session.scalars(select(Invoice.status).where(Invoice.invoice_number == number)).one()


def rates(book: Database, currency: str) -> dict[date, Decimal]:
    with book.session() as session:
        return {r.date: r.rate_to_usd for r in session.scalars(select(FxRate).where(FxRate.currency == currency))}




def test_rate_source_reads_decimals_and_falls_back_to_the_last_business_day(tmp_path: Path) -> None:
    source = RateSource.read(write_rates(tmp_path))
    assert source.rate_for("GBP", TUESDAY) == (TUESDAY, Decimal("1.2700"))
    assert source.rate_for("GBP", MONDAY) == (FRIDAY, Decimal("1.2650"))  # weekend: Friday's rate
    assert source.rate_for("GBP", date(2026, 11, 25)) is None  # beyond the look-back
    assert source.rate_for("CHF", TUESDAY) is None


@pytest.mark.parametrize(("text", "problem"), [
    ("currency,day,rate\nGBP,2026-11-10,1.27\n", ":1: header lacks column date, rate_to_usd"),
    (RATES + "GBP,10/11/2026,1.27\n", ":5: date '10/11/2026' is not an ISO date"),
    (RATES + "CHF,2026-11-10,1,13\n", ":5: 4 values for 3 columns"),
    (RATES + "CHF,2026-11-10,abc\n", ":5: rate_to_usd 'abc' is not a decimal number"),
    (RATES + "CHF,2026-11-10,-1.1\n", ":5: rate_to_usd '-1.1' is not a positive number"),
    (RATES + "GBP,2026-11-10,1.30\n", ":5: GBP 2026-11-10 is 1.30 here but 1.2700 on line 2"),
])
def test_rate_source_names_file_and_line_of_a_bad_row(tmp_path: Path, text: str, problem: str) -> None:
    path = write_rates(tmp_path, text)
    with pytest.raises(RateFileError) as caught:
        RateSource.read(path)
    assert str(caught.value).startswith(str(path)) and problem in str(caught.value)


def test_backfills_the_rates_and_re_drives_every_invoice_held_for_them(
        held: Database, tmp_path: Path, make_runner: Callable[..., Runner],
        ticket_about: Callable[..., int]) -> None:
    runner = make_runner(options=PlaybookOptions(fx_rate_file=write_rates(tmp_path)))
    pid = propose(held, runner, ticket_about("missing_fx_rate", invoices=("G-1", "G-3")))
    p = proposal_of(held, pid)
    assert (p.playbook, p.state) == ("backfill_fx_rate", "proposed")
    evidence = "\n".join(p.diagnosis["evidence"])
    assert "GBP on 2026-11-10: 3 invoice(s) held (G-1, G-2, G-4)" in evidence  # G-2, G-4 were not named
    assert "published 2026-11-13, the nearest earlier business day" in evidence

    diff = p.plan["diff"]
    assert [(d["subject"], d["after"]) for d in diff if d["kind"] == "fx_rate"] == [
        ("FX rate GBP 2026-11-10", "1.2700"), ("FX rate GBP 2026-11-13", "1.2650")]
    assert sorted((d["subject"], d["before"], d["after"]) for d in diff if d["kind"] == "invoice_status") == [
        ("invoice G-1", "ON_HOLD", "VALIDATED"), ("invoice G-2", "ON_HOLD", "VALIDATED"),
        ("invoice G-3", "ON_HOLD", "VALIDATED")]
    blast = p.plan["blast"]
    assert blast["invoices"] == 4 and blast["clients"] == ["C017", "C042"]
    assert {row["invoice_number"]: (row["before"]["rules"], row["after"]["rules"]) for row in p.plan["dry_run"]} == {
        "G-1": (["FX-01"], []), "G-2": (["FX-01"], []), "G-3": (["FX-01"], []),
        "G-4": (["FX-01", "VM-02"], ["VM-02"])}  # gets its rate, but stays held for its IBAN
    assert p.moves_money and p.risk in ("medium", "high")

    assert runner.decide(pid, "alice", approve=True).ok
    p = runner.apply(pid)
    assert p.state == "verified", p.outcome
    assert rates(held, "GBP") == {TUESDAY: Decimal("1.27"), FRIDAY: Decimal("1.265")}
    assert [status(held, n) for n in ("G-1", "G-2", "G-3", "G-4", "F-1")] == ["VALIDATED"] * 3 + ["ON_HOLD"] * 2
    with held.session() as session:
        entries = audit.entries(session, proposal_id=pid)
    assert [e.action for e in entries] == ["proposed", "approved", "applying"] + ["step_applied"] * 5 + ["verified"]
    assert entries[3].subject == "step 1/5: FX rate GBP 2026-11-10"


def test_no_rate_in_the_source_hands_off_with_what_is_missing(
        held: Database, tmp_path: Path, make_runner: Callable[..., Runner],
        ticket_about: Callable[..., int]) -> None:
    runner = make_runner(options=PlaybookOptions(fx_rate_file=write_rates(tmp_path)))
    pid = propose(held, runner, ticket_about("missing_fx_rate", invoices=("F-1",)))
    p = proposal_of(held, pid)
    assert p.playbook == "hand_off"
    text = "\n".join(p.diagnosis["evidence"])
    assert "the rate source has no rate for CHF 2026-11-10" in text
    assert runner.apply(pid).state == "verified"
    assert status(held, "F-1") == "ON_HOLD" and rates(held, "CHF") == {}


def test_no_rate_source_configured_hands_off(
        held: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    pid = propose(held, runner, ticket_about("missing_fx_rate", invoices=("G-1",)))
    p = proposal_of(held, pid)
    assert p.playbook == "hand_off"
    assert "no rate source is configured (fx_rate_file)" in "\n".join(p.diagnosis["evidence"])


def test_hand_off_when_no_rate_is_missing(
        held: Database, tmp_path: Path, make_runner: Callable[..., Runner],
        ticket_about: Callable[..., int]) -> None:
    runner = make_runner(options=PlaybookOptions(fx_rate_file=write_rates(tmp_path)))
    pid = propose(held, runner, ticket_about("missing_fx_rate", invoices=("INV-3000",)))  # EUR, validated
    p = proposal_of(held, pid)
    assert p.playbook == "hand_off"
    assert "no invoice named here is on hold for a missing FX rate (FX-01)" in "\n".join(p.diagnosis["evidence"])


def test_an_invoice_moved_by_hand_after_approval_rolls_the_rates_back_too(
        held: Database, tmp_path: Path, make_runner: Callable[..., Runner],
        ticket_about: Callable[..., int]) -> None:
    runner = make_runner(options=PlaybookOptions(fx_rate_file=write_rates(tmp_path)))
    ticket = ticket_about("missing_fx_rate", invoices=("G-1", "G-3"))
    pid = propose(held, runner, ticket)
    assert runner.decide(pid, "alice", approve=True).ok
    with held.session() as session:  # someone rejects G-3 by hand meanwhile
        session.scalars(select(Invoice).where(Invoice.invoice_number == "G-3")).one().status = "REJECTED"

    p = runner.apply(pid)
    assert p.state == "rolled_back"
    assert "invoice G-3" in p.outcome and "every change was rolled back" in p.outcome
    assert rates(held, "GBP") == {}  # the rates it added are gone again
    assert [status(held, n) for n in ("G-1", "G-2", "G-3")] == ["ON_HOLD", "ON_HOLD", "REJECTED"]
    with held.session() as session:
        reverted = [e.subject for e in audit.entries(session, proposal_id=pid) if e.action == "step_reverted"]
    assert reverted == ["invoice G-2", "invoice G-1", "FX rate GBP 2026-11-13", "FX rate GBP 2026-11-10"]

    # Still diagnosable afterwards: a new ticket finds G-1 and G-2 held for the rate again.
    again = proposal_of(held, propose(held, runner, ticket_about("missing_fx_rate", invoices=("G-1",))))
    assert again.playbook == "backfill_fx_rate"
    assert sorted(d["subject"] for d in again.plan["diff"] if d["kind"] == "invoice_status") == [
        "invoice G-1", "invoice G-2"]


def test_a_rate_loaded_since_the_hold_needs_no_backfill_only_the_re_drive(
        held: Database, tmp_path: Path, runner: Runner, ticket_about: Callable[..., int]) -> None:
    with held.session() as session:  # the nightly rate load caught up (no rate source configured here)
        load_reference_dir(session, write_reference(tmp_path / "ref-gbp", fx_rates=[
            {"currency": "GBP", "date": "2026-11-13", "rate_to_usd": "1.2650"}]), NOW)
    pid = propose(held, runner, ticket_about("missing_fx_rate", invoices=("G-3",)))
    p = proposal_of(held, pid)
    assert p.playbook == "backfill_fx_rate"
    assert "GBP 2026-11-16: a rate has been loaded since the hold" in p.diagnosis["evidence"]
    assert [(d["kind"], d["subject"]) for d in p.plan["diff"]] == [("invoice_status", "invoice G-3")]
    runner.decide(pid, "alice", approve=True)
    assert runner.apply(pid).state == "verified"
    assert status(held, "G-3") == "VALIDATED" and status(held, "G-1") == "ON_HOLD"

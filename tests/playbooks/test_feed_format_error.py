"""reparse_feed: a client feed quarantined for its format is read again with its dialect."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Batch, Database, Invoice, Proposal, RawRecord
from payables.canonical import Status
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from playbooks.runner import Runner
from tests.factories import DE_IBAN, DE_VAT, NOW
from tests.playbooks.conftest import proposal_of, propose

HEADER = ("Client ID;Business Line;Country;Vendor ID;Supplier;VAT ID;IBAN;Invoice No;Invoice Date;Currency;"
          "Net;Tax;Total;Terms;PO Number")
ROWS = (
    f"C017;DIGITAL;DE;V00412;Müller GmbH;{DE_VAT};{DE_IBAN};INV-7001;2026-11-10;EUR;1.000,00;190,00;1.190,00;NET30;",
    f"C017;DIGITAL;DE;V00412;Acme GmbH;{DE_VAT};{DE_IBAN};INV-7002;2026-11-11;EUR;50,00;9,50;59,50;NET30;",
    f"C017;DIGITAL;DE;V00412;Acme GmbH;{DE_VAT};{DE_IBAN};INV-7003;12.11.2026;EUR;10,00;1,90;11,90;NET30;",
)


def write_semicolon_feed(path: Path) -> Path:
    """How a client's ERP export changed: Windows-1252, semicolons, its own column names."""
    path.write_bytes("\r\n".join((HEADER, *ROWS, "")).encode("cp1252"))
    return path


@pytest.fixture
def broken_batch(book: Database, tmp_path: Path) -> int:
    feed = write_semicolon_feed(tmp_path / "c017-2026-11-20.csv")
    with book.session() as session:
        summary = ingest_file(session, feed, clock=fixed_clock(NOW))
        batch = session.get(Batch, summary.batch_id)
        assert batch is not None and batch.header == HEADER  # kept, without its line ending
    assert summary.quarantined == 3 and summary.accepted == 0
    return summary.batch_id




def _batches(book: Database) -> int:
    with book.session() as session:
        return int(session.scalar(select(func.count(Batch.id))) or 0)


def test_reparses_a_semicolon_cp1252_feed_with_its_own_header(
        book: Database, runner: Runner, ticket_about: Callable[..., int], broken_batch: int) -> None:
    pid = propose(book, runner, ticket_about("feed_format_error", "C017 feed rejected", clients=("C017",)))
    p = proposal_of(book, pid)
    assert p.playbook == "reparse_feed" and p.state == "proposed"
    evidence = "\n".join(p.diagnosis["evidence"])
    assert "delimiter ';' instead of ','" in evidence
    assert "encoding cp1252 instead of UTF-8: 1 line(s) with bytes that are not UTF-8 (e.g. 'Müller GmbH')" in evidence
    assert "header read as canonical fields: 'Client ID' as client_id," in evidence
    assert "'Invoice No' as invoice_number" in evidence and "'Supplier' as vendor_name" in evidence
    assert "decimal comma" in evidence
    facts = p.diagnosis["facts"]
    assert facts["batch_id"] == broken_batch
    assert facts["counts"] == {"accepted": 2, "rejected": 0, "on_hold": 0, "quarantined": 1}
    verdicts = {r["line"]: r for r in facts["rows"]}
    assert verdicts[2]["invoice_number"] == "INV-7001" and verdicts[2]["total_amount"] == "1190.00"
    assert "invoice_date" in verdicts[4]["reason"]
    assert p.plan["dry_run"] == [] and p.moves_money and p.risk != "low"

    assert runner.decide(pid, "alice", approve=True).ok
    done = runner.apply(pid)
    assert done.state == "verified", done.outcome

    with book.session() as session:
        new = session.scalars(select(Batch).where(Batch.id != broken_batch).order_by(Batch.id.desc())).first()
        assert new is not None and new.source_name.startswith(f"reparse of batch {broken_batch}")
        assert (new.received, new.accepted, new.quarantined) == (3, 2, 1)
        müller = session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-7001")).one()
        assert müller.vendor_name == "Müller GmbH" and müller.batch_id == new.id
        assert (müller.net_amount, müller.tax_amount, müller.total_amount) == (
            Decimal("1000.00"), Decimal("190.00"), Decimal("1190.00"))
        assert müller.status == Status.VALIDATED
        acme = session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-7002")).one()
        assert acme.total_amount == Decimal("59.50")
        bad = session.scalars(select(RawRecord).where(RawRecord.batch_id == new.id,
                                                      RawRecord.outcome == "quarantined")).one()
        assert "INV-7003" in bad.raw and "12.11.2026" in bad.raw and "invoice_date" in (bad.reason or "")
        # The received batch keeps its rows as they came.
        old = session.get(Batch, broken_batch)
        assert old is not None and old.quarantined == 3


def test_applying_again_or_proposing_again_ingests_once(
        book: Database, runner: Runner, ticket_about: Callable[..., int], broken_batch: int) -> None:
    pid = propose(book, runner, ticket_about("feed_format_error", clients=("C017",)))
    runner.decide(pid, "alice", approve=True)
    assert runner.apply(pid).state == "verified"
    batches = _batches(book)
    assert runner.apply(pid).state == "verified"
    assert runner.run_due() == 0
    second = proposal_of(book, propose(book, runner, ticket_about("feed_format_error", clients=("C017",))))
    assert second.playbook == "hand_off"
    assert any("already re-parsed as batch" in line for line in second.diagnosis["evidence"])
    assert _batches(book) == batches
    with book.session() as session:
        assert session.scalar(select(func.count(Invoice.id)).where(Invoice.invoice_number == "INV-7001")) == 1


def test_a_batch_named_by_id_is_found_too(
        book: Database, runner: Runner, ticket_about: Callable[..., int], broken_batch: int) -> None:
    p = proposal_of(book, propose(book, runner, ticket_about("feed_format_error", batch_ids=[broken_batch])))
    assert p.playbook == "reparse_feed" and p.diagnosis["facts"]["batch_id"] == broken_batch


def test_a_batch_without_quarantine_goes_to_a_person(
        book: Database, runner: Runner, ticket_about: Callable[..., int]) -> None:
    p = proposal_of(book, propose(book, runner, ticket_about("feed_format_error", clients=("C017",))))
    assert p.playbook == "hand_off"
    assert any("no batch of C017 has quarantined rows" in line for line in p.diagnosis["evidence"])


@pytest.mark.parametrize("what", ["gone", "changed"])
def test_a_file_that_is_gone_or_changed_is_read_from_the_header_and_rows_kept_with_the_batch(
        book: Database, runner: Runner, ticket_about: Callable[..., int], broken_batch: int,
        tmp_path: Path, what: str) -> None:
    feed = tmp_path / "c017-2026-11-20.csv"
    if what == "gone":
        feed.unlink()
    else:
        feed.write_bytes(feed.read_bytes() + b"C017;DIGITAL;DE;V00412;Late row\r\n")
    pid = propose(book, runner, ticket_about("feed_format_error", clients=("C017",)))
    p = proposal_of(book, pid)
    assert p.playbook == "reparse_feed", p.diagnosis
    evidence = "\n".join(p.diagnosis["evidence"])
    assert ("no longer there" if what == "gone" else "has changed since batch") in evidence
    assert "read from its header line and the 3 quarantined row(s) kept with it" in evidence
    # The bytes that were not UTF-8 come back as received: the encoding is still recognised.
    assert "encoding cp1252 instead of UTF-8: 1 line(s) with bytes that are not UTF-8 (e.g. 'Müller GmbH')" in evidence
    assert p.diagnosis["facts"]["counts"] == {"accepted": 2, "rejected": 0, "on_hold": 0, "quarantined": 1}

    assert runner.decide(pid, "alice", approve=True).ok
    assert runner.apply(pid).state == "verified"
    with book.session() as session:
        müller = session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-7001")).one()
        assert müller.vendor_name == "Müller GmbH" and müller.total_amount == Decimal("1190.00")


def test_a_file_removed_between_plan_and_apply_rebuilds_the_same_rows(
        book: Database, runner: Runner, ticket_about: Callable[..., int], broken_batch: int,
        tmp_path: Path) -> None:
    pid = propose(book, runner, ticket_about("feed_format_error", clients=("C017",)))
    (tmp_path / "c017-2026-11-20.csv").unlink()
    runner.decide(pid, "alice", approve=True)
    assert runner.apply(pid).state == "verified"
    with book.session() as session:
        assert session.scalars(select(Invoice).where(Invoice.invoice_number == "INV-7001")).one().vendor_name == (
            "Müller GmbH")


def test_a_file_that_is_gone_from_a_batch_without_its_header_goes_to_a_person(
        book: Database, runner: Runner, ticket_about: Callable[..., int], broken_batch: int,
        tmp_path: Path) -> None:
    with book.session() as session:  # ingested before batches kept their header line
        batch = session.get(Batch, broken_batch)
        assert batch is not None
        batch.header = None
    (tmp_path / "c017-2026-11-20.csv").unlink()
    p = proposal_of(book, propose(book, runner, ticket_about("feed_format_error", clients=("C017",))))
    assert p.playbook == "hand_off"
    assert any("no longer there" in line and "keeps no header line" in line for line in p.diagnosis["evidence"])


def test_rows_quarantined_for_their_content_are_not_a_format_error(
        book: Database, runner: Runner, ticket_about: Callable[..., int], tmp_path: Path) -> None:
    canonical = ("client_id,business_line,geography,vendor_id,vendor_name,vendor_tax_id,vendor_iban,invoice_number,"
                 "invoice_date,currency,net_amount,tax_amount,total_amount,payment_terms,po_number\n"
                 f"C017,DIGITAL,DE,V00412,Acme GmbH,{DE_VAT},{DE_IBAN},INV-8001,12.11.2026,EUR,10.00,1.90,11.90,"
                 "NET30,\n")
    (tmp_path / "ok.csv").write_text(canonical, encoding="utf-8")
    with book.session() as session:
        assert ingest_file(session, tmp_path / "ok.csv", clock=fixed_clock(NOW)).quarantined == 1
    p = proposal_of(book, propose(book, runner, ticket_about("feed_format_error", files=["ok.csv"])))
    assert p.playbook == "hand_off"
    assert any("quarantined for their content" in line for line in p.diagnosis["evidence"])


def test_a_failed_verification_holds_the_reparsed_invoices(
        book: Database, runner: Runner, ticket_about: Callable[..., int], broken_batch: int) -> None:
    pid = propose(book, runner, ticket_about("feed_format_error", clients=("C017",)))
    with book.session() as session:  # the diagnosis mispredicted what the engine quarantines
        p = session.get(Proposal, pid)
        assert p is not None
        plan = dict(p.plan)
        plan["changes"] = [{**plan["changes"][0], "expect_quarantined": 0}]
        p.plan = plan
    runner.decide(pid, "alice", approve=True)
    failed = runner.apply(pid)
    assert failed.state == "failed"
    assert "reparsed invoices held for review" in failed.outcome
    with book.session() as session:
        for number in ("INV-7001", "INV-7002"):
            inv = session.scalars(select(Invoice).where(Invoice.invoice_number == number)).one()
            assert inv.status == Status.ON_HOLD

"""The demo data set: the reference data and feeds `payops demo-data` writes."""

from __future__ import annotations

import csv
import json
import warnings
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from schwifty.exceptions import NationalChecksumNotVerified

from payables.canonical import BUSINESS_LINES, FIELDS
from payables.demo_data import QUARANTINE, DemoSummary, write_demo_data
from payables.formats import read_feed
from payables.rules.base import Severity
from payables.rules.codes import minor_unit
from payables.rules.idcheck import iban_problem, is_iban_country, tax_id_problem
from payables.rules.registry import default_ruleset

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoSummary, Path]:
    out = tmp_path_factory.mktemp("demo")
    return write_demo_data(out, today=TODAY), out


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def feed_records(out: Path) -> list[tuple[str, int, object]]:
    """(file, line, record) for every record of every feed file, as the engine reads them."""
    found = []
    for path in sorted((out / "feeds").iterdir()):
        for record in read_feed(path, path.read_bytes()).records:
            found.append((f"feeds/{path.name}", record.line_no, record))
    return found


def catalogue_ids() -> set[str]:
    """Rule catalogue v1 minus SLA-01, which only the clock can break."""
    rules = default_ruleset().rules
    return {r.id for r in rules if not r.ubl_only and r.severity != Severity.INCIDENT}


def test_reference_files_have_the_contract_columns(demo):
    _summary, out = demo
    assert read_csv(out / "clients.csv")[0] == ["client_id", "name", "business_line", "geographies"]
    assert read_csv(out / "vendors.csv")[0] == ["vendor_id", "name", "country", "tax_id", "iban", "status"]
    assert read_csv(out / "purchase_orders.csv")[0] == [
        "po_number", "client_id", "vendor_id", "currency", "amount", "status"]
    assert read_csv(out / "fx_rates.csv")[0] == ["currency", "date", "rate_to_usd"]


def test_feed_files_are_canonical_csv_and_json_lines(demo):
    summary, out = demo
    paths = sorted((out / "feeds").iterdir())
    assert len(paths) == summary.feed_files >= 80
    assert {p.suffix for p in paths} == {".csv", ".jsonl"}
    for path in paths:
        client, _, day = path.stem.partition("-")
        assert len(client) == 4 and client.startswith("C") and date.fromisoformat(day) <= TODAY
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".csv":
            assert text.splitlines()[0] == ",".join(FIELDS)
        else:
            first = json.loads(text.splitlines()[0])
            assert tuple(first) == FIELDS and all(isinstance(v, str) for v in first.values())


def test_eighty_clients_over_the_five_business_lines(demo):
    summary, out = demo
    _, clients = read_csv(out / "clients.csv")
    _, vendors = read_csv(out / "vendors.csv")
    assert summary.clients == len(clients) == 80
    assert [c["client_id"] for c in clients] == [f"C{i:03d}" for i in range(1, 81)]
    lines = Counter(c["business_line"] for c in clients)
    assert set(lines) == BUSINESS_LINES and min(lines.values()) >= 10
    countries = {v["country"] for v in vendors}
    for client in clients:
        assert client["name"] and set(client["geographies"].split()) <= countries


def test_vendors_span_at_least_twelve_countries_with_plausible_names(demo):
    summary, out = demo
    _, vendors = read_csv(out / "vendors.csv")
    assert summary.vendors == len(vendors) and summary.vendor_countries == len({v["country"] for v in vendors}) >= 12
    assert len({v["vendor_id"] for v in vendors}) == len(vendors)
    assert len({v["name"] for v in vendors}) == len(vendors)
    by_country = {v["country"]: v["name"] for v in vendors}
    assert by_country["DE"].endswith(("GmbH", "AG", "KG")) and by_country["JP"]
    assert Counter(v["status"] for v in vendors).keys() == {"active", "inactive", "blocked"}


def test_valid_vendor_ids_validate_and_a_realistic_share_is_broken(demo):
    summary, out = demo
    _, vendors = read_csv(out / "vendors.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NationalChecksumNotVerified)  # SE: schwifty has no algorithm
        bad_tax = [v for v in vendors if tax_id_problem(v["country"], v["tax_id"])]
        bad_iban = {v["vendor_id"]: iban_problem(v["iban"]) for v in vendors if v["iban"] and iban_problem(v["iban"])}
    for vendor in vendors:
        assert vendor["tax_id"], vendor
        assert bool(vendor["iban"]) == is_iban_country(vendor["country"]), vendor
    assert len(bad_tax) == summary.vendor_flaws["tax_id"]
    assert len(bad_iban) == summary.vendor_flaws["iban"]
    assert 0.02 <= len(bad_tax) / len(vendors) <= 0.04
    assert 0.01 <= len(bad_iban) / len(vendors) <= 0.03
    assert all("check digit" in (tax_id_problem(v["country"], v["tax_id"]) or "") for v in bad_tax)
    reasons = set(bad_iban.values())
    assert "its check digits are wrong" in reasons
    assert "the national account check digits inside it are wrong" in reasons
    assert not {v["vendor_id"] for v in bad_tax} & set(bad_iban)


def test_every_feed_row_parses_except_the_deliberately_bad_ones(demo):
    summary, out = demo
    records = feed_records(out)
    assert len(records) == summary.invoices == 6000
    errors = {(f, line) for f, line, r in records if r.error}  # type: ignore[attr-defined]
    bad = {(f.file, f.line) for f in summary.failures if f.rule == QUARANTINE}
    assert errors == bad and len(bad) == summary.unparseable >= 6
    reasons = " ".join(r.error for _, _, r in records if r.error)  # type: ignore[attr-defined]
    assert "is not a decimal amount" in reasons and "is not an ISO date" in reasons
    assert "fields but the header has" in reasons and "not valid JSON" in reasons


def test_clean_rows_add_up_and_are_recent(demo):
    summary, out = demo
    deliberate = {(f.file, f.line) for f in summary.failures}
    clean = [r.invoice for f, line, r in feed_records(out) if (f, line) not in deliberate]  # type: ignore[attr-defined]
    assert len(clean) == summary.invoices - len(summary.failures)
    for inv in clean:
        assert inv.net_amount + inv.tax_amount == inv.total_amount, inv
        assert inv.total_amount.as_tuple().exponent == minor_unit(inv.currency).as_tuple().exponent
        assert TODAY - timedelta(days=60) <= inv.invoice_date <= TODAY, inv
        if inv.business_line in ("RETAIL", "LOGISTICS"):
            assert inv.po_number, inv
    terms = Counter(inv.payment_terms for inv in clean)
    assert terms["IMMEDIATE"] >= 100 and len(terms) == 7
    assert summary.immediate >= terms["IMMEDIATE"]
    assert len({inv.currency for inv in clean}) >= 8


def test_every_catalogue_rule_is_broken_somewhere_at_a_realistic_rate(demo):
    summary, _out = demo
    assert summary.targeted_rules == catalogue_ids()
    assert 0.05 <= len(summary.failures) / summary.invoices <= 0.10
    by_rule = summary.by_rule()
    assert all(by_rule[rule] >= 2 for rule in catalogue_ids())
    dup = [f for f in summary.failures if f.rule == "DUP-01"]
    assert all(f.note.startswith("resend of") and f.note.split(" from ")[1] < f.file for f in dup)


def test_reference_amounts_and_rates_are_decimal_text(demo):
    summary, out = demo
    _, pos = read_csv(out / "purchase_orders.csv")
    _, rates = read_csv(out / "fx_rates.csv")
    assert summary.purchase_orders == len(pos) and summary.fx_rates == len(rates)
    assert all(Decimal(p["amount"]) > 0 and "E" not in p["amount"] for p in pos)
    assert Counter(p["status"] for p in pos)["closed"] >= 10
    assert all(Decimal(r["rate_to_usd"]) > 0 for r in rates)
    assert len({p["po_number"] for p in pos}) == len(pos)


def test_fx_rates_are_business_days_with_one_gap(demo):
    _summary, out = demo
    _, rates = read_csv(out / "fx_rates.csv")
    days: dict[str, set[date]] = {}
    for r in rates:
        days.setdefault(r["currency"], set()).add(date.fromisoformat(r["date"]))
    assert all(d.weekday() < 5 for ds in days.values() for d in ds)
    assert min(days["EUR"]) <= TODAY - timedelta(days=65) and max(days["EUR"]) <= TODAY
    short = [c for c, ds in days.items() if len(ds) < len(days["EUR"])]
    assert len(short) == 1 and len(days["EUR"]) - len(days[short[0]]) >= 3


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    first = write_demo_data(tmp_path / "a", today=TODAY, seed=11, invoices=600)
    second = write_demo_data(tmp_path / "b", today=TODAY, seed=11, invoices=600)
    other = write_demo_data(tmp_path / "c", today=TODAY, seed=12, invoices=600)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == first.feed_files + 5  # four reference files and the rate source
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert first.failures == second.failures and first.invoices == 600
    assert (tmp_path / "a" / "vendors.csv").read_bytes() != (tmp_path / "c" / "vendors.csv").read_bytes()
    assert other.targeted_rules == first.targeted_rules


def test_too_few_invoices_to_break_every_rule_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least"):
        write_demo_data(tmp_path, today=TODAY, invoices=50)


def test_ingesting_the_demo_fires_every_rule_where_it_was_planted(db, tmp_path):
    from sqlalchemy import select

    from models import Batch, Finding, RawRecord
    from payables.clock import fixed_clock
    from payables.ingest import ingest_file
    from payables.reference.loader import load_reference_dir

    summary = write_demo_data(tmp_path / "demo", today=TODAY, invoices=1200)
    clock = fixed_clock(datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC))
    with db.session() as session:
        load_reference_dir(session, tmp_path / "demo", clock())
    for path in sorted((tmp_path / "demo" / "feeds").iterdir()):
        with db.session() as session:
            ingest_file(session, path, clock=clock)
    with db.session() as session:
        rows = session.execute(select(Batch.source_name, RawRecord.line_no, RawRecord.outcome, RawRecord.id)
                               .join(Batch, Batch.id == RawRecord.batch_id)).all()
        findings = session.execute(select(Finding.raw_record_id, Finding.rule)).all()  # at ingestion
    rules_of: dict[int, set[str]] = {}
    for raw_id, rule in findings:
        rules_of.setdefault(raw_id, set()).add(rule)
    planted = {(f.file, f.line): f.rule for f in summary.failures}
    assert len(rows) == summary.invoices
    fired: set[str] = set()
    for source, line, outcome, raw_id in rows:
        target = planted.get((f"feeds/{Path(source).name}", line))
        found = rules_of.get(raw_id, set())
        fired |= found
        if target is None:
            assert outcome == "accepted" and not found, (source, line, found)
        elif target == QUARANTINE:
            assert outcome == "quarantined", (source, line)
        else:
            assert target in found, (source, line, target, found)
    assert catalogue_ids() <= fired


def test_the_rate_source_has_the_week_the_loaded_rates_lack(tmp_path):
    write_demo_data(tmp_path, today=TODAY, seed=11, invoices=600)
    _, loaded = read_csv(tmp_path / "fx_rates.csv")
    _, published = read_csv(tmp_path / "rate-source" / "published-rates.csv")
    missing = {(r["currency"], r["date"]) for r in published} - {(r["currency"], r["date"]) for r in loaded}
    assert missing and {currency for currency, _ in missing} == {"SEK"}  # FX-01 fires for those days
    assert {tuple(r.values()) for r in loaded} <= {tuple(r.values()) for r in published}  # same rates otherwise

"""The payops command line, run as a user runs it: the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import VENDOR_ROW, make_invoice, write_feed, write_reference

PAYOPS = [sys.executable, "-c", "from bot.cli import main; main()"]


def run(args: list[str], db_url: str, *, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAYOPS_DATABASE_URL": db_url, "PAYOPS_NOW": "2026-11-20T09:00:00+00:00"}
    done = subprocess.run(PAYOPS + args, capture_output=True, text=True, env=env, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    return write_feed(
        tmp_path / "c017.csv",
        [make_invoice(), make_invoice(invoice_number="INV-2292", vendor_tax_id="DE136695977",
                                      invoice_date=make_invoice().invoice_date.replace(day=3))],
        extra_lines=["C017,DIGITAL,DE,V00412,Acme,,,INV-9,2026-11-02,EUR,1O.00,1.90,11.90,NET30,"],
    )


def test_ingest_json_reports_the_batch_and_the_second_run_changes_nothing(sqlite_url, feed):
    first = json.loads(run(["ingest", str(feed), "--json"], sqlite_url).stdout)
    assert {k: first[k] for k in ("received", "accepted", "rejected", "on_hold", "quarantined",
                                  "duplicates_skipped")} == {
        "received": 3, "accepted": 1, "rejected": 1, "on_hold": 0, "quarantined": 1, "duplicates_skipped": 0}
    second = json.loads(run(["ingest", str(feed), "--json"], sqlite_url).stdout)
    assert second["already_ingested"] is True and second["duplicates_skipped"] == 3
    assert second["accepted"] == 0


def test_validate_stores_nothing_says_what_was_skipped_and_fails_on_rejects(sqlite_url, feed, tmp_path):
    done = run(["validate", str(feed), "--json"], sqlite_url, ok=False)
    assert done.returncode == 1
    rows = json.loads(done.stdout)
    by_number = {r["invoice_number"]: r for r in rows}
    assert by_number["INV-2291"]["status"] == "validated"
    assert [f["rule"] for f in by_number["INV-2292"]["findings"]] == ["TAX-01"]
    skipped = {s["rule"]: s["reason"] for s in by_number["INV-2291"]["skipped_rules"]}
    assert skipped["VM-01"] == "vendor master not loaded" and "FX-01" in skipped
    quarantined = [r for r in rows if r["status"] == "quarantined"]
    assert len(quarantined) == 1 and "net_amount" in quarantined[0]["quarantine_reason"]
    listed = json.loads(run(["invoices", "--json"], sqlite_url).stdout)
    assert listed == []


def test_validate_runs_reference_rules_once_reference_is_loaded(sqlite_url, feed, tmp_path):
    ref = write_reference(tmp_path / "ref", vendors=[{**VENDOR_ROW, "status": "inactive"}])
    run(["reference", "load", str(ref)], sqlite_url)
    rows = json.loads(run(["validate", str(feed), "--json"], sqlite_url, ok=False).stdout)
    first = next(r for r in rows if r["invoice_number"] == "INV-2291")
    assert "VM-01" in {f["rule"] for f in first["findings"]}
    assert "VM-01" not in {s["rule"] for s in first["skipped_rules"]}


def test_explain_and_invoices_filters(sqlite_url, feed):
    run(["ingest", str(feed)], sqlite_url)
    explained = json.loads(run(["explain", "INV-2292", "--json"], sqlite_url).stdout)
    assert explained["status"] == "rejected"
    assert [f["rule"] for f in explained["findings"]] == ["TAX-01"]
    assert explained["expected_payment_date"] is None
    ok = json.loads(run(["explain", "INV-2291", "--client", "C017", "--json"], sqlite_url).stdout)
    assert ok["status"] == "validated" and ok["expected_payment_date"] == "2026-12-02"
    rejected = json.loads(run(["invoices", "--status", "rejected", "--json"], sqlite_url).stdout)
    assert [r["invoice_number"] for r in rejected] == ["INV-2292"]
    by_rule = json.loads(run(["invoices", "--rule", "TAX-01", "--json"], sqlite_url).stdout)
    assert [(r["invoice_number"], r["status"]) for r in by_rule] == [("INV-2292", "rejected")]
    assert json.loads(run(["invoices", "--client", "C999", "--json"], sqlite_url).stdout) == []


def test_explain_unknown_invoice_is_a_clear_error(sqlite_url):
    done = run(["explain", "INV-404"], sqlite_url, ok=False)
    assert done.returncode == 2 and "no invoice INV-404" in done.stderr


def test_rules_filter_by_geography_and_business_line(sqlite_url):
    de_retail = {r["id"] for r in json.loads(run(["rules", "--geography", "DE", "--business-line", "RETAIL",
                                                    "--json"], sqlite_url).stdout)}
    in_cloud = {r["id"] for r in json.loads(run(["rules", "--geography", "IN", "--business-line", "CLOUD",
                                                   "--json"], sqlite_url).stdout)}
    assert {"EU-01", "PO-01", "PO-02"} <= de_retail and "IN-01" not in de_retail
    assert "IN-01" in in_cloud and not {"EU-01", "PO-01"} & in_cloud
    rows = json.loads(run(["rules", "--json"], sqlite_url).stdout)
    sources = {r["id"]: r["source"] for r in rows}
    assert sources["TOT-01"] == "payops" and sources["BR-CO-15"] == "EN16931"
    assert all({"id", "severity", "applies_to", "source"} <= set(r) for r in rows)


def test_bad_reference_file_names_file_line_and_column_and_loads_nothing(sqlite_url, tmp_path):
    ref = write_reference(tmp_path / "ref", vendors=[VENDOR_ROW, {**VENDOR_ROW, "vendor_id": "V2",
                                                                  "status": "sleeping"}])
    done = run(["reference", "load", str(ref)], sqlite_url, ok=False)
    assert done.returncode == 2
    assert "vendors.csv:3: column status: 'sleeping' is not one of" in done.stderr
    rows = json.loads(run(["validate", str(write_feed(tmp_path / "f.csv", [make_invoice()])), "--json"],
                          sqlite_url).stdout)
    assert "VM-01" in {s["rule"] for s in rows[0]["skipped_rules"]}  # nothing was loaded


def test_every_command_has_help():
    for args in (["--help"], ["ingest", "--help"], ["validate", "--help"], ["explain", "--help"],
                 ["invoices", "--help"], ["rules", "--help"], ["reference", "load", "--help"],
                 ["db", "upgrade", "--help"], ["demo-data", "--help"], ["demo", "--help"]):
        done = subprocess.run(PAYOPS + args, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "Usage:" in done.stdout, args


def test_a_ubl_invoice_is_ingested_for_the_client_given_and_explained(sqlite_url):
    example = Path(__file__).parents[1] / "data/conformance/peppol-bis-invoice-3/rules/examples/base-example.xml"
    summary = json.loads(run(["ingest", str(example), "--client", "C017", "--business-line", "digital", "--json"],
                             sqlite_url).stdout)
    assert summary["format"] == "ubl" and summary["received"] == 1
    explained = json.loads(run(["explain", "Snippet1", "--json"], sqlite_url).stdout)
    assert explained["client_id"] == "C017" and explained["total_amount"] == "1656.25"
    rules = {f["rule"] for f in explained["findings"]}
    assert "DATE-01" in rules and "REQ-01" not in rules  # the business line came from --business-line

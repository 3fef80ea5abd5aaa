"""payops ticket / tickets / triage commands, in process (the model loads once)."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner

from bot.cli.app import cli


@pytest.fixture
def payops(sqlite_url, model_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PAYOPS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PAYOPS_MODEL_DIR", str(model_path))
    monkeypatch.setenv("PAYOPS_NOW", "2026-11-20T09:00:00+00:00")
    runner = CliRunner()

    def run(*args: str, input: str | None = None, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def test_a_new_ticket_is_queued_labelled_and_mined_for_entities(payops):
    out = json.loads(payops("ticket", "new", "--title", "why wasn't INV-2291 paid?", "--json",
                            input="Hi, invoice INV-2291 from V00412 for C017 (1.234,50 EUR) is still not paid.\n").stdout)
    assert out["key"] == "LOCAL-1" and out["state"] in ("answered", "awaiting_customer", "needs_human")
    assert set(out["labels"]) == {"cut", "category", "root_cause"}
    assert out["labels"]["cut"]["label"] == "customer"
    assert "INV-2291" in out["entities"]["invoices"] and "C017" in out["entities"]["clients"]
    assert len(out["similar"]) == 5 and all("resolution" in s for s in out["similar"])
    listed = json.loads(payops("tickets", "--json").stdout)
    assert [t["key"] for t in listed] == ["LOCAL-1"]


def test_correct_confirms_labels_and_tickets_filters_by_them(payops):
    payops("ticket", "new", "--title", "IBAN rejected", "--body", "bank says the IBAN is wrong", "--no-triage")
    done = payops("triage", "correct", "LOCAL-1", "--category", "data_fix", "--root-cause",
                  "bank_details_invalid", "--by", "ana")
    assert "root_cause - -> bank_details_invalid (by ana)" in done.output
    rows = json.loads(payops("tickets", "--root-cause", "bank_details_invalid", "--json").stdout)
    assert [r["labels"]["category"] for r in rows] == ["data_fix"]
    assert json.loads(payops("tickets", "--root-cause", "missing_fx_rate", "--json").stdout) == []
    bad = payops("triage", "correct", "LOCAL-9", "--category", "other", ok=False)
    assert bad.exit_code != 0 and "no ticket LOCAL-9" in bad.output


def test_eval_prints_the_figures_per_label(payops, tmp_path, corpus):
    data = tmp_path / "eval.jsonl"
    data.write_text("\n".join(json.dumps({"title": t.title, "body": t.body, **t.labels}) for t in corpus[::50]))
    report = json.loads(payops("triage", "eval", "--data", str(data), "--json").stdout)
    assert set(report) == {"cut", "category", "root_cause"}
    for figures in report.values():
        assert {"accuracy", "macro_f1", "coverage", "precision_when_answered"} <= set(figures)


def test_train_csv_cross_validates_a_gzipped_csv(payops, tmp_path):
    rows = ["Document,Topic_group"]
    for i in range(30):
        rows += [f"printer {i} jammed paper tray,Hardware", f"grant access shared drive {i},Access",
                 f"laptop {i} screen broken,Hardware", f"need permission folder {i},Access"]
    path = tmp_path / "tickets.csv.gz"
    path.write_bytes(gzip.compress("\n".join(rows).encode()))
    report = json.loads(payops("triage", "train-csv", str(path), "--text-col", "Document", "--label-col",
                               "Topic_group", "--no-embeddings", "--json").stdout)
    assert report["rows"] == 120 and report["folds"] == 5 and report["macro_f1"] > 0.9
    missing = payops("triage", "train-csv", str(path), "--text-col", "Text", "--label-col", "Topic_group",
                     ok=False)
    assert "no column 'Text'" in missing.output

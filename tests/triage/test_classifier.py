"""The classifier: labels with calibrated confidence, abstaining below its threshold."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from triage import model_store
from triage.classifier import choose_threshold
from triage.corpus import CorpusError, LabeledTicket, load_jsonl
from triage.labels import HEADS, VALUES
from triage.training import evaluate


def test_the_bundled_corpus_is_big_and_covers_every_label(corpus):
    assert len(corpus) >= 2000
    for head in HEADS:
        counts = Counter(t.labels[head] for t in corpus)
        assert set(counts) == set(VALUES[head]), head
        assert min(counts.values()) >= 30, (head, counts)


def test_a_malformed_corpus_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = {"title": "t", "body": "b", "cut": "auto", "category": "incident", "root_cause": "unknown"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "category": "incidnet"}) + "\n")
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: field category: 'incidnet' is not a category"):
        load_jsonl(path)


def test_choose_threshold_reaches_the_precision_with_most_coverage():
    confidences = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    correct = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    threshold, met = choose_threshold(confidences, correct, 1.0)
    assert threshold == pytest.approx(0.2) and met["coverage"] == pytest.approx(10 / 12)
    never, _ = choose_threshold(confidences, ~correct, 0.9)
    assert never > 1.0  # a precision that cannot be met means always asking a person


def test_predictions_carry_a_label_a_confidence_and_the_abstain_flag(trained, embedder):
    texts = ["ALARM: immediate-pay invoice INV-88 for C017 not scheduled, SLA-01 clock at 1h55m",
             "hi, could someone reset my password for the payops dashboard? thx"]
    out = trained.classifier.predict(texts, embedder.encode(texts))
    assert out[0]["cut"].label == "auto" and out[1]["cut"].label == "customer"
    for prediction in out:
        for head in HEADS:
            p = prediction[head]
            assert 0.0 <= p.confidence <= 1.0 and p.label in VALUES[head]
            assert p.abstained == (p.confidence < trained.classifier.heads[head].threshold)


def test_the_model_abstains_rather_than_guessing_below_its_threshold(trained, embedder):
    trained.classifier.heads["root_cause"].threshold = 1.01  # no confidence is enough
    trained.classifier.heads["cut"].threshold = 0.0  # any confidence is enough
    text = "ALARM: immediate-pay invoice INV-88 for C017 not scheduled, SLA-01 clock at 1h55m"
    prediction = trained.classifier.predict([text], embedder.encode([text]))[0]
    assert prediction["root_cause"].abstained and not prediction["cut"].abstained


def test_evaluation_reports_every_figure_per_label(trained, embedder, corpus):
    sample = corpus[::40]
    report = evaluate(trained, embedder, sample)
    for head in HEADS:
        r = report[head]
        assert {"accuracy", "macro_f1", "coverage", "precision_when_answered", "per_class", "confusion"} <= set(r)
        assert r["n"] == len(sample) and 0 <= r["coverage"] <= 1
        assert sum(map(sum, r["confusion"]["matrix"])) == len(sample)


def test_a_model_from_another_version_is_refused_with_what_to_do(model_path, tmp_path):
    copy = tmp_path / "old"
    copy.mkdir()
    for f in model_path.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    meta = json.loads((copy / "meta.json").read_text())
    meta["scikit_learn"] = "0.24.2"
    (copy / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(model_store.StaleModelError, match=r"scikit_learn 0.24.2 .*retrain it with `payops triage train`"):
        model_store.load(copy)
    with pytest.raises(model_store.ModelMissing, match="run `payops triage train`"):
        model_store.load(tmp_path / "nothing-here")


@pytest.mark.parametrize(("query", "cause"), [
    ("No exchange rate for TRY on 2026-11-14, 31 invoices held under FX-01", "missing_fx_rate"),
    ("IBAN for vendor V00412 fails check digits, payment returned by the bank", "bank_details_invalid"),
    ("Duplicate invoice INV-2291 held, same amount as INV-2290", "duplicate_suspect"),
])
def test_similar_tickets_share_the_problem_and_say_how_it_was_resolved(trained, embedder, query, cause):
    matches = trained.index.search(embedder.encode([query])[0], 5)
    assert len(matches) == 5
    assert [m.similarity for m in matches] == sorted((m.similarity for m in matches), reverse=True)
    assert sum(m.ticket.root_cause == cause for m in matches) >= 4
    assert all(m.ticket.resolution for m in matches)


def test_too_few_tickets_is_a_clear_error(embedder):
    tiny = [LabeledTicket("t", "b", {"cut": "auto", "category": "incident", "root_cause": "unknown"})] * 5
    from datetime import UTC, datetime

    from triage.training import train

    with pytest.raises(ValueError, match="too few"):
        train(tiny, embedder, now=datetime.now(UTC))

"""How good a triage model is: per label, accuracy and macro-F1 over every ticket (with
the model's best label, abstained or not), and coverage and precision at the abstain
threshold, with per-class figures and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from triage.classifier import HeadPrediction
from triage.labels import HEADS, VALUES


def score_head(truth: Sequence[str], predicted: Sequence[HeadPrediction], head: str) -> dict[str, Any]:
    best = [p.label for p in predicted]
    answered = [i for i, p in enumerate(predicted) if not p.abstained]
    labels = [v for v in VALUES[head] if v in set(truth) | set(best)]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, best, labels=labels, zero_division=0
    )
    right = sum(1 for i in answered if best[i] == truth[i])
    return {
        "n": len(truth),
        "accuracy": round(float(accuracy_score(truth, best)), 4),
        "macro_f1": round(float(f1_score(truth, best, labels=labels, average="macro", zero_division=0)), 4),
        "coverage": round(len(answered) / len(truth), 4) if truth else 0.0,
        "precision_when_answered": round(right / len(answered), 4) if answered else None,
        "per_class": {
            label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                    "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusion": {"labels": list(VALUES[head]),
                      "matrix": np.asarray(confusion_matrix(truth, best, labels=list(VALUES[head]))).tolist()},
    }


def score(truth: Sequence[dict[str, str]], predictions: Sequence[dict[str, HeadPrediction]]) -> dict[str, Any]:
    """One object per label head, over the tickets that carry that label."""
    out: dict[str, Any] = {}
    for head in HEADS:
        rows = [i for i, t in enumerate(truth) if head in t]
        if rows:
            out[head] = score_head([truth[i][head] for i in rows], [predictions[i][head] for i in rows], head)
    return out

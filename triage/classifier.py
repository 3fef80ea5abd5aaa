"""The ticket classifier: TF-IDF word and character n-grams beside sentence embeddings,
a calibrated linear model per label, and a confidence threshold per label below which
the model abstains (the ticket goes to a person as needs_human) instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from triage.labels import HEADS

Progress = Callable[[str], None]
EMBEDDING_WEIGHT = 0.4  # the embedding block against two L2-normalised TF-IDF blocks (tuned on a holdout)
MIN_ANSWERED = 10  # a threshold must be earned on at least this many validation tickets


@dataclass(frozen=True, slots=True)
class HeadPrediction:
    label: str  # the model's best label, given even when it abstains
    confidence: float
    abstained: bool
    ranked: tuple[tuple[str, float], ...]  # the top three with their probabilities

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "confidence": round(self.confidence, 4), "abstained": self.abstained,
                "ranked": [[label, round(p, 4)] for label, p in self.ranked]}


@dataclass
class HeadModel:
    classifier: CalibratedClassifierCV
    threshold: float
    validation: dict[str, float] = field(default_factory=dict)  # coverage/precision the threshold met

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]


class Featurizer:
    """Text and embeddings -> one sparse matrix."""

    def __init__(self) -> None:
        self.words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                                     lowercase=True, token_pattern=r"(?u)\b\w[\w\-/]*\b")
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                     lowercase=True, max_features=200_000)

    def fit(self, texts: Sequence[str]) -> Featurizer:
        self.words.fit(texts)
        self.chars.fit(texts)
        return self

    def transform(self, texts: Sequence[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        blocks = [self.words.transform(texts), self.chars.transform(texts),
                  sparse.csr_matrix(embeddings * EMBEDDING_WEIGHT)]
        return sparse.hstack(blocks, format="csr")


def _fit_classifier(x: sparse.csr_matrix, y: Sequence[str], seed: int) -> CalibratedClassifierCV:
    counts = np.unique(np.asarray(y), return_counts=True)[1]
    folds = int(max(2, min(3, counts.min())))
    base = LinearSVC(C=1.0, class_weight="balanced", random_state=seed)
    # ensemble=False: one SVM calibrated on cross-validated scores; a third of the work per ticket.
    return CalibratedClassifierCV(base, method="sigmoid", cv=folds, ensemble=False).fit(x, y)


def choose_threshold(confidences: np.ndarray, correct: np.ndarray, target: float) -> tuple[float, dict[str, float]]:
    """The lowest confidence threshold whose answered tickets reach `target` precision."""
    order = np.argsort(-confidences)
    hits = np.cumsum(correct[order])
    answered = np.arange(1, len(order) + 1)
    precision = hits / answered
    ok = np.where((precision >= target) & (answered >= min(MIN_ANSWERED, len(order))))[0]
    if len(ok) == 0:
        return 1.01, {"coverage": 0.0, "precision": float("nan")}
    best = ok.max()
    return float(confidences[order][best]), {"coverage": float(answered[best] / len(order)),
                                              "precision": float(precision[best])}


class TicketClassifier:
    """One calibrated model per label head, sharing one featurizer."""

    def __init__(self, featurizer: Featurizer, heads: dict[str, HeadModel], target_precision: float) -> None:
        self.featurizer = featurizer
        self.heads = heads
        self.target_precision = target_precision

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[dict[str, str]], embeddings: np.ndarray, *,
              target_precision: float = 0.95, seed: int = 0, progress: Progress = lambda _: None) -> TicketClassifier:
        featurizer = Featurizer().fit(texts)
        x = featurizer.transform(texts, embeddings)
        heads: dict[str, HeadModel] = {}
        for head in HEADS:
            rows = [i for i, lab in enumerate(labels) if head in lab]
            y = [labels[i][head] for i in rows]
            progress(f"training {head} on {len(rows)} tickets ({len(set(y))} classes)")
            threshold, met = cls._calibrate_threshold(x[rows], y, target_precision, seed)
            heads[head] = HeadModel(_fit_classifier(x[rows], y, seed), threshold, met)
            progress(f"  {head}: abstain below {threshold:.3f} (validation coverage {met['coverage']:.0%} "
                     f"at precision {met['precision']:.3f})")
        return cls(featurizer, heads, target_precision)

    @staticmethod
    def _calibrate_threshold(x: sparse.csr_matrix, y: Sequence[str], target: float, seed: int) -> tuple[float, dict[str, float]]:
        """Hold out 20 % of the training tickets, and pick the threshold on them."""
        idx = np.arange(len(y))
        fit_idx, val_idx = train_test_split(idx, test_size=0.2, random_state=seed, stratify=y)
        y_arr = np.asarray(y)
        model = _fit_classifier(x[fit_idx], y_arr[fit_idx], seed)
        proba = model.predict_proba(x[val_idx])
        best = proba.argmax(axis=1)
        correct = model.classes_[best] == y_arr[val_idx]
        return choose_threshold(proba.max(axis=1), correct, target)

    def predict(self, texts: Sequence[str], embeddings: np.ndarray) -> list[dict[str, HeadPrediction]]:
        x = self.featurizer.transform(texts, embeddings)
        out: list[dict[str, HeadPrediction]] = [{} for _ in texts]
        for head, model in self.heads.items():
            proba = model.classifier.predict_proba(x)
            classes = model.classes
            for i, row in enumerate(proba):
                top = np.argsort(-row)[:3]
                best = float(row[top[0]])
                out[i][head] = HeadPrediction(classes[top[0]], best, best < model.threshold,
                                              tuple((classes[j], float(row[j])) for j in top))
        return out

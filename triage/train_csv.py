"""Cross-validating the triage pipeline on any labeled CSV (plain or gzipped), so it can be
measured on public ticket data sets."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from triage.classifier import Featurizer, Progress
from triage.embeddings import DIMENSIONS, Embedder

csv.field_size_limit(10_000_000)


class CsvDataError(ValueError):
    pass


@dataclass(frozen=True)
class CsvData:
    texts: list[str]
    labels: list[str]


def read_labeled_csv(path: Path, text_col: str, label_col: str, limit: int | None = None,
                     seed: int = 0) -> CsvData:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig", errors="replace"), newline=""))
    header = reader.fieldnames or []
    for col in (text_col, label_col):
        if col not in header:
            raise CsvDataError(f"{path}: no column '{col}' (columns: {', '.join(header)})")
    texts, labels = [], []
    for row in reader:
        text, label = (row.get(text_col) or "").strip(), (row.get(label_col) or "").strip()
        if text and label:
            texts.append(text)
            labels.append(label)
    if limit and limit < len(texts):
        pick = np.random.default_rng(seed).choice(len(texts), size=limit, replace=False)
        texts, labels = [texts[i] for i in sorted(pick)], [labels[i] for i in sorted(pick)]
    rare = [label for label, n in Counter(labels).items() if n < 5]
    if rare:
        raise CsvDataError(f"{path}: classes with fewer than 5 rows cannot be cross-validated: {', '.join(rare)}")
    return CsvData(texts, labels)


def cross_validate(data: CsvData, embedder: Embedder | None, *, folds: int = 5, seed: int = 0,
                   progress: Progress = lambda _: None) -> dict[str, Any]:
    """Stratified k-fold accuracy and macro-F1 of the triage features + linear model."""
    if embedder is not None:
        progress(f"embedding {len(data.texts)} texts")
        vectors = embedder.encode(data.texts)
    else:
        vectors = np.zeros((len(data.texts), DIMENSIONS), dtype=np.float32)
    y = np.asarray(data.labels)
    accuracies, f1s = [], []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(data.texts, y), 1):
        train_texts = [data.texts[i] for i in train]
        featurizer = Featurizer().fit(train_texts)
        model = LinearSVC(C=1.0, class_weight="balanced", random_state=seed)
        model.fit(featurizer.transform(train_texts, vectors[train]), y[train])
        predicted = model.predict(featurizer.transform([data.texts[i] for i in test], vectors[test]))
        accuracies.append(accuracy_score(y[test], predicted))
        f1s.append(f1_score(y[test], predicted, average="macro"))
        progress(f"fold {fold}/{folds}: accuracy {accuracies[-1]:.4f}, macro-F1 {f1s[-1]:.4f}")
    return {
        "rows": len(data.texts),
        "classes": len(set(data.labels)),
        "folds": folds,
        "embeddings": embedder is not None,
        "accuracy": round(float(np.mean(accuracies)), 4),
        "accuracy_std": round(float(np.std(accuracies)), 4),
        "macro_f1": round(float(np.mean(f1s)), 4),
        "macro_f1_std": round(float(np.std(f1s)), 4),
    }

"""Training a triage model from labeled tickets, and measuring one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from triage.classifier import Progress, TicketClassifier
from triage.corpus import LabeledTicket, fingerprint
from triage.embeddings import Embedder
from triage.evaluation import score
from triage.model_store import TrainedModel, expected_versions, payops_version
from triage.similar import PastTicket, SimilarIndex

DEFAULT_PRECISION = 0.95


def _quiet(_: str) -> None:
    pass


def embed(embedder: Embedder, tickets: Sequence[LabeledTicket], progress: Progress = _quiet) -> np.ndarray:
    progress(f"embedding {len(tickets)} tickets with {embedder.__class__.__name__}")
    return embedder.encode([t.text for t in tickets])


def train(
    tickets: Sequence[LabeledTicket],
    embedder: Embedder,
    *,
    now: datetime,
    target_precision: float = DEFAULT_PRECISION,
    seed: int = 0,
    progress: Progress = _quiet,
    vectors: np.ndarray | None = None,
) -> TrainedModel:
    if len(tickets) < 20:
        raise ValueError(f"{len(tickets)} labeled tickets are too few to train on (20 at least)")
    vectors = embed(embedder, tickets, progress) if vectors is None else vectors
    classifier = TicketClassifier.train([t.text for t in tickets], [t.labels for t in tickets], vectors,
                                        target_precision=target_precision, seed=seed, progress=progress)
    items = [PastTicket(f"corpus:{i}", t.title, t.labels.get("category", ""), t.labels.get("root_cause", ""),
                        t.resolution) for i, t in enumerate(tickets)]
    corpus_id = fingerprint(tickets)
    meta: dict[str, Any] = {
        **expected_versions(),
        "model_version": f"triage-{now:%Y%m%dT%H%M%SZ}-{corpus_id[:8]}",
        "payops": payops_version(),
        "trained_at": now.isoformat(),
        "corpus_fingerprint": corpus_id,
        "tickets": len(tickets),
        "target_precision": target_precision,
        "thresholds": {head: m.threshold for head, m in classifier.heads.items()},
        "validation": {head: m.validation for head, m in classifier.heads.items()},
    }
    return TrainedModel(classifier, SimilarIndex(vectors, items), meta)


def predict(model: TrainedModel, embedder: Embedder, tickets: Sequence[LabeledTicket]) -> list[dict[str, Any]]:
    vectors = embedder.encode([t.text for t in tickets])
    return model.classifier.predict([t.text for t in tickets], vectors)  # type: ignore[return-value]


def evaluate(model: TrainedModel, embedder: Embedder, tickets: Sequence[LabeledTicket]) -> dict[str, Any]:
    return score([t.labels for t in tickets], predict(model, embedder, tickets))


def holdout(
    tickets: Sequence[LabeledTicket], embedder: Embedder, *, now: datetime, test_size: float = 0.2,
    seed: int = 0, target_precision: float = DEFAULT_PRECISION, progress: Progress = _quiet,
) -> dict[str, Any]:
    """Train on (1 - test_size) of `tickets` and score on the rest, stratified by root cause."""
    vectors = embed(embedder, tickets, progress)
    idx = np.arange(len(tickets))
    strata = [t.labels.get("root_cause", "") for t in tickets]
    train_idx, test_idx = train_test_split(idx, test_size=test_size, random_state=seed, stratify=strata)
    model = train([tickets[i] for i in train_idx], embedder, now=now, target_precision=target_precision,
                  seed=seed, progress=progress, vectors=vectors[train_idx])
    test = [tickets[i] for i in test_idx]
    predictions = model.classifier.predict([t.text for t in test], vectors[test_idx])
    return score([t.labels for t in test], predictions)

"""A triage model trained once per test session on a stratified slice of the corpus."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from triage import model_store
from triage.corpus import LabeledTicket, bundled_corpus_files, load_files
from triage.embeddings import Embedder
from triage.training import train

TRAINED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def stratified_slice(tickets: list[LabeledTicket], per_class: int, seed: int = 3) -> list[LabeledTicket]:
    by_cause: dict[str, list[LabeledTicket]] = defaultdict(list)
    for t in tickets:
        by_cause[t.labels["root_cause"]].append(t)
    rng = random.Random(seed)
    picked: list[LabeledTicket] = []
    for cause in sorted(by_cause):
        picked += rng.sample(by_cause[cause], min(per_class, len(by_cause[cause])))
    return picked


@pytest.fixture(scope="session")
def corpus() -> list[LabeledTicket]:
    return load_files(bundled_corpus_files())


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory, corpus: list[LabeledTicket], embedder: Embedder) -> Path:
    model = train(stratified_slice(corpus, 60), embedder, now=TRAINED_AT, target_precision=0.9)
    return model_store.save(model, tmp_path_factory.mktemp("model"))


@pytest.fixture
def trained(model_path: Path) -> model_store.TrainedModel:
    return model_store.load(model_path)

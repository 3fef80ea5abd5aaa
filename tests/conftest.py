"""Database fixtures: every database test runs on SQLite, and on PostgreSQL when
PAYOPS_TEST_POSTGRES_URL is set (each test gets a schema of its own, dropped after).
And a triage model trained once per test session on a stratified slice of the corpus."""

from __future__ import annotations

import os
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models import Database
from triage import model_store
from triage.corpus import LabeledTicket, bundled_corpus_files, load_files
from triage.embeddings import Embedder
from triage.training import train

POSTGRES_URL = os.environ.get("PAYOPS_TEST_POSTGRES_URL")


def _postgres_schema_url(schema: str) -> str:
    url = make_url(POSTGRES_URL or "")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'payops.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'payops.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PAYOPS_TEST_POSTGRES_URL is not set")
    schema = f"payops_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_postgres_schema_url("public"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()

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

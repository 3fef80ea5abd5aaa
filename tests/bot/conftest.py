"""The bot's fixtures: a seeded book of invoices and a pipeline over the session's model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import AccessSettings, Settings
from bot.pipeline import Pipeline
from models import Database, Ticket
from payables.clock import fixed_clock
from tests.bot.scenario import seed_book
from tests.factories import NOW
from triage import model_store
from triage.embeddings import Embedder
from triage.service import Triager, create_ticket

ACCESS = AccessSettings(
    slack_users={"U017": ["C017"], "U042": ["C042"], "UONCALL": ["*"]},
    slack_channels={"CC017": ["C017"], "CC042": ["C042"]},
    jira_reporters={"@client17.example": ["C017"], "@client42.example": ["C042"]},
)


@pytest.fixture
def book(db: Database, tmp_path: Path) -> Database:
    seed_book(db, tmp_path / "book")
    return db


@pytest.fixture
def triager(model_path: Path, embedder: Embedder) -> Triager:
    return Triager(model_store.load(model_path), embedder)


@pytest.fixture
def settings(model_path: Path) -> Settings:
    return Settings(model_dir=model_path, access=ACCESS, worker_id="test-worker")


@pytest.fixture
def pipeline(triager: Triager, settings: Settings) -> Pipeline:
    return Pipeline(triager, settings, clock=fixed_clock(NOW))


@pytest.fixture
def new_ticket(book: Database) -> Callable[..., int]:
    """Queue a ticket; returns its id."""
    def make(text: str, *, reporter: str = "client:C017", source: str = "local", origin: str = "ask",
             title: str | None = None, **fields: Any) -> int:
        with book.session() as session:
            t = create_ticket(session, title=title if title is not None else text[:80], body=text, now=NOW,
                              source=source, reporter=reporter)
            t.origin = origin
            for name, value in fields.items():
                setattr(t, name, value)
            return t.id
    return make


def process(db: Database, pipeline: Pipeline, ticket_id: int):  # type: ignore[no-untyped-def]
    with db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        outcome = pipeline.process(session, ticket)
        return outcome.as_dict(), outcome

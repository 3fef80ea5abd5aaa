"""Triage as a service: tickets in, labels, entities and similar past tickets out.

The bot's pipeline and the CLI call the same functions. Service functions take the
session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import LabelCorrection, Ticket, TicketEmbedding
from triage.classifier import HeadPrediction
from triage.corpus import ticket_text
from triage.embeddings import EMBEDDER_VERSION, Embedder
from triage.entities import extract_entities
from triage.labels import HEADS, check_label
from triage.model_store import TrainedModel
from triage.similar import Match, PastTicket

log = logging.getLogger(__name__)


class TicketNotFound(LookupError):
    pass


@dataclass
class TriageResult:
    ticket: Ticket
    labels: dict[str, HeadPrediction]
    entities: dict[str, Any]
    similar: list[Match] = field(default_factory=list)

    @property
    def needs_human(self) -> bool:
        return any(p.abstained for p in self.labels.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket.id,
            "key": self.ticket.external_key,
            "state": self.ticket.state,
            "needs_human": self.needs_human,
            "labels": {head: p.as_dict() for head, p in self.labels.items()},
            "entities": self.entities,
            "similar": [m.as_dict() for m in self.similar],
        }


def create_ticket(session: Session, *, title: str, body: str, now: datetime, source: str = "local",
                  external_key: str | None = None, reporter: str = "") -> Ticket:
    if not (title.strip() or body.strip()):
        raise ValueError("a ticket needs a title or a body")
    ticket = Ticket(source=source, external_key=external_key or "", title=title, body=body, reporter=reporter,
                    created_at=now, updated_at=now, state="new")
    session.add(ticket)
    session.flush()
    if not external_key:
        ticket.external_key = f"LOCAL-{ticket.id}"
    return ticket


def find_ticket(session: Session, ref: str) -> Ticket:
    """A ticket by id ('42') or key ('LOCAL-42', 'PAY-123')."""
    query = select(Ticket).where(
        or_(Ticket.external_key == ref, Ticket.id == int(ref)) if ref.isdigit() else Ticket.external_key == ref
    )
    ticket = session.scalars(query.limit(1)).first()
    if ticket is None:
        raise TicketNotFound(f"no ticket {ref}")
    return ticket


@dataclass(frozen=True)
class Prepared:
    """A ticket's embedding and labels computed ahead, for the text they were computed on."""

    text: str
    vector: np.ndarray
    labels: dict[str, HeadPrediction]


class Triager:
    """A loaded model and embedder, and the similar-ticket index grown with stored tickets."""

    def __init__(self, model: TrainedModel, embedder: Embedder) -> None:
        self.model = model
        self.embedder = embedder
        self._indexed: set[int] = set()

    def index_stored(self, session: Session) -> None:
        """Add stored, resolved-or-labelled tickets to the similar-ticket index."""
        rows = session.execute(
            select(Ticket, TicketEmbedding.vector).join(TicketEmbedding, TicketEmbedding.ticket_id == Ticket.id)
            .where(TicketEmbedding.model_name == EMBEDDER_VERSION)
        ).all()
        fresh = [(t, v) for t, v in rows if t.id not in self._indexed]
        if fresh:
            vectors = np.vstack([np.frombuffer(v, dtype=np.float32) for _, v in fresh])
            self.model.index.add(vectors, [_past(t) for t, _ in fresh])
            self._indexed.update(t.id for t, _ in fresh)

    def prepare(self, tickets: list[Ticket]) -> dict[int, Prepared]:
        """Embed and classify several tickets in one call (a worker's claimed batch):
        per ticket it costs a fraction of one call each."""
        texts = [ticket_text(t.title, t.body) for t in tickets]
        if not texts:
            return {}
        vectors = self.embedder.encode(texts)
        labels = self.model.classifier.predict(texts, vectors)
        return {t.id: Prepared(text, vectors[i:i + 1], labels[i]) for i, (t, text) in enumerate(zip(tickets, texts,
                                                                                                     strict=True))}

    def triage(self, session: Session, ticket: Ticket, *, now: datetime, k: int = 5,
               prepared: Prepared | None = None) -> TriageResult:
        text = ticket_text(ticket.title, ticket.body)
        if prepared is not None and prepared.text == text:
            vector, labels = prepared.vector, prepared.labels
        else:  # not prepared, or the ticket changed since
            vector = self.embedder.encode([text])
            labels = self.model.classifier.predict([text], vector)[0]
        entities = extract_entities(text, today=now.date()).as_dict()
        similar = self.model.index.search(vector[0], k, exclude=f"ticket:{ticket.id}")
        ticket.predicted = {head: p.as_dict() for head, p in labels.items()}
        ticket.model_version = self.model.version
        ticket.entities = entities
        ticket.state = "needs_human" if any(p.abstained for p in labels.values()) else "triaged"
        ticket.updated_at = now
        existing = session.get(TicketEmbedding, ticket.id)
        if existing is None:
            session.add(TicketEmbedding(ticket_id=ticket.id, model_name=EMBEDDER_VERSION, vector=vector[0].tobytes()))
        if ticket.id not in self._indexed:
            self.model.index.add(vector, [_past(ticket)])
            self._indexed.add(ticket.id)
        log.info("triaged ticket %s", ticket.external_key, extra={"ticket": ticket.external_key})
        return TriageResult(ticket, labels, entities, similar)


def _past(ticket: Ticket) -> PastTicket:
    predicted = ticket.predicted or {}
    category = ticket.confirmed_category or predicted.get("category", {}).get("label", "")
    root_cause = ticket.confirmed_root_cause or predicted.get("root_cause", {}).get("label", "")
    return PastTicket(f"ticket:{ticket.id}", ticket.title, category, root_cause, ticket.resolution)


def correct_ticket(session: Session, ticket: Ticket, *, by: str, now: datetime,
                   **labels: str | None) -> list[LabelCorrection]:
    """Store a person's labels for `ticket` (the next training run learns from them)."""
    given = {head: value for head, value in labels.items() if value}
    if not given:
        raise ValueError(f"give at least one of {', '.join(HEADS)}")
    corrections = []
    for head, value in given.items():
        check_label(head, value)
        predicted = (ticket.predicted or {}).get(head, {}).get("label")
        setattr(ticket, f"confirmed_{head}", value)
        corrections.append(LabelCorrection(ticket_id=ticket.id, label=head, predicted=predicted, confirmed=value,
                                           by=by, at=now))
    ticket.confirmed_by, ticket.confirmed_at, ticket.updated_at = by, now, now
    if ticket.state == "needs_human":
        ticket.state = "triaged"
    session.add_all(corrections)
    return corrections

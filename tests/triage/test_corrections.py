"""Corrections from people are stored, feed the next training run, and the gain shows."""

from __future__ import annotations

from sqlalchemy import select

from models import Database, LabelCorrection, Ticket
from tests.conftest import TRAINED_AT, stratified_slice
from triage.corpus import LabeledTicket, confirmed_tickets
from triage.service import Triager, correct_ticket, create_ticket
from triage.training import evaluate, train

# A client's own jargon for its feed breaking, with none of the words the corpus uses for it:
# only corrections can teach the model what "kestrel" trouble is.
NEW_STYLE = [
    "kestrel for {c} went sideways again overnight",
    "{c} kestrel is red this morning",
    "again kestrel trouble on {c}, same as last week",
    "the kestrel thing for {c} did it again",
    "{c}: kestrel bounced, can someone look",
]


def style_tickets(clients: range) -> list[LabeledTicket]:
    labels = {"cut": "customer", "category": "incident", "root_cause": "feed_format_error"}
    return [LabeledTicket(p.format(c=f"C{n:03d}"), "", labels) for n in clients for p in NEW_STYLE]


def test_corrections_are_stored_and_audited(sqlite_url, trained, embedder):
    db = Database(sqlite_url)
    with db.session() as session:
        ticket = create_ticket(session, title="Kestrel drop for C001 bounced", body="", now=TRAINED_AT)
        Triager(trained, embedder).triage(session, ticket, now=TRAINED_AT)
        correct_ticket(session, ticket, by="ana", now=TRAINED_AT, category="incident",
                       root_cause="feed_format_error")
    with db.session() as session:
        stored = session.scalars(select(Ticket)).one()
        assert (stored.confirmed_category, stored.confirmed_root_cause, stored.confirmed_by) == (
            "incident", "feed_format_error", "ana")
        audit = session.scalars(select(LabelCorrection).order_by(LabelCorrection.id)).all()
        assert [(c.label, c.confirmed, c.by) for c in audit] == [("category", "incident", "ana"),
                                                                ("root_cause", "feed_format_error", "ana")]
        assert audit[1].predicted == (stored.predicted or {})["root_cause"]["label"]
        assert confirmed_tickets(session)[0].labels == {"category": "incident", "root_cause": "feed_format_error"}


def test_retraining_with_corrections_improves_the_evaluation(sqlite_url, corpus, embedder):
    base = stratified_slice(corpus, 40, seed=11)
    held_out = style_tickets(range(50, 58))
    before = evaluate(train(base, embedder, now=TRAINED_AT, target_precision=0.9), embedder, held_out)
    db = Database(sqlite_url)
    with db.session() as session:
        for t in style_tickets(range(1, 5)):
            ticket = create_ticket(session, title=t.title, body=t.body, now=TRAINED_AT)
            correct_ticket(session, ticket, by="ana", now=TRAINED_AT, **t.labels)
        confirmed = confirmed_tickets(session)
    assert len(confirmed) == 20
    after = evaluate(train(base + confirmed, embedder, now=TRAINED_AT, target_precision=0.9), embedder, held_out)
    assert after["root_cause"]["accuracy"] > before["root_cause"]["accuracy"]
    assert after["root_cause"]["accuracy"] >= 0.9

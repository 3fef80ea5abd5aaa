"""Recurring problems: tickets without a known root cause, grouped by meaning and named.

Clusters are found on the stored sentence embeddings (agglomerative, average linkage on
cosine distance: deterministic, and no cluster count to guess). Names come from a
class-based TF-IDF: the terms that are frequent in one cluster and rare in the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Ticket, TicketEmbedding
from triage.corpus import ticket_text
from triage.embeddings import EMBEDDER_VERSION

# Tuned with the real model on eight groups of paraphrased tickets (four of them in
# tests/triage/test_recurrence.py): a whole group merges at an average cosine distance of
# 0.33-0.56, two different problems sit 0.60-0.88 apart (median 0.73), and the int8 model
# moves a distance by up to ~0.02 with the batch a text was embedded in. Below 0.52 the
# loosest groups split; at 0.60 "remittance advice" and "where to send invoices" merge.
MAX_DISTANCE = 0.55
SQL_CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits
NAME_TERMS = 3
# Words every ticket has: they would otherwise name the cluster that is most polite.
SUPPORT_WORDS = frozenset({
    "hi", "hello", "dear", "thanks", "thank", "please", "pls", "regards", "kind", "team",
    "ticket", "issue", "help", "payops",
})
# Whole words of letters (hyphenated ones too), never part of a token with a digit, so
# INV-2291, C017, V00412, 2026-11-02 and 4,210.00 never become a name; "W-9" is dropped too.
TOKEN_PATTERN = r"(?u)(?<![\w-])[^\W\d_]{2,}(?:-[^\W\d_]+)*(?![\w-])"


@dataclass(frozen=True)
class Item:
    ticket_id: int
    text: str  # title + "\n" + body
    vector: np.ndarray  # 1-D float32, L2-normalised sentence embedding


@dataclass(frozen=True)
class Cluster:
    name: str  # the top terms joined by " · "
    terms: tuple[str, ...]  # the distinctive terms, best first
    ticket_ids: tuple[int, ...]  # sorted
    example_id: int  # the ticket nearest the centroid: a manager reads its title


def cluster_tickets(items: Sequence[Item], *, min_size: int = 3, max_distance: float = MAX_DISTANCE,
                    max_items: int = 5000) -> tuple[list[Cluster], list[int]]:
    """Returns the recurring problems (clusters of at least min_size tickets), biggest first
    (ties by name), and the ids of the tickets that fit no cluster (one-offs), sorted.

    Average linkage keeps the pairwise distances in memory, so at most `max_items` tickets
    are clustered: the most recent ones by ticket id. Older ones are left out of both lists.
    """
    ordered = sorted(items, key=lambda item: item.ticket_id)[-max_items:] if max_items > 0 else []
    ids = [item.ticket_id for item in ordered]
    if len(ordered) < 2:
        return [], ids
    vectors = np.vstack([np.asarray(item.vector, dtype=np.float32).ravel() for item in ordered])
    norms = np.linalg.norm(vectors, axis=1)
    usable = np.flatnonzero(norms > 0)  # a zero vector has no cosine to anything: a one-off
    labels = np.full(len(ordered), -1)
    if len(usable) >= 2:
        vectors[usable] /= norms[usable, None]  # the stored vectors are unit already; be sure
        model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                        distance_threshold=max_distance)
        labels[usable] = model.fit_predict(vectors[usable])
    members = [np.flatnonzero(labels == label) for label in np.unique(labels[labels >= 0])]
    groups = [m for m in members if len(m) >= max(min_size, 2)]
    names = _distinctive_terms(["\n".join(ordered[i].text for i in m) for m in groups])
    clusters = []
    for group, terms in zip(groups, names, strict=True):
        centroid = vectors[group].mean(axis=0)
        example = int(group[int(np.argmax(vectors[group] @ centroid))])
        clusters.append(Cluster(name=" · ".join(terms) or "unnamed problem", terms=terms,
                                ticket_ids=tuple(ids[i] for i in group),
                                example_id=ids[example]))
    clusters.sort(key=lambda c: (-len(c.ticket_ids), c.name))
    clustered = {i for c in clusters for i in c.ticket_ids}
    return clusters, [i for i in ids if i not in clustered]


def _distinctive_terms(documents: list[str]) -> list[tuple[str, ...]]:
    """The best terms of each document (one per cluster) by class-based TF-IDF."""
    if not documents:
        return []
    vectorizer = TfidfVectorizer(lowercase=True, stop_words=sorted(ENGLISH_STOP_WORDS | SUPPORT_WORDS),
                                 ngram_range=(1, 2), token_pattern=TOKEN_PATTERN, min_df=1)
    try:
        weights = vectorizer.fit_transform(documents).toarray()
    except ValueError:  # no word at all survived (only ids and numbers): nothing to name by
        return [() for _ in documents]
    vocabulary = vectorizer.get_feature_names_out()
    out = []
    for row in weights:
        picked: list[str] = []
        # Highest weight first; the term itself breaks ties so names are reproducible.
        for index in sorted(np.flatnonzero(row > 0), key=lambda i: (-row[i], vocabulary[i])):
            term = str(vocabulary[index])
            if " " in term and len(set(term.split(" "))) == 1:
                continue  # "vendor vendor": an id between two words was dropped, not a phrase
            if " " not in term:
                if not any(term in p.split(" ") for p in picked):
                    picked.append(term)  # else "remittance advice" already says "remittance"
            elif not any(set(term.split(" ")) & set(p.split(" ")) for p in picked if " " in p):
                # The bigram takes the place of the best unigram it contains, so the name
                # still reads best first; one overlapping another bigram adds nothing.
                words = term.split(" ")
                at = next((k for k, p in enumerate(picked) if p in words), len(picked))
                picked = [p for p in picked[:at] if p not in words] + [term] + \
                         [p for p in picked[at:] if p not in words]
            if len(picked) == NAME_TERMS:
                break
        out.append(tuple(picked))
    return out


def load_items(session: Session, ticket_ids: Sequence[int], *,
               model_name: str = EMBEDDER_VERSION) -> list[Item]:
    """Reads the tickets' titles/bodies and stored embeddings (TicketEmbedding) in chunks
    of <= 500 ids, ordered by ticket id; tickets without an embedding are left out, and
    so are embeddings made by another model (`model_name`): their distances mean nothing
    next to this model's."""
    wanted = sorted(set(ticket_ids))
    items = []
    for start in range(0, len(wanted), SQL_CHUNK):
        chunk = wanted[start:start + SQL_CHUNK]
        rows = session.execute(
            select(Ticket.id, Ticket.title, Ticket.body, TicketEmbedding.vector)
            .join(TicketEmbedding, TicketEmbedding.ticket_id == Ticket.id)
            .where(Ticket.id.in_(chunk), TicketEmbedding.model_name == model_name)
            .order_by(Ticket.id)
        ).all()
        items += [Item(ticket_id, ticket_text(title, body), np.frombuffer(vector, dtype=np.float32).copy())
                  for ticket_id, title, body, vector in rows]
    return items

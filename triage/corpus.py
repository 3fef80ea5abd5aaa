"""Labeled tickets: the bundled corpus, any JSONL file in its format, confirmed labels."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Ticket
from triage.labels import HEADS, check_label

CORPUS_DIR = Path(__file__).parent / "corpus"


class CorpusError(ValueError):
    """A labeled file is malformed; the message names file, line and field."""


@dataclass(frozen=True, slots=True)
class LabeledTicket:
    title: str
    body: str
    labels: dict[str, str]  # head -> value; a head may be missing (e.g. only category confirmed)
    resolution: str = ""

    @property
    def text(self) -> str:
        return ticket_text(self.title, self.body)


def ticket_text(title: str, body: str) -> str:
    """The text the classifier reads: the title weighs as much as the first line of body."""
    return f"{title.strip()}\n{body.strip()}"


def bundled_corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.jsonl"))


def load_jsonl(path: Path) -> list[LabeledTicket]:
    tickets: list[LabeledTicket] = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise CorpusError(f"{path}:{line_no}: not a JSON object")
        labels: dict[str, str] = {}
        for head in HEADS:
            if head not in obj:
                raise CorpusError(f"{path}:{line_no}: field {head} is missing")
            try:
                labels[head] = check_label(head, str(obj[head]))
            except ValueError as exc:
                raise CorpusError(f"{path}:{line_no}: field {head}: {exc}") from None
        title, body = obj.get("title"), obj.get("body")
        if not isinstance(title, str) or not isinstance(body, str) or not (title.strip() or body.strip()):
            raise CorpusError(f"{path}:{line_no}: fields title and body must be text, not both empty")
        tickets.append(LabeledTicket(title, body, labels, str(obj.get("resolution") or "")))
    return tickets


def load_files(paths: Iterable[Path]) -> list[LabeledTicket]:
    return [t for path in paths for t in load_jsonl(path)]


def confirmed_tickets(session: Session) -> list[LabeledTicket]:
    """Tickets a person has labeled (payops triage correct, or Slack), for retraining."""
    rows = session.scalars(
        select(Ticket).where(
            or_(Ticket.confirmed_cut.is_not(None), Ticket.confirmed_category.is_not(None),
                Ticket.confirmed_root_cause.is_not(None))
        ).order_by(Ticket.id)
    )
    out = []
    for t in rows:
        labels = {head: value for head, value in (("cut", t.confirmed_cut), ("category", t.confirmed_category),
                                                  ("root_cause", t.confirmed_root_cause)) if value}
        out.append(LabeledTicket(t.title, t.body, labels, t.resolution))
    return out


def fingerprint(tickets: Sequence[LabeledTicket]) -> str:
    digest = hashlib.sha256()
    for t in tickets:
        digest.update(json.dumps([t.title, t.body, sorted(t.labels.items())]).encode())
    return digest.hexdigest()[:16]

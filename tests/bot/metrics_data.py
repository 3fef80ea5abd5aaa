"""Data the metrics tests build: feeds ingested through the engine on chosen days, and
tickets with the messages and state history that make their durations."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models import Database, Proposal, Ticket, TicketEvent, TicketMessage
from payables.clock import fixed_clock
from payables.ingest import ingest_file
from payables.reference.loader import load_reference_dir
from tests.factories import NOW, VENDOR_ROW, make_invoice, write_feed, write_reference

MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=NOW.tzinfo)  # NOW is the Friday after
CLIENTS = (("C017", "Client 17", "DIGITAL", "DE"), ("C042", "Client 42", "CLOUD", "DE"))


def load_reference(db: Database, directory: Path) -> None:
    write_reference(directory, vendors=[VENDOR_ROW])
    with (directory / "clients.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("client_id", "name", "business_line", "geographies"))
        writer.writerows(CLIENTS)
    with db.session() as session:
        load_reference_dir(session, directory, MONDAY - timedelta(days=30))
        session.commit()


_serial = iter(range(10_000, 99_999))


def invoice(client: str = "C017", **overrides: Any) -> Any:
    """A clean invoice with its own number and amount (equal amounts would be DUP-02 suspects)."""
    n = next(_serial)
    net = Decimal(n) / 100
    line = dict((c, line) for c, _, line, _ in CLIENTS)[client]
    fields: dict[str, Any] = dict(client_id=client, business_line=line, invoice_number=f"INV-{n}", net_amount=net, currency="USD",
                                  tax_amount=(net * Decimal("0.19")).quantize(Decimal("0.01")))
    fields["total_amount"] = fields["net_amount"] + fields["tax_amount"]
    fields.update(overrides)
    return make_invoice(**fields)


def ingest(db: Database, path: Path, at: datetime, invoices: list[Any], extra: tuple[str, ...] = ()) -> None:
    with db.session() as session:
        ingest_file(session, write_feed(path, invoices, extra), clock=fixed_clock(at))
        session.commit()


def ticket(session: Session, *, created: datetime, category: str = "inquiry", cut: str = "customer",
           root_cause: str = "unknown", client: str | None = "C017", title: str = "a question",
           **fields: Any) -> Ticket:
    predicted = {"cut": {"label": cut, "confidence": 0.9, "abstained": False},
                 "category": {"label": category, "confidence": 0.9, "abstained": False},
                 "root_cause": {"label": root_cause, "confidence": 0.9, "abstained": False}}
    t = Ticket(source="local", external_key=f"T-{next(_serial)}", title=title, body=title, created_at=created,
               updated_at=created, state="new", predicted=predicted,
               entities={"clients": [client]} if client else {}, **fields)
    session.add(t)
    session.flush()
    return t


def move(session: Session, t: Ticket, to: str, at: datetime, actor: str = "payops") -> None:
    session.add(TicketEvent(ticket_id=t.id, at=at, from_state=t.state, to_state=to, actor=actor))
    t.state, t.updated_at = to, at


def message(session: Session, t: Ticket, kind: str, at: datetime) -> None:
    session.add(TicketMessage(ticket_id=t.id, idempotency_key=f"{kind}:{t.id}:{at.isoformat()}", kind=kind,
                              destination="local", text="...", created_at=at))


def proposal(session: Session, t: Ticket | None, playbook: str, state: str, at: datetime, *,
             mode: str = "approve", decided_by: str | None = None) -> Proposal:
    p = Proposal(ticket_id=t.id if t else None, playbook=playbook, playbook_version="1", mode=mode, state=state,
                 risk="low", summary="s", diagnosis={}, plan={}, requested_by="payops", created_at=at,
                 decided_by=decided_by)
    session.add(p)
    session.flush()
    return p

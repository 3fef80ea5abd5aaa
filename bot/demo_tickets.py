"""A realistic mix of tickets for `payops demo`, written about the demo's own invoices.

Customers ask about rejected, held and validated invoices (one with a mistyped number,
one about another client's invoice that must stay hidden); monitoring cuts a feed alarm
with a customer inquiry from the same client after it; people ask for data fixes and
configuration changes; someone says thanks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Batch, Finding, Invoice, Ticket


@dataclass(frozen=True)
class DemoTicket:
    title: str
    body: str
    reporter: str  # client:C017 for a client's user; monitoring, or a person's name
    origin: str  # ask for a client's question, alarm, ticket


def _first(session: Session, status: str, *, not_client: str | None = None) -> Invoice | None:
    query = select(Invoice).where(Invoice.status == status)
    if not_client:
        # Another client's invoice, under a number that client has none of (a vendor's
        # numbering can repeat across its customers).
        theirs = select(Invoice.invoice_number).where(Invoice.client_id == not_client)
        query = query.where(Invoice.client_id != not_client, Invoice.invoice_number.not_in(theirs))
    return session.scalars(query.order_by(Invoice.id).limit(1)).first()


def _mistyped(number: str) -> str:
    """The same number with its last two digits swapped, as people do."""
    digits = [i for i, ch in enumerate(number) if ch.isdigit()]
    if len(digits) < 2:
        return number + "0"
    a, b = digits[-2], digits[-1]
    if number[a] == number[b]:
        return number[:b] + str((int(number[b]) + 1) % 10) + number[b + 1:]
    return number[:a] + number[b] + number[a] + number[b + 1:]


def _held_by(session: Session, rule: str) -> Invoice | None:
    """The first invoice on hold for `rule` at ingestion."""
    return session.scalars(select(Invoice).join(Finding, Finding.raw_record_id == Invoice.raw_record_id)
                           .where(Invoice.status == "ON_HOLD", Finding.rule == rule)
                           .order_by(Invoice.id).limit(1)).first()


def _broken_feed(session: Session) -> tuple[str, str, int] | None:
    """(client, file name, rows) of the newest feed whose every row was quarantined."""
    batch = session.scalars(select(Batch).where(Batch.quarantined > 0, Batch.quarantined == Batch.received)
                            .order_by(Batch.id.desc()).limit(1)).first()
    if batch is None:
        return None
    name = Path(batch.source_name).name
    return name.split("-", 1)[0], name, batch.received


def demo_tickets(session: Session, now: datetime) -> list[DemoTicket]:
    tickets: list[DemoTicket] = []
    rejected = _first(session, "REJECTED")
    held = _first(session, "ON_HOLD")
    paid_soon = _first(session, "VALIDATED")
    if rejected is not None:
        c = rejected.client_id
        tickets.append(DemoTicket(
            f"Invoice {rejected.invoice_number} not paid",
            f"Hi team, our vendor {rejected.vendor_name} is chasing payment of invoice {rejected.invoice_number}. "
            "Why wasn't it paid? Thanks, AP team", f"client:{c}", "ask"))
        tickets.append(DemoTicket(
            "payment status", f"Can you check the status of {_mistyped(rejected.invoice_number)}? "
            "The vendor says it is overdue.", f"client:{c}", "ask"))
        other = _first(session, "REJECTED", not_client=c)
        if other is not None:
            tickets.append(DemoTicket(
                f"Status of {other.invoice_number}?", f"Why was invoice {other.invoice_number} not paid?",
                f"client:{c}", "ask"))
    if held is not None:
        tickets.append(DemoTicket(
            f"{held.invoice_number} on hold?", f"Hello, invoice {held.invoice_number} from {held.vendor_name} "
            "shows on hold in our report. What is holding it and what do we need to do?",
            f"client:{held.client_id}", "ask"))
    for rule, words in (("FX-01", "It has been on hold for weeks, is something missing on your side?"),
                        ("DUP-02", "Our vendor says this is not a duplicate, it is a separate delivery.")):
        stuck = _held_by(session, rule)
        if stuck is not None:
            tickets.append(DemoTicket(f"{stuck.invoice_number} still on hold", f"Hi, invoice {stuck.invoice_number} "
                                      f"from {stuck.vendor_name}: why is it not paid? {words}",
                                      f"client:{stuck.client_id}", "ask"))
    if paid_soon is not None:
        tickets.append(DemoTicket(
            "When will this be paid?", f"When will invoice {paid_soon.invoice_number} be paid?",
            f"client:{paid_soon.client_id}", "ask"))
    broken = _broken_feed(session)
    feed_client = broken[0] if broken else (rejected.client_id if rejected is not None else "C001")
    file_name, rows = (broken[1], broken[2]) if broken else (f"{feed_client}_invoices.csv", 0)
    tickets.append(DemoTicket(
        f"FEED REJECTED: {file_name} - header mismatch",
        f"FEED STATUS: REJECTED\nclient: {feed_client}\nfile: {file_name}\nreason: header mismatch\n"
        f"detected delimiter: ';' (expected ',')\nrows: {rows} (none ingested)", "monitoring", "alarm"))
    tickets.append(DemoTicket(
        "Missing payments today", f"Hello, {feed_client} accounts payable here. None of the invoices we sent "
        "last night show up and our vendors are chasing payment. Can you check?", f"client:{feed_client}", "ask"))
    tickets += [
        DemoTicket("Update bank details for vendor V00042",
                   "Please update the IBAN of vendor V00042 to DE89370400440532013000; the old account is closed. "
                   "Signed letter attached.", "Maria (vendor management)", "ticket"),
        DemoTicket("Raise PO tolerance for LOGISTICS to 5%",
                   "Could we change the PO amount tolerance for the LOGISTICS business line from 2% to 5%? "
                   "Freight surcharges keep tripping PO-02.", "Sam (controllership)", "ticket"),
        DemoTicket("Thanks!", "Thanks for sorting this out so quickly yesterday, much appreciated.",
                   "Lee (client finance)", "ticket"),
    ]
    return tickets


def queue_demo_tickets(session: Session, now: datetime) -> list[int]:
    """Put the demo tickets on the local queue (once); returns their ids in order."""
    queued = list(session.scalars(select(Ticket.id).where(Ticket.channel == "demo").order_by(Ticket.id)))
    if queued:
        return queued
    ids = []
    for t in demo_tickets(session, now):
        ticket = Ticket(source="local", external_key="", title=t.title, body=t.body, reporter=t.reporter,
                        origin=t.origin, channel="demo", created_at=now, updated_at=now, state="new", revision=1)
        session.add(ticket)
        session.flush()
        ticket.external_key = f"LOCAL-{ticket.id}"
        ids.append(ticket.id)
    return ids

"""Eight weeks of history before the demo's today, through the real engine and bot.

Feeds are ingested with the clock at their arrival; a simulated payment run schedules
immediate-pay invoices inside their 2 hours (a few are left late, for the SLA clock to
catch); tickets go through the pipeline at the time they were written, proposals are
decided by on-call at historical times (approved, rejected, or left to expire), and
people resolve what payops handed them. Everything happens in time order, one event at a
time, so that each step sees the world as it was.

Runs after today's feeds are ingested (their invoices are known, so history never
duplicates one) and before today's tickets are queued; once per database.
"""

from __future__ import annotations

import heapq
import logging
import random
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.demo_history_tickets import PEOPLE, Known, PlannedTicket, plan_tickets
from bot.states import set_state
from models import (
    Batch,
    Client,
    Database,
    Finding,
    Invoice,
    InvoiceEvent,
    Proposal,
    Ticket,
    TicketMessage,
)
from payables.canonical import Status
from payables.clock import fixed_clock
from payables.demo.failures import FREE_LINES
from payables.demo.history import History, history_days, make_history, outlier_feed, read_world
from payables.ingest import ingest_bytes
from payables.reference.loader import SPECS, load_reference_file
from triage.service import Prepared

if TYPE_CHECKING:
    from bot.service import Service

log = logging.getLogger(__name__)

CHANNEL = "demo-history"
RULE = "TAX-01"  # the rule one client breaks today far more than it ever did
APPROVERS = PEOPLE[:2]  # on-call engineers who decide proposals in the history
# Playbooks whose fix stays inside the history's own invoices; the others change the
# vendor master or the FX table that today's demo data is judged against.
LOCAL_FIXES = frozenset({"expedite_immediate_pay", "resolve_duplicate_suspect", "rematch_po"})
SLA_BREACHES = 6  # immediate-pay groups left unscheduled past their deadline
OUTLIER_BEFORE = timedelta(minutes=70)  # today's broken file arrived this long before the demo starts
PREPARE_BATCH = 64
OPEN_STATES = ("new", "triaged", "needs_human", "escalated")


@dataclass
class HistorySummary:
    seeded: bool
    feeds: int = 0
    invoices: int = 0
    tickets: int = 0
    outlier: tuple[str, str] = ("", "")  # (client, rule) engineered to stand out today
    proposals: dict[str, int] = field(default_factory=dict)


class SteppedClock:
    """The history's clock: set to each event's time before the event runs."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def seed_history(db: Database, settings: Settings, directory: Path, *, now: datetime,
                 seed: int = 7) -> HistorySummary:
    """Ingest eight weeks of feeds and work eight weeks of tickets before `now`."""
    with db.session() as session:
        if session.scalar(select(Ticket.id).where(Ticket.channel == CHANNEL).limit(1)) is not None:
            return HistorySummary(seeded=False)
        stored = _stored(session, directory, now)
    today = now.date()
    history = make_history(read_world(directory, today), today=today, seed=seed, weights=stored.weights,
                           formats=stored.formats, clean=stored.outlier, taken=stored.taken, twins=stored.twins)
    _load_purchase_orders(db, directory, history, today)
    invoices = _ingest(db, history)
    client, rule = stored.outlier
    if client:  # today's file of one client whose ERP change breaks TAX-01
        outlier = outlier_feed(read_world(directory, today), today=today, at=now - OUTLIER_BEFORE, seed=seed,
                               client_id=client, fmt=stored.formats.get(client, "csv"), taken=stored.taken,
                               twins=stored.twins)
        invoices += _ingest(db, History([outlier], []))
    rng = random.Random(seed * 104729 + today.toordinal())
    late = _payment_run(db, rng, now)
    summary = _work_tickets(db, settings, rng, history_days(today), late, now=now, avoid=stored.broken_client)
    summary.feeds, summary.invoices, summary.outlier = len(history.feeds), invoices, stored.outlier
    return summary


# -- what today's data already holds -----------------------------------------------------

@dataclass
class Stored:
    weights: dict[str, float]
    formats: dict[str, str]
    taken: set[tuple[str, str, str]]
    twins: set[tuple[str, Decimal, date]]
    outlier: tuple[str, str]
    broken_client: str


def _stored(session: Session, directory: Path, now: datetime) -> Stored:
    rows = session.execute(select(Invoice.client_id, Invoice.vendor_id, Invoice.invoice_number,
                                  Invoice.total_amount, Invoice.invoice_date)).all()
    weights = {c: float(n) for c, n in Counter(r[0] for r in rows).items()}
    formats = {p.name.split("-", 1)[0]: p.suffix.lstrip(".") for p in sorted((directory / "feeds").iterdir())
               if p.suffix in (".csv", ".jsonl")}
    # The outlier: the busiest client of a business line without PO rules (its file needs no POs).
    lines = dict(session.execute(select(Client.client_id, Client.business_line)).all())
    busiest = sorted((c for c in weights if lines.get(c) in FREE_LINES), key=lambda c: (-weights[c], c))
    broken = session.scalars(select(Batch.source_name).where(Batch.quarantined > 0,
                                                             Batch.quarantined == Batch.received)
                             .order_by(Batch.id.desc()).limit(1)).first()
    twins = {(r[1], r[3], r[4]) for r in rows if r[3] is not None and r[4] is not None}
    return Stored(weights, formats, {(r[0], r[1], r[2]) for r in rows}, twins,
                  (busiest[0] if busiest else "", RULE), Path(broken).name.split("-", 1)[0] if broken else "")


# -- feeds -------------------------------------------------------------------------------

def _load_purchase_orders(db: Database, directory: Path, history: History, today: date) -> None:
    """The history's POs, loaded as reference data the day before the history starts."""
    spec = next(s for s in SPECS if s.kind == "purchase_orders")
    path = directory / "history" / spec.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(spec.columns)] + [",".join(po.row()[c] for c in spec.columns) for po in history.purchase_orders]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    at = datetime.combine(history_days(today)[0] - timedelta(days=1), time(0), tzinfo=UTC)
    with db.session() as session:
        load_reference_file(session, spec, path, at)


def _ingest(db: Database, history: History) -> int:
    """Each day's files in one transaction, each file with the clock at its arrival."""
    received = 0
    by_day: dict[date, list[int]] = {}
    for i, feed in enumerate(history.feeds):
        by_day.setdefault(feed.at.date(), []).append(i)
    for indices in by_day.values():
        with db.session() as session:
            for i in indices:
                feed = history.feeds[i]
                received += ingest_bytes(session, feed.name, feed.data, clock=fixed_clock(feed.at)).received
    return received


def _payment_run(db: Database, rng: random.Random, now: datetime) -> list[list[int]]:
    """Schedule every accepted immediate-pay invoice whose 2 hours are over by now inside
    them, except a few groups (one client's file on one day each, two days ago or earlier)
    that are left for the SLA clock; today's last arrivals stay on their clock. Validated
    invoices on other terms whose due date has passed are scheduled on it."""
    with db.session() as session:
        rows = list(session.scalars(
            select(Invoice).where(Invoice.payment_terms == "IMMEDIATE", Invoice.status == Status.VALIDATED,
                                  Invoice.ingested_at < now - timedelta(hours=2)).order_by(Invoice.id)))
        groups: dict[int, list[Invoice]] = {}
        for inv in rows:
            groups.setdefault(inv.batch_id, []).append(inv)
        weekday_batches = [b for b, invs in groups.items() if invs[0].ingested_at.date() < now.date() - timedelta(days=1)
                           and invs[0].ingested_at.weekday() < 5]
        late = sorted(rng.sample(weekday_batches, min(SLA_BREACHES, len(weekday_batches))))
        late_ids = [[inv.id for inv in groups[b]][:3] for b in late]
        skipped = {i for ids in late_ids for i in ids}
        for inv in rows:
            if inv.id in skipped:
                continue
            at = inv.ingested_at + timedelta(minutes=rng.randint(8, 95))
            session.add(InvoiceEvent(invoice_id=inv.id, at=at, from_status=inv.status, to_status=Status.SCHEDULED,
                                     reason="payment run: immediate pay", actor="payment-run"))
            inv.status, inv.scheduled_at, inv.updated_at = Status.SCHEDULED, at, at
        # Invoices on other terms go into the payment run of their due date.
        due = session.scalars(select(Invoice).where(Invoice.payment_terms != "IMMEDIATE",
                                                    Invoice.status == Status.VALIDATED,
                                                    Invoice.due_date < now.date()).order_by(Invoice.id))
        for inv in due:
            assert inv.due_date is not None
            at = datetime.combine(inv.due_date, time(6, 0), tzinfo=UTC)
            session.add(InvoiceEvent(invoice_id=inv.id, at=at, from_status=inv.status, to_status=Status.SCHEDULED,
                                     reason="payment run: due date", actor="payment-run"))
            inv.status, inv.scheduled_at, inv.updated_at = Status.SCHEDULED, at, at
    return late_ids


# -- tickets -----------------------------------------------------------------------------

class Events:
    """A time-ordered queue of things to do at a historical moment (none from `until` on:
    what would happen later is still open when the demo's today starts)."""

    def __init__(self, until: datetime) -> None:
        self._heap: list[tuple[datetime, int, Callable[[], None]]] = []
        self._seq = 0
        self.until = until

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        if when >= self.until:
            return
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, action))

    def run(self, clock: SteppedClock) -> None:
        while self._heap:
            when, _, action = heapq.heappop(self._heap)
            clock.at = max(clock.at, when)
            action()


def _known(session: Session) -> list[Known]:
    rules: dict[int, set[str]] = {}
    for raw_id, rule in session.execute(
            select(Finding.raw_record_id, Finding.rule).join(Invoice, Invoice.raw_record_id == Finding.raw_record_id)
            .join(Batch, Batch.id == Invoice.batch_id)
            .where(Batch.source_name.like("history/%"), Finding.severity.in_(("block", "hold")))):
        if raw_id is not None:
            rules.setdefault(raw_id, set()).add(rule)
    invoices = session.scalars(select(Invoice).join(Batch, Batch.id == Invoice.batch_id)
                               .where(Batch.source_name.like("history/%")).order_by(Invoice.id))
    return [Known(i.invoice_number, i.client_id, i.vendor_id, i.vendor_name, i.status,
                  tuple(sorted(rules.get(i.raw_record_id, ()))), i.po_number, i.ingested_at) for i in invoices]


def _work_tickets(db: Database, settings: Settings, rng: random.Random, days: list[date],
                  late: list[list[int]], *, now: datetime, avoid: str) -> HistorySummary:
    from bot.service import Service  # loads torch: only when the history is made

    with db.session() as session:
        planned = plan_tickets(rng, days, _known(session), until=now - timedelta(hours=16), avoid_client=avoid)
    approvers = sorted({*settings.playbooks.approvers, *APPROVERS})
    # Nothing applies alone in the history: a person decides every fix that changes data.
    history_settings = settings.model_copy(update={"playbooks": settings.playbooks.model_copy(
        update={"approvers": approvers, "auto_apply": {}})})
    clock = SteppedClock(datetime.combine(days[0], time(0), tzinfo=UTC))
    service = Service(history_settings, db=db, clock=clock)
    work = _Work(db, service, clock, rng, until=now - timedelta(minutes=30))
    ids = work.queue(planned)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="history-prepare") as pool:
        # Embedding is most of a ticket's cost: batches of it run on the other core while
        # the pipeline works through the batch before (as the worker does).
        for start in range(0, len(ids), PREPARE_BATCH):
            chunk = ids[start:start + PREPARE_BATCH]
            ready = pool.submit(work.prepare, chunk)
            for ticket_id, plan in zip(chunk, planned[start:start + PREPARE_BATCH], strict=True):
                work.events.at(plan.at, partial(work.process_when_ready, ticket_id, plan, ready))
        for ids_late in late:
            work.sla_breach(ids_late)
        for day in days:  # on-call sweeps: expire unanswered proposals at the end of each day
            work.events.at(datetime.combine(day, time(23, 30), tzinfo=UTC), work.sweep)
        work.events.run(clock)
    with db.session() as session:
        _delivered_at_once(session)
    with db.session() as session:
        states = Counter(session.scalars(select(Proposal.state).join(Ticket, Ticket.id == Proposal.ticket_id)
                                         .where(Ticket.channel.in_((CHANNEL, "sla-clock")))))
    return HistorySummary(seeded=True, tickets=len(ids), proposals=dict(sorted(states.items())))


def _delivered_at_once(session: Session) -> None:
    """What the local sender would have done the moment each message was written (one
    UPDATE instead of a delivery pass per event: the history's answers went out at once)."""
    session.execute(update(TicketMessage).where(TicketMessage.status == "pending", TicketMessage.destination == "local")
                    .values(status="sent", sent_at=TicketMessage.created_at, attempts=1, error="",
                            external_id=literal("local:", String) + cast(TicketMessage.id, String))
                    .execution_options(synchronize_session=False))


class _Work:
    def __init__(self, db: Database, service: Service, clock: SteppedClock, rng: random.Random,
                 until: datetime) -> None:
        self.db, self.service, self.clock, self.rng = db, service, clock, rng
        self.events = Events(until)

    def queue(self, planned: list[PlannedTicket]) -> list[int]:
        ids = []
        with self.db.session() as session:
            for p in planned:
                t = Ticket(source="local", external_key="", title=p.title, body=p.body, reporter=p.reporter,
                           origin=p.origin, channel=CHANNEL, created_at=p.at, updated_at=p.at, state="new",
                           revision=1)
                session.add(t)
                session.flush()
                t.external_key = f"LOCAL-{t.id}"
                ids.append(t.id)
        return ids

    def prepare(self, ticket_ids: list[int]) -> dict[int, Prepared]:
        with self.db.session() as session:
            return self.service.triager.prepare(list(session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))))

    def sweep(self) -> None:
        self.service.remediate()

    def process_when_ready(self, ticket_id: int, plan: PlannedTicket, ready: Future[dict[int, Prepared]]) -> None:
        self.process(ticket_id, plan, ready.result().get(ticket_id))

    def process(self, ticket_id: int, plan: PlannedTicket | None, prepared: Prepared | None = None) -> None:
        with self.db.session() as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            if ticket.state != "new":
                return
            self.service.pipeline.process(session, ticket, prepared)
            proposal = session.scalar(select(Proposal).where(Proposal.ticket_id == ticket.id,
                                                             Proposal.state == "proposed"))
            state = ticket.state
            proposal_id, playbook = (proposal.id, proposal.playbook) if proposal else (None, "")
        now = self.clock()
        if proposal_id is not None:
            self._decide_later(proposal_id, playbook, now)
        if state in OPEN_STATES and plan is not None:
            self.events.at(now + plan.resolve_after, lambda: self.resolve(ticket_id, plan.resolver, plan.resolution))
        elif state in OPEN_STATES:  # an alarm the SLA clock cut: on-call closes it if no fix does
            self.events.at(now + timedelta(minutes=self.rng.randint(60, 180)),
                           lambda: self.resolve(ticket_id, self.rng.choice(APPROVERS), "expedited by hand"))

    def _decide_later(self, proposal_id: int, playbook: str, now: datetime) -> None:
        """On-call answers a page in minutes, other proposals within a couple of hours; a
        fix that stays inside the history's invoices is mostly approved, one that would
        change the vendor master or FX table (today's data is judged against them) never."""
        roll, who = self.rng.random(), self.rng.choice(APPROVERS)
        minutes = self.rng.randint(2, 12) if playbook == "expedite_immediate_pay" else self.rng.randint(10, 150)
        # Decided before the demo's today starts, so no history proposal is left open.
        when = min(now + timedelta(minutes=minutes), self.events.until - timedelta(minutes=1))
        approve_below, reject_below = (0.85, 0.85) if playbook == "expedite_immediate_pay" else (0.55, 0.8)
        if playbook not in LOCAL_FIXES:
            approve_below, reject_below = 0.0, 0.65
        if roll < approve_below:
            self.events.at(when, lambda: self.decide(proposal_id, who, approve=True))
        elif roll < reject_below:
            self.events.at(when, lambda: self.decide(proposal_id, who, approve=False))
        # otherwise nobody answers: the end-of-day sweep expires it

    def decide(self, proposal_id: int, who: str, *, approve: bool) -> None:
        note = "" if approve else "not this one: handling it by hand"
        self.service.runner.decide(proposal_id, who, approve=approve, note=note)
        self.service.remediate()  # an approved fix is applied and verified at once

    def resolve(self, ticket_id: int, person: str, note: str) -> None:
        with self.db.session() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None or ticket.state not in OPEN_STATES:
                return
            ticket.resolution = note
            set_state(session, ticket, "resolved", now=self.clock(), reason=note, actor=person)

    def sla_breach(self, invoice_ids: list[int]) -> None:
        """The SLA clock ticks past the deadline of invoices the payment run missed."""
        with self.db.session() as session:
            deadline = session.scalar(select(func.min(Invoice.payment_deadline)).where(Invoice.id.in_(invoice_ids)))
        if deadline is None:
            return
        self.events.at(deadline + timedelta(minutes=self.rng.randint(2, 25)), self._tick)

    def _tick(self) -> None:
        self.service.sla_clock()
        with self.db.session() as session:
            fresh = list(session.scalars(select(Ticket.id).where(Ticket.channel == "sla-clock", Ticket.state == "new")))
        for ticket_id in fresh:
            self.process(ticket_id, None)

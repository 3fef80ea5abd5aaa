"""Manager metrics at size: the roll-up job, the dashboard's snapshot, call-outs and /metrics.

    python bench/metrics.py [--invoices 20000] [--tickets 2000] [--days 56] [--database-url URL] [--json]

Setup (not timed): 20 clients of the demo world (payables/demo) send daily feeds over
--days days ending today (weekdays busy, weekends a small share, the demo's failure
variants and unparseable rows), each file ingested through the engine with the clock at
its arrival, one transaction per day; a payment run then schedules what would have been
scheduled by now (immediate pay mostly within its 2 hours, a few late). --tickets tickets
over the same days are written as rows with their state history, the messages payops
wrote and, for some, a playbook proposal: the triage pipeline is not what is measured.
A fresh SQLite file, or --database-url (an empty database: it gets the schema).

Timed, as of a fixed clock: the first roll-up (the backfill of every day and every
ticket's facts; the rate is the received rows it counted, from its summary, over its wall
time), an incremental roll-up 10 minutes later (the scheduler's default interval), the
dashboard snapshot of the last 28 days (without the recurrence report) for every client
and for the busiest one, the call-outs alone, and the Prometheus exposition.
Informational: no issue sets a target; the figures say what a manager and a scrape wait.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.insights.callouts import find_callouts  # noqa: E402
from bot.insights.filters import Filters  # noqa: E402
from bot.insights.prometheus import exposition  # noqa: E402
from bot.insights.rollup import RollupSummary, roll_up  # noqa: E402
from bot.insights.snapshot import build_snapshot  # noqa: E402
from models import (  # noqa: E402
    Batch,
    Database,
    Invoice,
    PipelineDay,
    Proposal,
    RuleDay,
    Ticket,
    TicketEvent,
    TicketFact,
    TicketMessage,
)
from payables.canonical import Status  # noqa: E402
from payables.clock import fixed_clock  # noqa: E402
from payables.demo.failures import FREE_LINES, failure_counts, inject  # noqa: E402
from payables.demo.feeds import Entry, FeedFile, add_bad_rows, render  # noqa: E402
from payables.demo.invoices import World  # noqa: E402
from payables.demo.reference import Client, make_clients, make_fx, make_vendors  # noqa: E402
from payables.ingest import ingest_bytes  # noqa: E402
from payables.reference.loader import SPECS, load_reference_dir  # noqa: E402
from playbooks.registry import default_registry  # noqa: E402
from triage.labels import VALUES  # noqa: E402

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CLIENTS = 20
MAX_DAYS = 60  # the demo world dates invoices within 60 days before today
WEEKEND_SHARE = 0.15  # a weekend day's volume against a weekday's
MIN_FILE = 4  # invoices a client's ERP waits for before it sends a file (Fridays: any)
INCREMENT = timedelta(minutes=10)  # the roll-up job's default interval (bot/config.py)
WINDOW_DAYS = 28  # the dashboard's default range
REPEAT = 5
PEOPLE = ("alice", "bob", "chen", "dana")


# -- invoices ----------------------------------------------------------------------------

@dataclass
class Book:
    rows: int = 0
    batches: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    scheduled: int = 0


def _days(n: int) -> list[date]:
    return [NOW.date() - timedelta(days=k) for k in range(n - 1, -1, -1)]


def _choose_clients(candidates: list[Client]) -> list[Client]:
    """CLIENTS of the demo's 80: DIGITAL and CLOUD clients that between them cover every
    geography (the demo's failure variants look for one in each), then the other lines in turn."""
    free = [c for c in candidates if c.business_line in FREE_LINES]
    chosen: list[Client] = []
    uncovered = {g for c in candidates for g in c.geographies}
    while uncovered:
        best = max(free, key=lambda c: (len(uncovered & set(c.geographies)), -candidates.index(c)))
        chosen.append(best)
        uncovered -= set(best.geographies)
    others = [c for c in candidates if c not in chosen]
    others.sort(key=lambda c: (c.business_line in FREE_LINES, candidates.index(c) // 5, candidates.index(c)))
    chosen.extend(others[:CLIENTS - len(chosen)])
    return sorted(chosen, key=lambda c: c.client_id)


def _plan(world: World, days: list[date], invoices: int) -> list[FeedFile]:
    """Clean rows over the days (weekday rhythm, daily noise) and the clients (lognormal
    volumes); a client's ERP sends a file once it has MIN_FILE invoices, on Fridays and on
    the last day whatever it has (as payables/demo/history.py); a third send JSON Lines."""
    rng = world.rng
    day_weights = [(1.0 if d.weekday() < 5 else WEEKEND_SHARE) * rng.uniform(0.85, 1.15) for d in days]
    volume = [rng.lognormvariate(0, 0.7) for _ in world.clients]
    formats = {c.client_id: "jsonl" if (rng.random() < 0.3 or i == 1) and i != 0 else "csv"
               for i, c in enumerate(world.clients)}
    clean = invoices - sum(failure_counts(invoices).values()) - max(6, round(invoices * 0.003))
    if clean < len(world.clients):
        raise SystemExit(f"--invoices {invoices}: too few for {len(world.clients)} clients and the failure mix")
    ids = [c.client_id for c in world.clients]  # every client sends something, then by volume
    picks = Counter(zip(rng.choices(days, weights=day_weights, k=clean),
                        ids + rng.choices(ids, weights=volume, k=clean - len(ids)), strict=True))
    pending: dict[str, list[Entry]] = defaultdict(list)
    files: list[FeedFile] = []
    for day in days:
        for client in world.clients:
            waiting = pending[client.client_id]
            waiting.extend(Entry(world.invoice(client, day)) for _ in range(picks[(day, client.client_id)]))
            if len(waiting) >= MIN_FILE or (waiting and (day.weekday() == 4 or day == days[-1])):
                feed = FeedFile(client, day, formats[client.client_id])
                feed.entries.extend(waiting)
                files.append(feed)
                pending[client.client_id] = []
    return files


def _arrival(rng: random.Random, day: date) -> datetime:
    """Mostly overnight (the clients' ERP runs), some by day; today's only before NOW."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    latest = min(19 * 60, int((NOW - start).total_seconds() // 60) - 5)
    minutes = rng.randint(60, min(7 * 60, latest)) if rng.random() < 0.7 else rng.randint(60, latest)
    return start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))


def _write_reference(directory: Path, world: World) -> None:
    rows = {
        "clients": [c.row() for c in world.clients],
        "vendors": [v.row() for v in world.vendors],
        "purchase_orders": [p.row() for p in world.purchase_orders],
        "fx_rates": world.fx.rows(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for spec in SPECS:
        with open(directory / spec.filename, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(spec.columns), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows[spec.kind])


def build_invoices(db: Database, directory: Path, invoices: int, days: list[date], seed: int) -> tuple[Book, list[Client]]:
    rng = random.Random(seed)
    clients = _choose_clients(make_clients(rng))
    vendors = make_vendors(rng)
    fx = make_fx(rng, NOW.date(), first=days[0] - timedelta(days=30))
    world = World(rng, NOW.date(), clients, vendors, fx)
    files = _plan(world, days, invoices)
    inject(world, files, failure_counts(invoices))
    add_bad_rows(world, files, max(6, round(invoices * 0.003)))
    _write_reference(directory, world)
    with db.session() as session:
        load_reference_dir(session, directory, datetime.combine(days[0], datetime.min.time(), tzinfo=UTC)
                           - timedelta(days=1))
    book = Book()
    by_day: dict[date, list[tuple[datetime, FeedFile]]] = defaultdict(list)
    for feed in files:
        by_day[feed.day].append((_arrival(rng, feed.day), feed))
    for day in sorted(by_day):
        with db.session() as session:
            for at, feed in sorted(by_day[day], key=lambda af: (af[0], af[1].client.client_id)):
                name = f"feeds/{feed.client.client_id}-{feed.day:%Y%m%d}-daily.{feed.fmt}"
                summary = ingest_bytes(session, name, render(feed).encode("utf-8"), clock=fixed_clock(at))
                book.rows += summary.received
                book.batches += 1
                for outcome in ("accepted", "rejected", "on_hold", "quarantined"):
                    book.outcomes[outcome] += getattr(summary, outcome)
    book.scheduled = _payment_run(db, rng)
    return book, clients


def _payment_run(db: Database, rng: random.Random) -> int:
    """Schedule validated invoices as a payment run would have by NOW: immediate pay 8 to
    95 minutes after arrival (2 % late, past their 2 hours), the rest 2 to 48 hours after;
    whatever falls after NOW stays validated (the live backlog and the at-risk list)."""
    with db.session() as session:
        rows = session.execute(select(Invoice.id, Invoice.ingested_at, Invoice.payment_terms)
                               .where(Invoice.status == Status.VALIDATED).order_by(Invoice.id)).all()
        changes = []
        for invoice_id, ingested_at, terms in rows:
            if terms == "IMMEDIATE":
                delay = timedelta(minutes=rng.randint(125, 400) if rng.random() < 0.02 else rng.randint(8, 95))
            else:
                delay = timedelta(hours=rng.uniform(2, 48))
            at = ingested_at + delay
            if at <= NOW:
                changes.append({"id": invoice_id, "status": Status.SCHEDULED.value, "scheduled_at": at,
                                "updated_at": at})
        if changes:
            session.execute(update(Invoice), changes)
    return len(changes)


# -- tickets -----------------------------------------------------------------------------

@dataclass
class Story:
    """A ticket's life: (seconds after creation, state, actor) and (seconds, message kind)."""

    moves: list[tuple[float, str, str]] = field(default_factory=list)
    messages: list[tuple[float, str]] = field(default_factory=list)
    proposal: tuple[float, str] | None = None  # seconds, state


def _story(rng: random.Random, origin: str, playbook: bool) -> Story:
    s = Story()
    quick = rng.uniform(2, 40)
    hours = rng.lognormvariate(1.2, 1.0) * 3600  # a person's time: median about 3.3 hours
    path = rng.choices(("answered", "handed", "escalated", "awaiting", "untouched"),
                       weights=(45, 28, 12, 10, 5) if origin != "alarm" else (5, 25, 65, 0, 5))[0]
    if path == "untouched":
        return s
    s.moves.append((quick * 0.5, "triaged", "payops"))
    if path == "answered":
        s.messages.append((quick, "answer"))
        s.moves.append((quick, "answered", "payops"))
        if rng.random() < 0.4:
            s.moves.append((quick + hours, "resolved", "reporter"))
    elif path == "awaiting":
        s.messages.append((quick, "follow_up"))
        s.moves.append((quick, "awaiting_customer", "payops"))
        if rng.random() < 0.6:
            s.messages.append((quick + hours + 30, "answer"))
            s.moves.append((quick + hours + 30, "answered", "payops"))
    else:
        state, kind = ("needs_human", "acknowledgement") if path == "handed" else ("escalated", "page")
        s.messages.append((quick, kind))
        s.moves.append((quick, state, "payops"))
        if playbook and rng.random() < 0.45:
            s.proposal = (quick + rng.uniform(10, 300), rng.choices(
                ("verified", "rejected", "expired", "proposed", "failed", "rolled_back", "shadow"),
                weights=(55, 10, 8, 6, 5, 2, 14))[0])
        if rng.random() < 0.88:
            s.messages.append((quick + hours, "hand_off" if rng.random() < 0.3 else "playbook_outcome"))
            s.moves.append((quick + hours, "resolved", rng.choice(PEOPLE)))
    return s


def build_tickets(db: Database, tickets: int, days: list[date], clients: list[Client], seed: int) -> dict[str, int]:
    rng = random.Random(seed + 1)
    by_cause = {pb.root_cause: pb.name for pb in default_registry().all() if pb.root_cause != "unknown"}
    day_weights = [1.0 if d.weekday() < 5 else WEEKEND_SHARE * 2 for d in days]
    client_weights = [rng.lognormvariate(0, 0.7) for _ in clients]
    causes, cause_weights = VALUES["root_cause"], (8, 6, 5, 6, 7, 5, 9, 8, 5, 20)
    counts = {"tickets": 0, "events": 0, "messages": 0, "proposals": 0}
    created = sorted(datetime.combine(d, datetime.min.time(), tzinfo=UTC)
                     + timedelta(seconds=rng.triangular(0, 86_399, 13 * 3600))
                     for d in rng.choices(days, weights=day_weights, k=tickets))
    created = [c if c < NOW else NOW - timedelta(seconds=rng.uniform(60, 9 * 3600)) for c in created]
    for start in range(0, tickets, 500):
        with db.session() as session:
            batch: list[tuple[Ticket, Story]] = []
            for i, at in enumerate(created[start:start + 500], start=start):
                origin = rng.choices(("ticket", "mention", "dm", "slash_command", "alarm"), weights=(45, 20, 10, 10, 15))[0]
                cause = rng.choices(causes, weights=cause_weights)[0]
                category = "incident" if origin == "alarm" else rng.choices(
                    VALUES["category"], weights=(50, 10, 22, 10, 8))[0]
                predicted = {head: {"label": label, "confidence": round(conf, 3), "abstained": conf < 0.55}
                             for head, label, conf in (("cut", "auto" if origin == "alarm" else "customer", 0.99),
                                                       ("category", category, rng.uniform(0.4, 0.99)),
                                                       ("root_cause", cause, rng.uniform(0.35, 0.99)))}
                client = rng.choices(clients, weights=client_weights)[0].client_id if rng.random() < 0.85 else None
                t = Ticket(source="local", external_key=f"BENCH-{i}", title=f"{category}: {cause}", body="...",
                           reporter="monitoring" if origin == "alarm" else rng.choice(PEOPLE), origin=origin,
                           created_at=at, updated_at=at, state="new", predicted=predicted,
                           entities={"clients": [client]} if client else {})
                batch.append((t, _story(rng, origin, cause in by_cause)))
            session.add_all(t for t, _ in batch)
            session.flush()
            for t, story in batch:
                _write_story(session, rng, t, story, by_cause, counts)
            counts["tickets"] += len(batch)
    return counts


def _write_story(session: Session, rng: random.Random, t: Ticket, story: Story, by_cause: dict[str, str],
                 counts: dict[str, int]) -> None:
    """The story up to NOW: what would happen later has not happened yet."""
    for n, (after, kind) in enumerate(story.messages):
        at = t.created_at + timedelta(seconds=after)
        if at <= NOW:
            session.add(TicketMessage(ticket_id=t.id, idempotency_key=f"{kind}:{t.id}:{n}", kind=kind,
                                      destination="local", text="...", status="sent", created_at=at, sent_at=at))
            counts["messages"] += 1
    for after, state, actor in story.moves:
        at = t.created_at + timedelta(seconds=after)
        if at > NOW:
            break
        session.add(TicketEvent(ticket_id=t.id, at=at, from_state=t.state, to_state=state, actor=actor))
        t.state, t.updated_at = state, at
        counts["events"] += 1
        if actor in PEOPLE and rng.random() < 0.6:
            t.confirmed_root_cause = str((t.predicted or {})["root_cause"]["label"])
            t.confirmed_by, t.confirmed_at = actor, at
    if story.proposal is not None:
        after, state = story.proposal
        at = t.created_at + timedelta(seconds=after)
        cause = str((t.predicted or {})["root_cause"]["label"])
        if at <= NOW and cause in by_cause:
            auto = state != "shadow" and rng.random() < 0.2
            decided = state not in ("proposed", "expired", "shadow") and not auto
            session.add(Proposal(ticket_id=t.id, playbook=by_cause[cause], playbook_version="1",
                                 mode="shadow" if state == "shadow" else "auto" if auto else "approve",
                                 state=state, risk="low", summary="...", diagnosis={}, plan={}, requested_by="payops",
                                 created_at=at, decided_by=rng.choice(PEOPLE[:2]) if decided else None,
                                 decided_at=at + timedelta(minutes=5) if decided else None))
            counts["proposals"] += 1


# -- measurements ------------------------------------------------------------------------

def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def _median_ms(fn: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any]:
    runs = [_timed(fn) for _ in range(repeat)]
    return statistics.median(ms for ms, _ in runs), runs[-1][1]


def _in_session(db: Database, fn: Callable[[Session], Any]) -> Callable[[], Any]:
    """Each call in its own session, as a dashboard request or a scrape has."""
    def run() -> Any:
        with db.session() as session:
            return fn(session)
    return run


def _count(db: Database, model: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _server(db: Database) -> str:
    with db.engine.connect() as conn:
        version = conn.dialect.server_version_info or ()
    name = "SQLite" if db.dialect == "sqlite" else "PostgreSQL" if db.dialect == "postgresql" else db.dialect
    return f"{name} {'.'.join(str(v) for v in version)}"


def _cores() -> str:
    logical = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
    return f"{logical} cores" + (f" ({usable} usable)" if usable != logical else "")


def _rollup_line(s: RollupSummary, ms: float) -> dict[str, Any]:
    return {"ms": round(ms), "days": s.days, "first_day": s.first_day.isoformat(), "received_rows": s.invoices,
            "tickets": s.tickets, "received_rows_per_s": round(s.invoices / (ms / 1000)) if ms else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--days", type=int, default=56)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not 2 <= args.days <= MAX_DAYS:
        parser.error(f"--days: between 2 and {MAX_DAYS} (the demo world dates invoices within {MAX_DAYS} days)")
    days = _days(args.days)
    later = NOW + INCREMENT
    window = Filters(later.date() - timedelta(days=WINDOW_DAYS - 1), later.date())
    with tempfile.TemporaryDirectory(prefix="payops-bench-") as tmp:
        db = Database(args.database_url or f"sqlite:///{tmp}/bench.db")
        started = time.perf_counter()
        book, clients = build_invoices(db, Path(tmp) / "reference", args.invoices, days, args.seed)
        made = build_tickets(db, args.tickets, days, clients, args.seed)
        setup_s = time.perf_counter() - started
        with db.session() as session:
            batches_received = int(session.scalar(select(func.sum(Batch.received))) or 0)

        first_ms, first = _timed(lambda: roll_up(db, fixed_clock(NOW)))
        pipeline_rows, rule_rows, facts = _count(db, PipelineDay), _count(db, RuleDay), _count(db, TicketFact)
        second_ms, second = _timed(lambda: roll_up(db, fixed_clock(later)))

        with db.session() as session:
            busiest = session.execute(select(PipelineDay.client_id, func.sum(PipelineDay.received))
                                      .where(PipelineDay.day >= window.start, PipelineDay.client_id != "")
                                      .group_by(PipelineDay.client_id)
                                      .order_by(func.sum(PipelineDay.received).desc()).limit(1)).one()[0]
        one = Filters(window.start, window.end, client=busiest)
        all_ms, snap_all = _median_ms(_in_session(db, lambda s: build_snapshot(s, window, later, recurrence=False)))
        one_ms, snap_one = _median_ms(_in_session(db, lambda s: build_snapshot(s, one, later, recurrence=False)))
        callouts_ms, callouts = _median_ms(_in_session(db, lambda s: find_callouts(s, window, today=later.date())))
        expo_ms, text = _median_ms(lambda: exposition(db, fixed_clock(later)))
        samples = sum(1 for line in text.decode().splitlines() if line and not line.startswith("#"))
        server = _server(db)
        db.dispose()

    result = {
        "database": server, "machine": f"{_cores()}, {platform.machine()}, Python {platform.python_version()}",
        "invoices": args.invoices, "tickets": args.tickets, "days": args.days, "clients": len(clients),
        "feed_rows": book.rows, "batches": book.batches, "outcomes": dict(book.outcomes),
        "scheduled_by_payment_run": book.scheduled, "ticket_rows": made, "setup_s": round(setup_s, 1),
        "first_rollup": {**_rollup_line(first, first_ms), "batches_received_total": batches_received,
                         "pipeline_day_rows": pipeline_rows, "rule_day_rows": rule_rows, "ticket_facts": facts},
        "incremental_rollup": _rollup_line(second, second_ms),
        "snapshot_all_ms": round(all_ms, 1), "snapshot_all_pipeline_total": snap_all.pipeline.received,
        "snapshot_all_tickets": snap_all.tickets.total, "snapshot_all_callouts": len(snap_all.callouts),
        "snapshot_client": busiest, "snapshot_client_ms": round(one_ms, 1),
        "snapshot_client_pipeline_total": snap_one.pipeline.received, "snapshot_client_tickets": snap_one.tickets.total,
        "callouts_ms": round(callouts_ms, 1), "callouts": len(callouts),
        "exposition_ms": round(expo_ms, 1), "exposition_bytes": len(text), "exposition_samples": samples,
    }
    if args.json:
        print(json.dumps(result))
        return
    o = book.outcomes
    print(f"machine: {result['machine']}; database: {server}")
    print(f"data: {book.rows} feed rows in {book.batches} batches from {len(clients)} clients over {args.days} days "
          f"to {NOW:%Y-%m-%d %H:%M}Z (accepted {o['accepted']}, rejected {o['rejected']}, on hold {o['on_hold']}, "
          f"quarantined {o['quarantined']}; {book.scheduled} scheduled by the payment run); "
          f"{made['tickets']} tickets, {made['events']} state changes, {made['messages']} messages, "
          f"{made['proposals']} proposals; setup {setup_s:.1f} s (not timed)")
    f = result["first_rollup"]
    print(f"first roll-up (backfill {first.days} days from {first.first_day}, and {first.tickets} tickets' facts): "
          f"{first_ms:.0f} ms = {f['received_rows_per_s']} received rows/s ({first.invoices} rows counted, "
          f"batches say {batches_received}; wrote {pipeline_rows} pipeline-day, {rule_rows} rule-day rows, "
          f"{facts} ticket facts)")
    print(f"incremental roll-up {INCREMENT.seconds // 60} min later ({second.days} days from {second.first_day}, "
          f"{second.invoices} received rows, {second.tickets} tickets recomputed): {second_ms:.0f} ms")
    print(f"snapshot, {window.describe()} (no recurrence; {snap_all.pipeline.received} rows received, "
          f"{snap_all.tickets.total} tickets, {len(snap_all.callouts)} call-outs): {all_ms:.0f} ms "
          f"(median of {REPEAT})")
    print(f"snapshot, {one.describe()} (the busiest client; {snap_one.pipeline.received} rows received, "
          f"{snap_one.tickets.total} tickets): {one_ms:.0f} ms (median of {REPEAT})")
    print(f"find_callouts alone, all clients, {WINDOW_DAYS}-day range ending {window.end} against 8 weeks "
          f"({len(callouts)} call-outs): {callouts_ms:.0f} ms (median of {REPEAT})")
    print(f"/metrics exposition ({len(text)} bytes, {samples} samples): {expo_ms:.0f} ms (median of {REPEAT})")


if __name__ == "__main__":
    main()

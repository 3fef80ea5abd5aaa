"""The bot end to end: queued tickets to answers sent, with the engine and classifier in the loop.

    python bench/bot.py [--invoices 6000] [--tickets 300] [--burst N] [--database-url URL]
                        [--model DIR] [--torch-threads N] [--profile FILE] [--json]

Setup (not timed): the demo data set (seed 7, --invoices) loaded and ingested into a fresh
SQLite file in a temp dir as `payops demo` does (or into --database-url, e.g. PostgreSQL: an
empty database, or one a previous run filled, whose invoices are then used as they are); the
triage model from --model (default PAYOPS_MODEL_DIR or ./payops-model; trained on the bundled
corpus first when there is none, a few minutes); a `bot.service.Service` with no web server,
Slack or Jira, whose local user `bench` sees every client.

The tickets: 75% inquiries about the book's invoices (rejected, on hold, validated; a few
numbers that do not exist, a few with one digit wrong), phrased several ways, asked by `bench`
or by a user of the invoice's own client (`client:C017`); 25% other tickets (incident, data
fix, config change, other) from the bundled corpus.

Latency: tickets arrive one at a time; each is inserted into the queue (state new), then
`worker.drain()` and `deliver()` run; its latency is wall time (perf_counter) from the
committed insert to its answer (or on-call's summary) recorded `sent`. The work loop's wait
between passes (`poll_seconds`, when no event wakes it) is not included. Throughput: --burst
tickets inserted at once, then `run_once()` until all are handled and delivered. Both phases
also say where the time goes, by wrapping the pipeline's parts (wall time, one call each).

Targets (the bot issue) on this 2-core CPU: p95 < 500 ms per inquiry, >= 50 tickets/s
sustained. Informational: the bench never fails on a target.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_INQUIRY_P95_MS = 500.0
TARGET_TICKETS_PER_S = 50.0
FEED_SUFFIXES = {".csv", ".jsonl", ".xml"}
OTHER_CATEGORIES = ("incident", "data_fix", "config_change", "other")
OTHER_SHARE = 0.25
# Kinds of inquiry and their weights in the mix.
INQUIRY_KINDS: dict[str, int] = {
    "rejected": 30, "on_hold": 20, "validated": 30, "missing": 10, "typo": 10,
}
PHRASES = (
    "why was invoice {number} not paid?",
    "Status of invoice {number} please",
    "When will invoice {number} from vendor {vendor} be paid?",
    "Hi team, our supplier {vendor_name} says invoice {number} is still unpaid. Can you check?",
    "Could you tell me what is blocking invoice {number}? Thanks",
)
# Messages that close a ticket's loop: the asker's answer or acknowledgement, on-call's summary.
ANSWER_KINDS = ("answer", "acknowledgement", "triage_summary")
ANSWERED_STATES = ("answered", "awaiting_customer")


@dataclass(frozen=True)
class Spec:
    kind: str  # rejected, on_hold, validated, missing, typo, or a corpus category
    title: str
    body: str
    reporter: str
    origin: str

    @property
    def inquiry(self) -> bool:
        return self.origin == "ask"


# -- setup -----------------------------------------------------------------------------


def _train(directory: Path) -> None:
    from triage import model_store
    from triage.corpus import bundled_corpus_files, load_files
    from triage.embeddings import Embedder
    from triage.training import train

    model = train(load_files(bundled_corpus_files()), Embedder(), now=datetime.now(UTC))
    model_store.save(model, directory)


def load_book(db: Any, directory: Path, invoices: int,
              clock: Callable[[], datetime]) -> dict[str, int]:
    """Write the demo data and ingest it as `payops demo` does; a filled database is kept."""
    from sqlalchemy import func, select

    from models import Invoice
    from payables.demo_data import write_demo_data
    from payables.ingest import ingest_file
    from payables.reference.loader import load_reference_dir

    with db.session() as session:
        existing = session.scalar(select(func.count()).select_from(Invoice)) or 0
    if existing:
        print(f"{db.safe_url} already holds {existing} invoices: using them as they are",
              file=sys.stderr)
    else:
        write_demo_data(directory, today=clock().date(), seed=7, invoices=invoices)
        with db.session() as session:
            load_reference_dir(session, directory, clock())
        for path in sorted((directory / "feeds").iterdir()):
            if path.suffix.lower() in FEED_SUFFIXES:
                with db.session() as session:
                    ingest_file(session, path, clock=clock)
    with db.session() as session:
        counts = session.execute(select(Invoice.status, func.count())
                                 .group_by(Invoice.status)).all()
    return {status.lower(): n for status, n in sorted(counts)}


class Mix:
    """Tickets like the ones the bot gets: inquiries about the book's invoices, and the rest."""

    def __init__(self, db: Any, seed: int = 7) -> None:
        from sqlalchemy import select

        from models import Invoice
        from triage.corpus import bundled_corpus_files, load_files

        self.rng = random.Random(seed)
        with db.session() as session:
            rows = session.execute(select(Invoice.invoice_number, Invoice.client_id,
                                          Invoice.vendor_id, Invoice.vendor_name,
                                          Invoice.status)).all()
        self.numbers = {r.invoice_number for r in rows}
        self.by_status: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            if r.invoice_number:
                self.by_status[r.status.lower()].append(r)
        self.any = [r for rs in self.by_status.values() for r in rs]
        self.clients = sorted({r.client_id for r in rows})
        self.other = [t for t in load_files(bundled_corpus_files())
                      if t.labels.get("category") in OTHER_CATEGORIES]

    def make(self, n: int) -> list[Spec]:
        others = round(n * OTHER_SHARE)
        specs = [self.inquiry() for _ in range(n - others)] + [self.ticket() for _ in range(others)]
        self.rng.shuffle(specs)
        return specs

    def inquiry(self) -> Spec:
        kind = self.rng.choices(list(INQUIRY_KINDS), list(INQUIRY_KINDS.values()))[0]
        row = self.rng.choice(self.by_status.get(kind) or self.any)
        number, client = row.invoice_number, row.client_id
        if kind == "missing":
            number, client = self._unknown(), self.rng.choice(self.clients)
        elif kind == "typo":
            number = self._one_digit_off(number)
        phrase = self.rng.choice(PHRASES)
        text = phrase.format(number=number, vendor=row.vendor_id, vendor_name=row.vendor_name)
        reporter = "bench" if self.rng.random() < 0.5 else f"client:{client}"
        return Spec(kind, text[:120], text, reporter, "ask")

    def ticket(self) -> Spec:
        t = self.rng.choice(self.other)
        return Spec(t.labels["category"], t.title, t.body, "bench", "ticket")

    def _unknown(self) -> str:
        while True:
            number = f"INV-{self.rng.randrange(900_000, 999_999)}"
            if number not in self.numbers:
                return number

    def _one_digit_off(self, number: str) -> str:
        digits = [i for i, c in enumerate(number) if c.isdigit()]
        for _ in range(20):
            if not digits:
                break
            i = self.rng.choice(digits)
            digit = str((int(number[i]) + self.rng.randrange(1, 10)) % 10)
            changed = number[:i] + digit + number[i + 1:]
            if changed not in self.numbers:
                return changed
        return self._unknown()


def enqueue(db: Any, specs: list[Spec], clock: Callable[[], datetime]) -> list[int]:
    """Put tickets on the local queue (state new) in one transaction, as `payops ask` does."""
    from triage.service import create_ticket

    ids = []
    with db.session() as session:
        now = clock()
        for s in specs:
            t = create_ticket(session, title=s.title, body=s.body, now=now, source="local",
                              reporter=s.reporter)
            t.origin, t.channel = s.origin, "bench"
            ids.append(t.id)
    return ids


def answered(db: Any, ticket_ids: list[int]) -> dict[int, tuple[str, bool]]:
    """Each ticket's state, and whether its answer (or on-call summary) was recorded sent."""
    from sqlalchemy import select

    from models import Ticket, TicketMessage

    with db.session() as session:
        states = dict(session.execute(select(Ticket.id, Ticket.state)
                                      .where(Ticket.id.in_(ticket_ids))).all())
        sent = set(session.scalars(select(TicketMessage.ticket_id).where(
            TicketMessage.ticket_id.in_(ticket_ids), TicketMessage.kind.in_(ANSWER_KINDS),
            TicketMessage.status == "sent")))
    return {i: (states.get(i, "?"), i in sent) for i in ticket_ids}


# -- where the time goes ---------------------------------------------------------------


class Stages:
    """Wall time spent in the pipeline's parts, by wrapping them (cheap: one call each).

    A part that is not there any more (the bot is changing) is listed, not timed.
    """

    # (label, owner of the attribute, attribute); nested parts are indented.
    PARTS: tuple[tuple[str, Callable[[Any], Any], str], ...] = (
        ("worker.claim", lambda s: s.worker, "claim"),
        ("worker.process (commit included)", lambda s: s.worker, "process"),
        ("  pipeline.process", lambda s: s.pipeline, "process"),
        ("    triager.triage", lambda s: s.triager, "triage"),
        ("      embedder.encode", lambda s: s.triager.embedder, "encode"),
        ("      classifier.predict", lambda s: s.triager.model.classifier, "predict"),
        ("      similar index search", lambda s: s.triager.model.index, "search"),
        ("      extract_entities", lambda s: sys.modules["triage.service"], "extract_entities"),
        ("    stake_of", lambda s: sys.modules["bot.pipeline"], "stake_of"),
        ("    link_ticket", lambda s: sys.modules["bot.pipeline"], "link_ticket"),
        ("    answer_inquiry", lambda s: sys.modules["bot.pipeline"], "answer_inquiry"),
        ("      revalidate (engine)", lambda s: sys.modules["bot.inquiry"], "revalidate"),
        ("    triage_summary", lambda s: sys.modules["bot.pipeline"], "triage_summary"),
        ("    propose a fix (playbooks)", lambda s: s.pipeline, "_propose_fix"),
        ("      playbook diagnose + plan", lambda s: s.runner, "propose"),
        ("  apply approved fixes", lambda s: s, "remediate"),
        ("deliver (outbox)", lambda s: s, "deliver"),
    )

    def __init__(self, service: Any) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.missing: list[str] = []
        self._undo: list[Callable[[], None]] = []
        for label, owner_of, name in self.PARTS:
            try:
                owner = owner_of(service)
                original = getattr(owner, name)
            except (AttributeError, KeyError):
                self.missing.append(label.strip())
                continue
            self._undo.append(self._restorer(owner, name, original))
            setattr(owner, name, self._timed(label, original))

    def _timed(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - t0
                self.calls[label] += 1
        return timed

    @staticmethod
    def _restorer(owner: Any, name: str, original: Any) -> Callable[[], None]:
        """Made before patching: puts back a module's function or an instance's own attribute."""
        own = name in getattr(owner, "__dict__", {})

        def undo() -> None:
            if own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)  # the instance attribute goes: the class's method shows again
        return undo

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()

    def report(self, tickets: int, total_s: float) -> list[dict[str, Any]]:
        rows = []
        for label, _, _ in self.PARTS:
            if label in self.seconds:
                s = self.seconds[label]
                rows.append({"stage": label, "ms_per_ticket": round(s * 1000 / max(tickets, 1), 2),
                             "share": round(s / total_s, 3) if total_s else 0.0,
                             "calls": self.calls[label]})
        return rows


# -- figures ---------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 1)


def encode_alone(embedder: Any, mix: Mix, n: int = 20) -> dict[str, float | None]:
    """One ticket's embedding alone, outside the pipeline: shows what contention does to it."""
    from triage.corpus import ticket_text

    specs = [mix.inquiry() for _ in range(n // 2)] + [mix.ticket() for _ in range(n - n // 2)]
    texts = [ticket_text(s.title, s.body) for s in specs]
    embedder.encode(texts[:2])
    times = []
    for text in texts:
        t0 = time.perf_counter()
        embedder.encode([text])
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95)}


def torch_threads() -> int | None:
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None


def by_kind(specs: list[Spec], latencies: list[float]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for s, ms in zip(specs, latencies, strict=True):
        grouped[s.kind].append(ms)
    return {kind: {"p50": percentile(v, 50), "p95": percentile(v, 95), "n": len(v)}
            for kind, v in sorted(grouped.items())}


def routes(specs: list[Spec], ids: list[int],
           outcomes: dict[int, tuple[str, bool]]) -> dict[str, Any]:
    """How the pipeline routed them: inquiries should be answered, the rest go to on-call."""
    states: dict[str, dict[str, int]] = {"inquiry": defaultdict(int), "other": defaultdict(int)}
    for s, i in zip(specs, ids, strict=True):
        states["inquiry" if s.inquiry else "other"][outcomes[i][0]] += 1
    return {
        "inquiries_answered": sum(states["inquiry"][st] for st in ANSWERED_STATES),
        "others_to_oncall": sum(n for st, n in states["other"].items()
                                if st not in ANSWERED_STATES),
        "states": {k: dict(sorted(v.items())) for k, v in states.items()},
    }


# -- the run ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=6000, help="invoices in the demo data")
    parser.add_argument("--tickets", type=int, default=300, help="tickets timed one by one")
    parser.add_argument("--burst", type=int, default=None,
                        help="tickets queued at once (default: --tickets)")
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--model", type=Path, default=None,
                        help="default: PAYOPS_MODEL_DIR or ./payops-model")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads before the model loads (default: torch's)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a cProfile of the timed phases here (pstats format)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)

    from triage import model_store

    directory = args.model or model_store.model_dir()
    if not (directory / "meta.json").exists():
        print(f"no model in {directory}: training one on the bundled corpus first", file=sys.stderr)
        _train(directory)
    with tempfile.TemporaryDirectory(prefix="payops-bench-bot-") as tmp:
        result = run(args, Path(tmp), directory)
    if args.json:
        print(json.dumps(result))
        return
    print_summary(result)


def run(args: argparse.Namespace, tmp: Path, model_dir: Path) -> dict[str, Any]:
    from bot.config import AccessSettings, JiraSettings, Settings, SlackSettings
    from bot.service import ModelNotReady, Service
    from models import Database
    from payables.clock import system_clock

    clock = system_clock
    load_start = round(os.getloadavg()[0], 2)
    t0 = time.perf_counter()
    db = Database(args.database_url or f"sqlite:///{tmp / 'bench.db'}")
    book = load_book(db, tmp / "demo", args.invoices, clock)
    data_s = time.perf_counter() - t0
    # Slack and Jira stated off: a PAYOPS_JIRA__URL in the environment must not turn them on.
    settings = Settings(database_url=db.url, model_dir=model_dir, worker_id="bench",
                        access=AccessSettings(local_users={"bench": ["*"]}),
                        slack=SlackSettings(), jira=JiraSettings())
    t0 = time.perf_counter()
    try:
        service = Service(settings, db=db, clock=clock)
    except ModelNotReady as exc:
        sys.exit(f"cannot load the triage model: {exc}")
    service.triager.embedder.load()
    model_s = time.perf_counter() - t0
    mix = Mix(db)
    alone = encode_alone(service.triager.embedder, mix)

    # Warm-up, not timed: the SLA clock's alarms on the fresh book, one ticket of each route.
    t0 = time.perf_counter()
    warm = service.run_once()
    enqueue(db, [mix.inquiry(), mix.ticket()], clock)
    service.run_once()
    warmup_s = time.perf_counter() - t0
    profiler = cProfile.Profile() if args.profile else None

    # Latency: one ticket at a time.
    specs = mix.make(args.tickets)
    latencies: list[float] = []
    ids: list[int] = []
    stages = Stages(service)
    if profiler:
        profiler.enable()
    t0 = time.perf_counter()
    for spec in specs:
        ids += enqueue(db, [spec], clock)
        arrived = time.perf_counter()
        service.worker.drain()
        service.deliver()
        latencies.append((time.perf_counter() - arrived) * 1000)
    latency_s = time.perf_counter() - t0
    if profiler:
        profiler.disable()
    stage_rows = stages.report(len(specs), latency_s)
    stages.restore()
    outcomes = answered(db, ids)

    # Throughput: a burst queued at once.
    burst_specs = mix.make(args.tickets if args.burst is None else args.burst)
    burst_ids = enqueue(db, burst_specs, clock)
    burst_stages = Stages(service)
    if profiler:
        profiler.enable()
    t0 = time.perf_counter()
    burst_run = service.run_once()
    burst_s = time.perf_counter() - t0
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    burst_stage_rows = burst_stages.report(len(burst_specs), burst_s)
    burst_stages.restore()
    burst_out = answered(db, burst_ids).values()
    burst_done = sum(1 for state, sent in burst_out if state != "new" and sent)
    database = db.safe_url
    db.dispose()

    inquiry = [ms for s, ms in zip(specs, latencies, strict=True) if s.inquiry]
    other = [ms for s, ms in zip(specs, latencies, strict=True) if not s.inquiry]
    inquiry_p95 = percentile(inquiry, 95)
    rate = round(burst_done / burst_s, 1) if burst_s else 0.0
    result: dict[str, Any] = {
        "tickets": len(specs), "inquiries": len(inquiry), "others": len(other),
        "database": database, "model": service.triager.model.version,
        "invoices_by_status": book,
    }
    for name, values in (("inquiry", inquiry), ("other", other)):
        for q in (50, 95, 99):
            result[f"{name}_p{q}_ms"] = percentile(values, q)
        result[f"{name}_max_ms"] = round(max(values), 1) if values else None
    result.update({
        "latency_by_kind_ms": by_kind(specs, latencies),
        "unanswered": sum(1 for _, sent in outcomes.values() if not sent),
        "routes": routes(specs, ids, outcomes),
        "burst_tickets": len(burst_specs),
        "burst_done": burst_done,
        "burst_seconds": round(burst_s, 2),
        "burst_tickets_per_s": rate,
        "burst_processed": burst_run.processed,
        "burst_delivered": burst_run.delivered,
        "stages": stage_rows,
        "burst_stages": burst_stage_rows,
        "stages_not_found": stages.missing,
        "setup_s": {"data": round(data_s, 1), "model": round(model_s, 1),
                    "warmup": round(warmup_s, 1), "warmup_alarms": warm.alarms},
        "encode_alone_ms": alone,
        "torch_threads": torch_threads(),
        "loadavg_1m": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
        "targets": {"inquiry_p95_ms": TARGET_INQUIRY_P95_MS,
                    "burst_tickets_per_s": TARGET_TICKETS_PER_S},
        "met": {"inquiry_p95_ms": inquiry_p95 is not None and inquiry_p95 < TARGET_INQUIRY_P95_MS,
                "burst_tickets_per_s": rate >= TARGET_TICKETS_PER_S},
        "profile": str(args.profile) if args.profile else None,
    })
    return result


def print_summary(r: dict[str, Any]) -> None:
    def ok(key: str) -> str:
        return "met" if r["met"][key] else "MISSED"

    s, e, la = r["setup_s"], r["encode_alone_ms"], r["loadavg_1m"]
    print(f"database   {r['database']}  (model {r['model']})")
    print("invoices   " + ", ".join(f"{k} {v}" for k, v in r["invoices_by_status"].items()))
    print(f"setup      data {s['data']} s, model load {s['model']} s, warm-up {s['warmup']} s "
          f"({s['warmup_alarms']} SLA alarms cut)")
    print(f"machine    one embedding alone p50 {e['p50']} ms, p95 {e['p95']} ms; torch threads "
          f"{r['torch_threads']}; load average {la['start']} at start, {la['end']} at end")
    print(f"\nlatency, one ticket at a time ({r['tickets']} tickets; insert -> answer sent):")
    for name, n in (("inquiry", r["inquiries"]), ("other", r["others"])):
        cols = "  ".join(f"{q} {r[f'{name}_{q}_ms']!s:>7} ms" for q in ("p50", "p95", "p99", "max"))
        print(f"  {name:<8} n={n:<4} {cols}")
    for kind, v in r["latency_by_kind_ms"].items():
        print(f"    {kind:<14} n={v['n']:<4} p50 {v['p50']!s:>7} ms  p95 {v['p95']!s:>7} ms")
    rt = r["routes"]
    print(f"  routed: {rt['inquiries_answered']}/{r['inquiries']} inquiries answered, "
          f"{rt['others_to_oncall']}/{r['others']} others to on-call; "
          f"unanswered {r['unanswered']}; states {json.dumps(rt['states'])}")
    print(f"\nburst: {r['burst_done']}/{r['burst_tickets']} tickets handled and delivered in "
          f"{r['burst_seconds']} s = {r['burst_tickets_per_s']} tickets/s "
          f"(run_once: processed {r['burst_processed']}, delivered {r['burst_delivered']})")
    for key, what in (("stages", "the latency run"), ("burst_stages", "the burst")):
        if r[key]:
            print(f"\nwhere the time of {what} goes (wall time, nested parts indented):")
            for row in r[key]:
                print(f"  {row['stage']:<38} {row['ms_per_ticket']:>8} ms/ticket  "
                      f"{row['share']:>6.1%}  {row['calls']} calls")
    if r["stages_not_found"]:
        print(f"  (not found, not timed: {', '.join(r['stages_not_found'])})")
    t = r["targets"]
    print(f"\ntargets: inquiry p95 < {t['inquiry_p95_ms']:.0f} ms: {ok('inquiry_p95_ms')} "
          f"({r['inquiry_p95_ms']} ms); >= {t['burst_tickets_per_s']:.0f} tickets/s: "
          f"{ok('burst_tickets_per_s')} ({r['burst_tickets_per_s']})")
    if r["profile"]:
        print(f"profile of the timed phases: {r['profile']}")


if __name__ == "__main__":
    main()

"""Playbooks at size: how long a wide fix takes to propose and to apply.

    python bench/playbooks.py [--invoices 6000] [--stuck 300] [--database-url URL] [--json]

Setup (not timed): the demo data set (seed 7, --invoices) ingested into a fresh SQLite
file (or --database-url), then --stuck of one client's validated invoices put back to
PARSED an hour ago, as if a pipeline stage had stalled; an alarm ticket names the client.

Timed: `Runner.propose` (diagnosis, plan, the engine's dry run on every affected invoice,
blast radius, audit; one transaction) and `Runner.apply` after approval (one transaction
per change, each a recorded re-validation, then verification), with the per-change rate.
Informational: no issue sets a target for these; they say how long on-call waits.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import Database, Invoice, Ticket  # noqa: E402
from payables.clock import fixed_clock  # noqa: E402
from payables.demo_data import write_demo_data  # noqa: E402
from payables.ingest import ingest_file  # noqa: E402
from payables.reference.loader import load_reference_dir  # noqa: E402
from playbooks.base import PlaybookOptions  # noqa: E402
from playbooks.policy import ApprovalPolicy  # noqa: E402
from playbooks.ports import AuditOnlyNotifier  # noqa: E402
from playbooks.runner import Runner  # noqa: E402

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _book(db: Database, directory: Path, invoices: int) -> None:
    clock = fixed_clock(NOW - timedelta(hours=2))
    write_demo_data(directory, today=NOW.date(), seed=7, invoices=invoices)
    with db.session() as session:
        load_reference_dir(session, directory, clock())
    for path in sorted((directory / "feeds").iterdir()):
        with db.session() as session:
            ingest_file(session, path, clock=clock)


def _stall(db: Database, count: int) -> tuple[str, int]:
    """Put `count` validated invoices of the busiest client back to PARSED, an hour ago."""
    with db.session() as session:
        client = session.execute(select(Invoice.client_id, func.count()).where(Invoice.status == "VALIDATED")
                                 .group_by(Invoice.client_id).order_by(func.count().desc()).limit(1)).one()[0]
        stalled = list(session.scalars(select(Invoice).where(Invoice.client_id == client,
                                                             Invoice.status == "VALIDATED")
                                       .order_by(Invoice.id).limit(count)))
        for inv in stalled:
            inv.status, inv.updated_at = "PARSED", NOW - timedelta(hours=1)
        ticket = Ticket(source="local", external_key="BENCH-1", title=f"STUCK: {client} invoices in PARSED",
                        body=f"client: {client}", reporter="monitoring", origin="alarm", created_at=NOW,
                        updated_at=NOW, state="escalated", revision=1, confirmed_root_cause="stuck_in_pipeline",
                        entities={"clients": [client], "invoices": []})
        session.add(ticket)
        session.flush()
        return client, ticket.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=6000)
    parser.add_argument("--stuck", type=int, default=300)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.database_url or f"sqlite:///{tmp}/bench.db")
        _book(db, Path(tmp) / "demo", args.invoices)
        client, ticket_id = _stall(db, args.stuck)
        clock = fixed_clock(NOW)
        runner = Runner(db, policy=ApprovalPolicy(approvers=frozenset({"bench-oncall"})),
                        notifier=AuditOnlyNotifier(clock), clock=clock, worker_id="bench",
                        options=PlaybookOptions(max_invoices=max(500, args.stuck)))
        started = time.perf_counter()
        with db.session() as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            proposal = runner.propose(session, ticket)
            assert proposal is not None
            pid, steps, playbook = proposal.id, len(proposal.plan["changes"]), proposal.playbook
        proposed = time.perf_counter() - started
        assert runner.decide(pid, "bench-oncall", approve=True).ok
        started = time.perf_counter()
        done = runner.apply(pid)
        applied = time.perf_counter() - started
        db.dispose()
    result = {"invoices": args.invoices, "stuck": args.stuck, "client": client, "playbook": playbook,
              "changes": steps, "state": done.state, "propose_s": round(proposed, 3),
              "propose_ms_per_invoice": round(proposed * 1000 / max(steps, 1), 2), "apply_s": round(applied, 3),
              "changes_per_s": round(steps / applied, 1) if applied else None}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{playbook}: {steps} stuck invoices of {client} (book of {args.invoices})")
    print(f"  propose (diagnosis, plan, dry run on every invoice, blast radius): {proposed:.2f} s "
          f"= {result['propose_ms_per_invoice']} ms per invoice")
    print(f"  apply after approval (one transaction and one recorded re-validation per change, then verify): "
          f"{applied:.2f} s = {result['changes_per_s']} changes/s; final state {done.state}")


if __name__ == "__main__":
    main()

"""Takes new tickets off the queue and runs the pipeline on each, one transaction a ticket.

A worker leases a ticket before working on it (`claimed_by`, `claimed_until`), so several
workers over one PostgreSQL database never take the same ticket, and a crashed worker's
tickets are taken again when the lease runs out. The pipeline's writes, the answers in
the outbox and the state change commit together: a ticket is handled once or not at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from bot.pipeline import Outcome, Pipeline
from bot.states import set_state
from models import Database, Ticket
from payables.clock import Clock
from triage.service import Prepared

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, db: Database, pipeline: Pipeline, *, worker_id: str, clock: Clock,
                 lease: timedelta = timedelta(minutes=5), max_attempts: int = 5,
                 on_outcome: Callable[[Outcome], None] | None = None) -> None:
        self.db = db
        self.pipeline = pipeline
        self.worker_id = worker_id
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.on_outcome = on_outcome
        # One ticket at a time: the triager's similar-ticket index is not thread-safe.
        self._lock = threading.Lock()

    def claim(self, limit: int = 20) -> list[int]:
        """Lease up to `limit` new tickets, oldest first."""
        now = self.clock()
        free = or_(Ticket.claimed_until.is_(None), Ticket.claimed_until < now)
        with self.db.session() as session:
            candidates = list(session.scalars(
                select(Ticket.id).where(Ticket.state == "new", free).order_by(Ticket.id).limit(limit)
                .with_for_update(skip_locked=True)))
            claimed = []
            for ticket_id in candidates:
                # The WHERE re-checks the lease: of two workers racing on SQLite, one wins.
                won = session.execute(
                    update(Ticket).where(and_(Ticket.id == ticket_id, Ticket.state == "new", free))
                    .values(claimed_by=self.worker_id, claimed_until=now + self.lease)
                    .execution_options(synchronize_session=False))
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(ticket_id)
        return claimed

    def release(self, ticket_ids: list[int]) -> None:
        """Give back leases not worked on (shutdown): another worker may take them at once."""
        if not ticket_ids:
            return
        with self.db.session() as session:
            session.execute(update(Ticket).where(Ticket.id.in_(ticket_ids), Ticket.claimed_by == self.worker_id,
                                                 Ticket.state == "new")
                            .values(claimed_by=None, claimed_until=None)
                            .execution_options(synchronize_session=False))

    def prepare(self, ticket_ids: list[int]) -> dict[int, Prepared]:
        """Embed and classify a claimed batch at once; a failure here only costs the speed-up."""
        try:
            with self.db.session() as session:
                tickets = list(session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))))
                # No lock: preparing reads the model only; `process` holds the lock.
                return self.pipeline.triager.prepare(tickets)
        except Exception:
            log.exception("could not prepare tickets %s as a batch; each is done alone", ticket_ids)
            return {}

    def process(self, ticket_id: int, prepared: Prepared | None = None) -> Outcome | None:
        with self._lock:
            try:
                with self.db.session() as session:
                    ticket = session.get(Ticket, ticket_id)
                    if ticket is None or ticket.state != "new" or ticket.claimed_by != self.worker_id:
                        return None
                    outcome = self.pipeline.process(session, ticket, prepared)
                    ticket.claimed_by, ticket.claimed_until, ticket.last_error = None, None, ""
            except Exception as exc:  # a bad ticket must not stop the queue
                log.exception("ticket %s failed in the pipeline", ticket_id)
                self._failed(ticket_id, exc)
                return None
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def _failed(self, ticket_id: int, exc: Exception) -> None:
        now = self.clock()
        with self.db.session() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return
            ticket.attempts += 1
            ticket.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            # Not before a back-off: a ticket that fails at once would otherwise spin the queue.
            ticket.claimed_by, ticket.claimed_until = None, now + timedelta(seconds=30 * 2 ** ticket.attempts)
            if ticket.attempts >= self.max_attempts:
                set_state(session, ticket, "needs_human", now=now,
                          reason=f"pipeline failed {ticket.attempts} times: {ticket.last_error}")

    def drain(self, stop: threading.Event | None = None, batch: int = 64) -> int:
        """Process new tickets until none is left or `stop` is set; returns how many.

        While one claimed batch goes through the pipeline, the next is embedded and
        classified in a second thread (torch releases the GIL), so both cores work.
        """
        def stopping() -> bool:
            return stop is not None and stop.is_set()

        def start(ids: list[int]) -> Future[dict[int, Prepared]] | None:
            return pool.submit(self.prepare, ids) if len(ids) > 1 else None

        done = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="payops-prepare") as pool:
            claimed = [] if stopping() else self.claim(batch)
            ahead = start(claimed)
            while claimed:
                prepared = ahead.result() if ahead is not None else {}
                following = [] if stopping() else self.claim(batch)
                ahead = start(following)
                for i, ticket_id in enumerate(claimed):
                    if stopping():
                        self.release(claimed[i:] + following)
                        return done
                    done += self.process(ticket_id, prepared.get(ticket_id)) is not None
                claimed = following
        return done

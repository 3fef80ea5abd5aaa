"""Ingesting a feed file into a batch, idempotently.

Every received record ends in exactly one of accepted, rejected, on hold or quarantined,
and the batch summary always satisfies received = accepted + rejected + on_hold +
quarantined. The same file twice (same bytes) is the same batch: nothing changes, and the
summary says so. A CSV batch keeps its header line beside the raw records, so that its rows
can be read again without the file (`payables.formats.dialect.reassemble`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from models import Batch, Invoice, RawRecord
from payables.canonical import Outcome, Status
from payables.clock import Clock, system_clock
from payables.formats import Feed, SourceRecord, read_feed
from payables.formats.dialect import header_line
from payables.formats.mapping import ClientMapping, bundled_mappings
from payables.reference.database import fill_from_client_master, reference_for
from payables.reference.lookup import ExistingInvoice
from payables.reference.memory import MemoryReference
from payables.rules.base import RuleContext
from payables.rules.registry import RuleSet, default_ruleset
from payables.store import BatchRows, reserve

log = logging.getLogger(__name__)

OUTCOME_OF = {Status.VALIDATED: Outcome.ACCEPTED, Status.REJECTED: Outcome.REJECTED,
              Status.ON_HOLD: Outcome.ON_HOLD}


@dataclass(frozen=True)
class BatchSummary:
    batch_id: int
    file: str
    format: str
    received: int
    accepted: int
    rejected: int
    on_hold: int
    quarantined: int
    duplicates_skipped: int
    already_ingested: bool
    rules_version: str
    reference_version: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def ingest_file(
    session: Session,
    path: Path,
    *,
    mapping: ClientMapping | None = None,
    defaults: Mapping[str, str] | None = None,
    ruleset: RuleSet | None = None,
    clock: Clock = system_clock,
) -> BatchSummary:
    """Ingest one file in the session's transaction (the caller commits)."""
    return ingest_bytes(session, str(path), path.read_bytes(), mapping=mapping, defaults=defaults,
                        ruleset=ruleset, clock=clock)


def ingest_bytes(
    session: Session,
    name: str,
    data: bytes,
    *,
    mapping: ClientMapping | None = None,
    defaults: Mapping[str, str] | None = None,
    ruleset: RuleSet | None = None,
    clock: Clock = system_clock,
) -> BatchSummary:
    """Ingest a feed received as `data` under `name` (the batch's source_name; its suffix,
    like a file's, may say the format) in the session's transaction (the caller commits)."""
    digest = hashlib.sha256(data).hexdigest()
    done = session.scalars(select(Batch).where(Batch.sha256 == digest)).one_or_none()
    if done is not None:
        log.info("file %s already ingested as batch %s", name, done.id)
        return _summary(done, name, already=True)
    ruleset = ruleset or default_ruleset()
    now = clock()
    feed = read_feed(Path(name), data, mapping, defaults)
    records = list(feed.records)
    conn = session.connection()
    invoices = [r.invoice for r in records if r.invoice is not None]
    fill_from_client_master(conn, invoices)
    reference = reference_for(conn, invoices)
    batch = Batch(source_name=name, sha256=digest, format=feed.format, mapping=feed.mapping,
                  header=_header(data, feed, mapping), received_at=now, rules_version=ruleset.version,
                  reference_version=reference.version, skipped_rules="")
    session.add(batch)
    session.flush()  # the batch row is written first: on SQLite this takes the write lock
    rows = BatchRows(batch.id, now)
    skipped = _judge_records(conn, records, rows, reference, ruleset, now)
    rows.write(conn)
    counts = rows.outcome_counts()
    for outcome in Outcome:
        setattr(batch, outcome.value, counts.get(outcome.value, 0))
    batch.received = len(records)
    batch.skipped_rules = " ".join(sorted(skipped))
    session.flush()
    assert batch.received == batch.accepted + batch.rejected + batch.on_hold + batch.quarantined
    log.info("ingested %s as batch %s", name, batch.id, extra={"received": batch.received})
    return _summary(batch, name, already=False)


def _header(data: bytes, feed: Feed, mapping: ClientMapping | None) -> str | None:
    """The header line of a CSV-type feed, decoded as its rows are; None for JSONL and UBL."""
    if feed.format == "csv":
        return header_line(data)
    if feed.format != "mapped-csv":
        return None
    if mapping is None:  # read_feed found it among the bundled mappings
        mapping = next((m for m in bundled_mappings() if m.name == feed.mapping), None)
    return header_line(data, mapping.encoding if mapping is not None else "utf-8")


def _judge_records(
    conn: Connection,
    records: list[SourceRecord],
    rows: BatchRows,
    reference: MemoryReference,
    ruleset: RuleSet,
    now: datetime,
) -> set[str]:
    """Judge every record into `rows`; returns the rules skipped for want of reference data."""
    raw_ids = reserve(conn, RawRecord, len(records))
    invoice_ids = reserve(conn, Invoice, len(records))
    ctx = RuleContext(reference=reference, now=now, ingested_at=now)
    available = reference.loaded
    skipped: set[str] = set()
    for record in records:
        raw_id = raw_ids.take()
        inv = record.invoice
        if inv is None:
            rows.add_raw(raw_id, record.line_no, record.raw, Outcome.QUARANTINED, record.error, None)
            continue
        evaluation = ruleset.evaluate(inv, ctx, available)
        skipped.update(evaluation.skipped)
        existing = reference.existing_invoice(inv.key)
        status = evaluation.status
        if existing is not None and status == Status.REJECTED and any(
            f.rule == "DUP-01" for f in evaluation.findings
        ):
            # The row repeats a live invoice: it is rejected and kept, the invoice untouched.
            rows.add_raw(raw_id, record.line_no, record.raw, Outcome.REJECTED, None, existing.invoice_id,
                         evaluation.findings)
            continue
        replaces = existing.status if existing is not None and existing.status == Status.REJECTED else None
        invoice_id = existing.invoice_id if replaces and existing and existing.invoice_id else invoice_ids.take()
        rows.add_raw(raw_id, record.line_no, record.raw, OUTCOME_OF[status], None, invoice_id,
                     evaluation.findings)
        rows.put_invoice(invoice_id, inv, status, raw_id, replaces=replaces)
        reference.remember(
            ExistingInvoice(invoice_id, inv.client_id, inv.vendor_id, inv.invoice_number, str(status),
                            earlier_in_file=True),
            inv.total_amount, inv.invoice_date,
        )
    return skipped


def _summary(batch: Batch, name: str, *, already: bool) -> BatchSummary:
    if already:
        return BatchSummary(batch.id, name, batch.format, 0, 0, 0, 0, 0, batch.received, True,
                            batch.rules_version, batch.reference_version)
    return BatchSummary(batch.id, name, batch.format, batch.received, batch.accepted,
                        batch.rejected, batch.on_hold, batch.quarantined, 0, False,
                        batch.rules_version, batch.reference_version)


"""One UTC day of the invoice pipeline, rolled up from batches, raw records, invoices and
findings into `metrics_pipeline_daily` and `metrics_rule_daily`.

A day is recomputed whole (its rows replaced), so running the job twice, or again after
a late correction, gives the same rows. Everything is counted at ingestion: the outcome
each received row got, and the findings the engine made then.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from models import Batch, Client, Finding, Invoice, PipelineDay, RawRecord, RuleDay

Key = tuple[str, str, str]  # client, business line, geography
OUTCOMES = ("accepted", "rejected", "on_hold", "quarantined")
SEVERITY_ORDER = ("warn", "hold", "block", "incident")
CLIENT_IN_NAME = re.compile(r"\b(C\d{3,})\b")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def roll_up_pipeline_day(session: Session, day: date, *, now: datetime) -> int:
    """Replace `day`'s rows; returns the number of received rows it counted."""
    start, end = day_bounds(day)
    counts: dict[Key, Counter[str]] = defaultdict(Counter)
    by_batch: dict[int, Counter[Key]] = defaultdict(Counter)
    for batch_id, key, outcome, n, immediate, breached in _outcome_rows(session, start, end, now):
        counts[key][outcome] += n
        counts[key]["immediate"] += immediate
        counts[key]["sla_breached"] += breached
        by_batch[batch_id][key] += n
    quarantined = _quarantined_by_batch(session, start, end)
    if quarantined:
        owners = _batch_owners(session, quarantined, by_batch)
        for batch_id, n in quarantined.items():
            counts[owners[batch_id]]["quarantined"] += n
    rules = _rule_rows(session, start, end)

    session.execute(delete(PipelineDay).where(PipelineDay.day == day))
    session.execute(delete(RuleDay).where(RuleDay.day == day))
    session.add_all(
        PipelineDay(day=day, client_id=k[0], business_line=k[1], geography=k[2],
                    received=sum(c[o] for o in OUTCOMES), **{o: c[o] for o in OUTCOMES},
                    immediate=c["immediate"], sla_breached=c["sla_breached"])
        for k, c in counts.items())
    session.add_all(RuleDay(day=day, client_id=k[0], business_line=k[1], geography=k[2], rule=rule,
                            severity=severity, findings=n)
                    for (k, rule), (severity, n) in rules.items())
    session.flush()
    return sum(sum(c[o] for o in OUTCOMES) for c in counts.values())


def _outcome_rows(session: Session, start: datetime, end: datetime,
                  now: datetime) -> list[tuple[int, Key, str, int, int, int]]:
    # Each invoice counts once for the SLA: through the raw record it now stands on.
    current = RawRecord.id == Invoice.raw_record_id
    immediate = and_(current, Invoice.payment_terms == "IMMEDIATE", Invoice.status != "CANCELLED")
    late = or_(Invoice.scheduled_at > Invoice.payment_deadline,
               and_(Invoice.scheduled_at.is_(None), Invoice.payment_deadline < now))
    rows = session.execute(
        select(RawRecord.batch_id, Invoice.client_id, Invoice.business_line, Invoice.geography, RawRecord.outcome,
               func.count(), func.sum(case((immediate, 1), else_=0)),
               func.sum(case((and_(immediate, late), 1), else_=0)))
        .join(Batch, Batch.id == RawRecord.batch_id).join(Invoice, Invoice.id == RawRecord.invoice_id)
        .where(Batch.received_at >= start, Batch.received_at < end)
        .group_by(RawRecord.batch_id, Invoice.client_id, Invoice.business_line, Invoice.geography,
                  RawRecord.outcome))
    return [(b, (c, bl, g), o, int(n), int(i or 0), int(s or 0)) for b, c, bl, g, o, n, i, s in rows]


def _quarantined_by_batch(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    rows = session.execute(
        select(RawRecord.batch_id, func.count()).join(Batch, Batch.id == RawRecord.batch_id)
        .where(Batch.received_at >= start, Batch.received_at < end, RawRecord.outcome == "quarantined")
        .group_by(RawRecord.batch_id))
    return {b: int(n) for b, n in rows}


def _batch_owners(session: Session, batch_ids: dict[int, int], by_batch: dict[int, Counter[Key]]) -> dict[int, Key]:
    """Whose rows a batch's unreadable rows were: the client most of its readable rows
    belong to, else a client named in the file name (a feed that broke entirely), else
    nobody (''), which the dashboard shows as unattributed."""
    owners: dict[int, Key] = {}
    names = dict(session.execute(select(Batch.id, Batch.source_name).where(Batch.id.in_(list(batch_ids)))).all())
    clients = {c.client_id: c for c in session.scalars(select(Client))}
    for batch_id in batch_ids:
        if by_batch.get(batch_id):
            owners[batch_id] = by_batch[batch_id].most_common(1)[0][0]
            continue
        named = [m for m in CLIENT_IN_NAME.findall(names.get(batch_id, "")) if m in clients]
        client = clients.get(named[0]) if named else None
        owners[batch_id] = (client.client_id, client.business_line, "") if client else ("", "", "")
    return owners


def _rule_rows(session: Session, start: datetime, end: datetime) -> dict[tuple[Key, str], tuple[str, int]]:
    rows = session.execute(
        select(Invoice.client_id, Invoice.business_line, Invoice.geography, Finding.rule, Finding.severity,
               func.count())
        .select_from(Finding).join(RawRecord, RawRecord.id == Finding.raw_record_id)
        .join(Batch, Batch.id == RawRecord.batch_id).join(Invoice, Invoice.id == RawRecord.invoice_id)
        .where(Batch.received_at >= start, Batch.received_at < end)
        .group_by(Invoice.client_id, Invoice.business_line, Invoice.geography, Finding.rule, Finding.severity))
    out: dict[tuple[Key, str], tuple[str, int]] = {}
    for client, line, geo, rule, severity, n in rows:
        key = ((client, line, geo), rule)
        known, total = out.get(key, ("warn", 0))
        # A rule reports one severity; keep the strongest if a day saw two (a waiver's warn).
        strongest = max(known, severity, key=lambda s: SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else -1)
        out[key] = (strongest, total + int(n))
    return out

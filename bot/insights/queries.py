"""Reads of the rolled-up metrics under a manager's filters, plus the few figures that
must be live (the backlog and the immediate-pay invoices at risk right now)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.insights.filters import Filters
from models import Client, Invoice, PipelineDay, Proposal, RuleDay, TicketFact
from payables.canonical import Status

COUNTS = ("received", "accepted", "rejected", "on_hold", "quarantined", "immediate", "sla_breached")
BACKLOG = (Status.RECEIVED, Status.PARSED, Status.ON_HOLD)
UNSCHEDULED = (Status.RECEIVED, Status.PARSED, Status.VALIDATED, Status.REJECTED, Status.ON_HOLD)
SOON = timedelta(minutes=30)
Q = TypeVar("Q")


@dataclass
class PipelineCounts:
    """Invoice counts at ingestion; rates are shares of the rows received."""

    key: str
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    on_hold: int = 0
    quarantined: int = 0
    immediate: int = 0
    sla_breached: int = 0

    def add(self, row: Any) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + int(getattr(row, name)))

    @property
    def rejection_rate(self) -> float | None:
        return self.rejected / self.received if self.received else None

    @property
    def hold_rate(self) -> float | None:
        return self.on_hold / self.received if self.received else None

    @property
    def quarantine_rate(self) -> float | None:
        return self.quarantined / self.received if self.received else None


def _scoped(query: Q, f: Filters, client_col: Any, line_col: Any) -> Q:
    scoped: Any = query
    if f.client:
        scoped = scoped.where(client_col == f.client)
    if f.business_line:
        scoped = scoped.where(line_col == f.business_line)
    return cast(Q, scoped)


def pipeline_rows(session: Session, f: Filters) -> list[PipelineDay]:
    query = select(PipelineDay).where(PipelineDay.day >= f.start, PipelineDay.day <= f.end)
    return list(session.scalars(_scoped(query, f, PipelineDay.client_id, PipelineDay.business_line)))


def pipeline_by(rows: Sequence[PipelineDay], dimension: str) -> list[PipelineCounts]:
    """Totals per day, client_id, business_line or geography; biggest first (days in order)."""
    out: dict[str, PipelineCounts] = {}
    for row in rows:
        key = str(getattr(row, dimension))
        out.setdefault(key, PipelineCounts(key)).add(row)
    if dimension == "day":
        return sorted(out.values(), key=lambda c: c.key)
    return sorted(out.values(), key=lambda c: (-c.received, c.key))


def pipeline_days(rows: Sequence[PipelineDay], f: Filters) -> list[PipelineCounts]:
    """One entry per day of the range, zero where nothing arrived."""
    found = {c.key: c for c in pipeline_by(rows, "day")}
    return [found.get(d.isoformat(), PipelineCounts(d.isoformat())) for d in f.days]


def pipeline_total(rows: Sequence[PipelineDay]) -> PipelineCounts:
    total = PipelineCounts("total")
    for row in rows:
        total.add(row)
    return total


def rule_rows(session: Session, f: Filters) -> list[RuleDay]:
    query = select(RuleDay).where(RuleDay.day >= f.start, RuleDay.day <= f.end)
    return list(session.scalars(_scoped(query, f, RuleDay.client_id, RuleDay.business_line)))


def findings_by_rule(rows: Sequence[RuleDay], *, stopping_only: bool = True) -> list[tuple[str, str, int]]:
    """(rule, severity, findings), most first; by default only rules that stop invoices."""
    counts: Counter[str] = Counter()
    severity: dict[str, str] = {}
    for row in rows:
        if stopping_only and row.severity == "warn":
            continue
        counts[row.rule] += row.findings
        severity[row.rule] = row.severity
    return [(rule, severity[rule], n) for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def ticket_facts(session: Session, f: Filters) -> list[TicketFact]:
    query = select(TicketFact).where(TicketFact.day >= f.start, TicketFact.day <= f.end)
    return list(session.scalars(_scoped(query, f, TicketFact.client_id, TicketFact.business_line)
                                .order_by(TicketFact.created_at)))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class TicketFlow:
    total: int
    by_cut: dict[str, int]
    by_category: dict[str, int]
    by_root_cause: dict[str, int]
    by_client: dict[str, int]
    per_day: dict[str, dict[str, int]]  # day -> category -> tickets
    deflected: int
    deflection_rate: float | None
    first_response_p50: float | None
    first_response_p90: float | None
    resolution_p50: float | None
    resolution_p90: float | None
    open_now: int
    deflected_per_day: dict[str, int] = field(default_factory=dict)


def ticket_flow(facts: Sequence[TicketFact], f: Filters) -> TicketFlow:
    per_day: dict[str, dict[str, int]] = {d.isoformat(): {} for d in f.days}
    deflected_per_day: dict[str, int] = {d.isoformat(): 0 for d in f.days}
    for fact in facts:
        day = per_day.setdefault(fact.day.isoformat(), {})
        day[fact.category] = day.get(fact.category, 0) + 1
        if fact.deflected:
            deflected_per_day[fact.day.isoformat()] = deflected_per_day.get(fact.day.isoformat(), 0) + 1
    deflected = sum(1 for x in facts if x.deflected)
    first = [float(x.first_response_seconds) for x in facts if x.first_response_seconds is not None]
    resolved = [float(x.resolution_seconds) for x in facts if x.resolution_seconds is not None]
    return TicketFlow(
        total=len(facts), by_cut=_count(x.cut for x in facts), by_category=_count(x.category for x in facts),
        by_root_cause=_count(x.root_cause for x in facts),
        by_client=_count(x.client_id or "(none named)" for x in facts), per_day=per_day,
        deflected=deflected, deflection_rate=deflected / len(facts) if facts else None,
        first_response_p50=percentile(first, 0.5), first_response_p90=percentile(first, 0.9),
        resolution_p50=percentile(resolved, 0.5), resolution_p90=percentile(resolved, 0.9),
        open_now=sum(1 for x in facts if x.state not in ("answered", "resolved")),
        deflected_per_day=deflected_per_day)


def _count(values: Any) -> dict[str, int]:
    return dict(Counter(values).most_common())


# A proposal's fate as a manager reads it.
FATE = {"shadow": "shadow", "proposed": "waiting", "approved": "approved", "applying": "approved",
        "rejected": "rejected", "expired": "expired", "verified": "verified", "failed": "failed",
        "rolled_back": "rolled back"}


@dataclass
class PlaybookStats:
    playbook: str
    proposed: int = 0
    approved: int = 0  # by a person
    auto: int = 0  # applied without one, under the policy
    rejected: int = 0
    expired: int = 0
    waiting: int = 0
    verified: int = 0
    failed: int = 0  # failed or rolled back

    @property
    def success_rate(self) -> float | None:
        """Verified among those that were applied and finished."""
        done = self.verified + self.failed
        return self.verified / done if done else None

    @property
    def approval_rate(self) -> float | None:
        decided = self.approved + self.auto + self.rejected
        return (self.approved + self.auto) / decided if decided else None


def playbook_stats(session: Session, f: Filters) -> list[PlaybookStats]:
    """Proposals made in the range for tickets in scope (shadow runs left out)."""
    start = datetime.combine(f.start, time(0), tzinfo=UTC)
    end = datetime.combine(f.end + timedelta(days=1), time(0), tzinfo=UTC)
    query = (select(Proposal.playbook, Proposal.state, Proposal.mode, Proposal.decided_by, func.count())
             .outerjoin(TicketFact, TicketFact.ticket_id == Proposal.ticket_id)
             .where(Proposal.created_at >= start, Proposal.created_at < end, Proposal.state != "shadow")
             .group_by(Proposal.playbook, Proposal.state, Proposal.mode, Proposal.decided_by))
    stats: dict[str, PlaybookStats] = {}
    for playbook, state, mode, decided_by, n in session.execute(
            _scoped(query, f, TicketFact.client_id, TicketFact.business_line)):
        s = stats.setdefault(playbook, PlaybookStats(playbook))
        s.proposed += n
        if state == "proposed":
            s.waiting += n
        elif state in ("rejected", "expired"):
            setattr(s, state, getattr(s, state) + n)
        elif mode == "auto" and not decided_by:
            s.auto += n
        else:
            s.approved += n
        if state == "verified":
            s.verified += n
        elif state in ("failed", "rolled_back"):
            s.failed += n
    return sorted(stats.values(), key=lambda s: (-s.proposed, s.playbook))


@dataclass(frozen=True)
class Backlog:
    key: str
    invoices: int
    oldest: datetime | None

    def age_hours(self, now: datetime) -> float | None:
        return (now - self.oldest).total_seconds() / 3600 if self.oldest else None


def backlog_by_client(session: Session, f: Filters, now: datetime) -> list[Backlog]:
    """Invoices that should have moved on and have not, live: stuck before validation
    (received, parsed), waiting for a person (on hold), or validated and unscheduled past
    their due date or 2-hour deadline. Validated invoices waiting for their due date are
    not backlog: that is their terms."""
    overdue = and_(Invoice.status == str(Status.VALIDATED), Invoice.scheduled_at.is_(None),
                   or_(Invoice.due_date < now.date(), Invoice.payment_deadline < now))
    query = (select(Invoice.client_id, func.count(), func.min(Invoice.ingested_at))
             .where(or_(Invoice.status.in_([str(s) for s in BACKLOG]), overdue)).group_by(Invoice.client_id))
    rows = session.execute(_scoped(query, f, Invoice.client_id, Invoice.business_line))
    return sorted((Backlog(c, int(n), oldest) for c, n, oldest in rows), key=lambda b: (-b.invoices, b.key))


@dataclass(frozen=True)
class AtRisk:
    invoice_number: str
    client_id: str
    vendor_id: str
    status: str
    deadline: datetime
    amount: Decimal | None
    currency: str

    def minutes_left(self, now: datetime) -> int:
        return int((self.deadline - now).total_seconds() // 60)


def _at_risk(query: Q, f: Filters, now: datetime) -> Q:
    """Immediate-pay invoices not scheduled yet whose 2 hours are still running."""
    scoped: Any = _scoped(query, f, Invoice.client_id, Invoice.business_line)
    return cast(Q, scoped.where(Invoice.payment_terms == "IMMEDIATE", Invoice.scheduled_at.is_(None),
                                Invoice.status.in_([str(s) for s in UNSCHEDULED]), Invoice.payment_deadline > now))


def immediate_at_risk(session: Session, f: Filters, now: datetime, limit: int = 50) -> list[AtRisk]:
    """The `limit` at risk with the soonest deadlines (count_at_risk says how many in all)."""
    query = _at_risk(select(Invoice), f, now).order_by(Invoice.payment_deadline).limit(limit)
    return [AtRisk(i.invoice_number, i.client_id, i.vendor_id, i.status, i.payment_deadline, i.total_amount,
                   i.currency)
            for i in session.scalars(query) if i.payment_deadline is not None]


def count_at_risk(session: Session, f: Filters, now: datetime) -> tuple[int, int]:
    """How many are at risk, and how many of them have SOON or less left."""
    soon = func.sum(case((Invoice.payment_deadline <= now + SOON, 1), else_=0))
    total, within = session.execute(_at_risk(select(func.count(), soon).select_from(Invoice), f, now)).one()
    return int(total), int(within or 0)


def scope_choices(session: Session) -> tuple[list[str], dict[str, str]]:
    """The clients (with their business line) a filter can name."""
    lines = {c: line for c, line in session.execute(select(Client.client_id, Client.business_line))}
    seen = set(session.scalars(select(PipelineDay.client_id).distinct()))
    clients = sorted((set(lines) | seen) - {""})
    return clients, {c: lines.get(c, "") for c in clients}


def series_by(rows: Sequence[Any], key: str, value: str) -> dict[str, dict[date, float]]:
    """{key value: {day: summed value}} from roll-up rows, for the outlier rule."""
    out: dict[str, dict[date, float]] = defaultdict(dict)
    for row in rows:
        by_day = out[str(getattr(row, key))]
        by_day[row.day] = by_day.get(row.day, 0.0) + float(getattr(row, value))
    return dict(out)

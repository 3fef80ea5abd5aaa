"""The metrics in Prometheus' text format (`/metrics`), read from the roll-up at scrape time.

Counters are totals since the first day rolled up (Prometheus takes rates itself);
gauges are the state now (backlog, immediate-pay invoices at risk) or over the last
7 days (response times, deflection). Reading the roll-up instead of keeping counters in
memory means every worker answers the same, whichever one runs the scheduler.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.insights.filters import Filters
from bot.insights.queries import (
    backlog_by_client,
    count_at_risk,
    percentile,
    playbook_stats,
)
from models import Database, PipelineDay, RollupRun, RuleDay, TicketFact
from payables.clock import Clock

RECENT = timedelta(days=7)
OUTCOMES = ("accepted", "rejected", "on_hold", "quarantined")


class PayopsCollector(Collector):
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        with self.db.session() as session:
            yield from _invoices(session)
            yield from _tickets(session, now)
            yield from _playbooks(session, now)
            yield from _live(session, now)
            yield from _rollup(session)


def _invoices(session: Session) -> Iterator[Metric]:
    received = CounterMetricFamily("payops_invoices_received", "Feed rows received, by what ingestion made of them",
                                   labels=["client", "business_line", "geography", "outcome"])
    breaches = CounterMetricFamily("payops_sla_breaches", "Immediate-pay invoices not scheduled within 2 hours (SLA-01)",
                                   labels=["client", "business_line"])
    columns = [func.sum(getattr(PipelineDay, o)) for o in (*OUTCOMES, "sla_breached")]
    sla: dict[tuple[str, str], float] = {}
    for client, line, geo, *sums in session.execute(
            select(PipelineDay.client_id, PipelineDay.business_line, PipelineDay.geography, *columns)
            .group_by(PipelineDay.client_id, PipelineDay.business_line, PipelineDay.geography)):
        for outcome, n in zip(OUTCOMES, sums[:4], strict=True):
            received.add_metric([client, line, geo, outcome], float(n or 0))
        sla[(client, line)] = sla.get((client, line), 0.0) + float(sums[4] or 0)
    for (client, line), n in sorted(sla.items()):
        breaches.add_metric([client, line], n)
    findings = CounterMetricFamily("payops_rule_findings", "Findings at ingestion, by rule",
                                   labels=["rule", "severity", "client"])
    for rule, severity, client, n in session.execute(
            select(RuleDay.rule, RuleDay.severity, RuleDay.client_id, func.sum(RuleDay.findings))
            .group_by(RuleDay.rule, RuleDay.severity, RuleDay.client_id)):
        findings.add_metric([rule, severity, client], float(n or 0))
    yield from (received, breaches, findings)


def _tickets(session: Session, now: datetime) -> Iterator[Metric]:
    tickets = CounterMetricFamily("payops_tickets", "Tickets, by cut, category and root cause",
                                  labels=["cut", "category", "root_cause"])
    deflected = CounterMetricFamily("payops_tickets_deflected", "Tickets payops closed with no person",
                                    labels=["cut"])
    per_cut: dict[str, float] = {}
    for cut, category, cause, n, d in session.execute(
            select(TicketFact.cut, TicketFact.category, TicketFact.root_cause, func.count(),
                   func.sum(case((TicketFact.deflected, 1), else_=0)))
            .group_by(TicketFact.cut, TicketFact.category, TicketFact.root_cause)):
        tickets.add_metric([cut, category, cause], float(n))
        per_cut[cut] = per_cut.get(cut, 0.0) + float(d or 0)
    for cut, n in sorted(per_cut.items()):
        deflected.add_metric([cut], n)
    yield from (tickets, deflected)

    since = now.date() - RECENT
    recent = list(session.execute(select(TicketFact.deflected, TicketFact.first_response_seconds,
                                         TicketFact.resolution_seconds).where(TicketFact.day > since)))
    ratio = GaugeMetricFamily("payops_deflection_ratio", "Share of the last 7 days' tickets payops closed alone")
    ratio.add_metric([], sum(1 for r in recent if r[0]) / len(recent) if recent else 0.0)
    yield ratio
    for name, index, words in (("first_response", 1, "first response"), ("resolution", 2, "resolution")):
        values = [float(v) for r in recent if (v := r[index]) is not None]
        gauge = GaugeMetricFamily(f"payops_ticket_{name}_seconds", f"Time to {words}, last 7 days' tickets",
                                  labels=["quantile"])
        for q in (0.5, 0.9):
            value = percentile(values, q)
            if value is not None:
                gauge.add_metric([str(q)], value)
        yield gauge


def _playbooks(session: Session, now: datetime) -> Iterator[Metric]:
    proposals = CounterMetricFamily("payops_playbook_proposals", "Playbook proposals, by what became of them",
                                    labels=["playbook", "outcome"])
    everything = Filters(now.date() - timedelta(days=3650), now.date())
    for s in playbook_stats(session, everything):
        for outcome in ("approved", "auto", "rejected", "expired", "waiting", "verified", "failed"):
            proposals.add_metric([s.playbook, outcome], float(getattr(s, outcome)))
    yield proposals


def _live(session: Session, now: datetime) -> Iterator[Metric]:
    everyone = Filters(now.date(), now.date())
    total, soon = count_at_risk(session, everyone, now)
    at_risk = GaugeMetricFamily("payops_immediate_pay_at_risk", "Immediate-pay invoices unscheduled, 2 hours running",
                                labels=["within"])
    at_risk.add_metric(["2h"], float(total))
    at_risk.add_metric(["30m"], float(soon))
    backlog = GaugeMetricFamily("payops_backlog_invoices", "Invoices received but not yet scheduled or finished",
                                labels=["client"])
    oldest = GaugeMetricFamily("payops_backlog_oldest_age_seconds", "Age of the oldest invoice in the backlog",
                               labels=["client"])
    for b in backlog_by_client(session, everyone, now):
        backlog.add_metric([b.key], float(b.invoices))
        if b.oldest is not None:
            oldest.add_metric([b.key], (now - b.oldest).total_seconds())
    yield from (at_risk, backlog, oldest)


def _rollup(session: Session) -> Iterator[Metric]:
    last = session.scalars(select(RollupRun).order_by(RollupRun.id.desc()).limit(1)).first()
    finished = GaugeMetricFamily("payops_metrics_rollup_last_success_timestamp_seconds",
                                 "When the metrics roll-up last finished (Unix time)")
    took = GaugeMetricFamily("payops_metrics_rollup_duration_seconds", "How long the last roll-up took")
    if last is not None:
        finished.add_metric([], last.finished_at.timestamp())
        took.add_metric([], last.took_ms / 1000)
    yield from (finished, took)


def exposition(db: Database, clock: Clock) -> bytes:
    """The text a scrape of /metrics gets."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PayopsCollector(db, clock))
    return generate_latest(registry)

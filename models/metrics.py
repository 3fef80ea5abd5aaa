"""Metrics rolled up from the operational tables by a scheduled job, for the dashboard,
the outlier call-outs, the recurrence report and Prometheus.

Invoice counts are additive per UTC day and (client, business line, geography), so any
filter of the dashboard is a sum. Tickets are few (thousands a week), so each gets one
row of facts (its labels, client, and the durations that need its whole history) and
percentiles are taken over the rows a filter selects.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class PipelineDay(Base):
    """What one day's feeds did, by client, business line and geography (at ingestion).

    `immediate` counts the immediate-pay invoices received that day; `sla_breached` those
    not scheduled within their 2 hours (still unscheduled past the deadline, or scheduled
    after it) as of the roll-up.
    """

    __tablename__ = "metrics_pipeline_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    business_line: Mapped[str] = mapped_column(String(16), primary_key=True)
    geography: Mapped[str] = mapped_column(String(2), primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    on_hold: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    immediate: Mapped[int] = mapped_column(Integer, default=0)
    sla_breached: Mapped[int] = mapped_column(Integer, default=0)


class RuleDay(Base):
    """Findings at ingestion per day, rule and (client, business line, geography)."""

    __tablename__ = "metrics_rule_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    business_line: Mapped[str] = mapped_column(String(16), primary_key=True)
    geography: Mapped[str] = mapped_column(String(2), primary_key=True)
    rule: Mapped[str] = mapped_column(String(48), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16))
    findings: Mapped[int] = mapped_column(Integer, default=0)


class TicketFact(Base):
    """One ticket as the metrics see it. Durations in seconds; None until it happened.

    `deflected`: payops answered or closed it and no person was needed (it never went to
    needs_human or escalated). `human_seconds`: how long it waited on a person (time in
    needs_human or escalated), the stand-in for time spent: payops cannot see effort.
    """

    __tablename__ = "metrics_ticket_facts"

    ticket_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    day: Mapped[date] = mapped_column(Date)
    cut: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(24))
    root_cause: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(16), default="")
    business_line: Mapped[str] = mapped_column(String(16), default="")
    state: Mapped[str] = mapped_column(String(24))
    deflected: Mapped[bool] = mapped_column(default=False)
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    human_seconds: Mapped[int] = mapped_column(Integer, default=0)
    rolled_up_at: Mapped[datetime] = mapped_column(UtcDateTime)


Index("ix_metrics_ticket_facts_day", TicketFact.day)


class RollupRun(Base):
    """One run of the roll-up job: what it covered and how long it took."""

    __tablename__ = "metrics_rollup_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    tickets: Mapped[int] = mapped_column(Integer)
    took_ms: Mapped[int] = mapped_column(Integer)

"""The recurrence report: what keeps coming back, what it costs, and what to automate next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.insights.filters import Filters


@dataclass(frozen=True)
class Problem:
    key: str  # the root cause, or "cluster-<n>" for a recurring problem among `unknown` tickets
    name: str  # readable: "missing FX rate", or the cluster's terms "remittance advice · copy"
    kind: str  # root_cause, cluster, one_offs
    tickets: int
    per_week: tuple[int, ...]  # tickets per week, aligned with RecurrenceReport.weeks
    trend: str  # rising, falling, steady, new
    playbook: str | None  # the playbook that covers it; None: a candidate for a root-cause fix
    human_hours: float  # time the tickets spent with a person
    deflected: int  # closed by payops alone
    success_rate: float | None  # its playbook's verified share of finished applies
    score: float  # automate next: hours a week it would save (recurrence x handling x success)
    advice: str  # plain words: what to do about it
    example: str  # one ticket's title, to recognise it by
    ticket_keys: tuple[str, ...] = ()  # a few tickets, for whoever picks it up


@dataclass(frozen=True)
class RecurrenceReport:
    filters: Filters
    generated_at: datetime
    weeks: tuple[date, ...]  # the Mondays of the weeks covered
    problems: tuple[Problem, ...]  # most tickets first
    ranking: tuple[Problem, ...]  # automate next: highest score first
    total_tickets: int
    assumed_success: float  # the success rate assumed for work no playbook covers yet
    notes: tuple[str, ...] = field(default_factory=tuple)


def recurrence_report(session: Session, f: Filters, now: datetime) -> RecurrenceReport:
    raise NotImplementedError  # in progress

"""Everything the dashboard shows for one filter, read in one session: what the page,
the Slack post and `/metrics` render from."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import HANDLING_MINUTES
from bot.insights.callouts import Callout, find_callouts
from bot.insights.filters import Filters
from bot.insights.queries import (
    AtRisk,
    Backlog,
    PipelineCounts,
    PlaybookStats,
    TicketFlow,
    backlog_by_client,
    count_at_risk,
    findings_by_rule,
    immediate_at_risk,
    pipeline_by,
    pipeline_days,
    pipeline_rows,
    pipeline_total,
    playbook_stats,
    rule_rows,
    scope_choices,
    ticket_facts,
    ticket_flow,
)
from bot.insights.recurrence_report import RecurrenceReport, recurrence_report
from models import RollupRun
from payables.canonical import BUSINESS_LINES


@dataclass
class Snapshot:
    filters: Filters
    generated_at: datetime
    rolled_up_at: datetime | None  # when the roll-up job last finished (None: never ran)
    clients: list[str]
    client_lines: dict[str, str]
    business_lines: list[str]
    pipeline: PipelineCounts  # totals over the range
    pipeline_days: list[PipelineCounts]  # one per day of the range (key: ISO date)
    by_client: list[PipelineCounts]
    by_geography: list[PipelineCounts]
    by_rule: list[tuple[str, str, int]]  # (rule, severity, findings), stopping rules only
    backlog: list[Backlog]  # live
    tickets: TicketFlow
    playbooks: list[PlaybookStats]
    at_risk: list[AtRisk]  # live: the soonest deadlines
    at_risk_total: int  # live: how many in all
    callouts: list[Callout] = field(default_factory=list)
    recurrence: RecurrenceReport | None = None


# The recurrence report clusters the window's unknown tickets (seconds for thousands), and
# its inputs change only when the roll-up runs: dashboard views share one per database,
# roll-up run and filter.
_reports: OrderedDict[tuple[str, int | None, Filters, float], RecurrenceReport] = OrderedDict()
_reports_lock = threading.Lock()
CACHED_REPORTS = 32


def _recurrence(session: Session, f: Filters, now: datetime, run_id: int | None,
                handling_minutes: float) -> RecurrenceReport:
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    key = (database, run_id, f, handling_minutes)
    with _reports_lock:
        if key in _reports:
            _reports.move_to_end(key)
            return _reports[key]
    report = recurrence_report(session, f, now, handling_minutes=handling_minutes)
    with _reports_lock:
        _reports[key] = report
        while len(_reports) > CACHED_REPORTS:
            _reports.popitem(last=False)
    return report


def build_snapshot(session: Session, f: Filters, now: datetime, *, recurrence: bool = True,
                   handling_minutes: float = HANDLING_MINUTES) -> Snapshot:
    rows = pipeline_rows(session, f)
    rules = rule_rows(session, f)
    facts = ticket_facts(session, f)
    clients, lines = scope_choices(session)
    run = session.execute(select(RollupRun.id, RollupRun.finished_at).order_by(RollupRun.id.desc()).limit(1)).first()
    run_id, last = (run[0], run[1]) if run is not None else (None, None)
    return Snapshot(
        filters=f, generated_at=now, rolled_up_at=last, clients=clients, client_lines=lines,
        business_lines=sorted(BUSINESS_LINES), pipeline=pipeline_total(rows), pipeline_days=pipeline_days(rows, f),
        by_client=pipeline_by(rows, "client_id"), by_geography=pipeline_by(rows, "geography"),
        by_rule=findings_by_rule(rules), backlog=backlog_by_client(session, f, now), tickets=ticket_flow(facts, f),
        playbooks=playbook_stats(session, f), at_risk=immediate_at_risk(session, f, now),
        at_risk_total=count_at_risk(session, f, now)[0],
        callouts=find_callouts(session, f, today=now.date()),
        recurrence=_recurrence(session, f, now, run_id, handling_minutes) if recurrence else None)

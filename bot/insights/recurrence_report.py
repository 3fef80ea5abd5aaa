"""The recurrence report: what keeps coming back, what it costs, and what to automate next.

Tickets in range are grouped by root cause; those of unknown cause are clustered by their
embeddings into recurring problems (triage/recurrence.py), the rest are one-offs. Each
problem has its tickets per week, a trend, the playbook that covers it (or none: a
candidate for a root-cause fix), the time people spent on it, and a score:

    score = hours of handling a week x the success rate of the playbook that would take them

that is, the hours a week it would give back if automated. payops does not see effort:
each ticket a person had to handle (not closed by payops alone) counts `handling_minutes`
(`reports.handling_minutes`, 30 by default); how long tickets waited with a person is
reported beside it, but waiting is not work. A covered cause uses its
playbook's measured success (verified among finished applies); an uncovered one the
average of the measured playbooks (a new playbook is assumed as good as the ones we
have), or 0.5 when none has finished runs. The report says which it assumed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import HANDLING_MINUTES
from bot.insights.filters import Filters
from bot.insights.queries import PlaybookStats, playbook_stats, ticket_facts
from models import Ticket, TicketFact
from playbooks.registry import default_registry
from triage.recurrence import cluster_tickets, load_items

DEFAULT_SUCCESS = 0.5
MIN_MEASURED = 3  # finished applies before a playbook's success rate counts
ROOT_CAUSE_NAMES = {
    "vendor_master_stale": "stale vendor master data",
    "duplicate_suspect": "duplicate suspects on hold",
    "missing_fx_rate": "missing FX rates",
    "stuck_in_pipeline": "invoices stuck in the pipeline",
    "feed_format_error": "client feed format changes",
    "immediate_pay_sla_risk": "immediate-pay SLA risk",
    "tax_id_invalid": "invalid vendor tax ids",
    "po_mismatch": "PO mismatches",
    "bank_details_invalid": "invalid bank details",
}


@dataclass(frozen=True)
class Problem:
    key: str  # the root cause, or "cluster-<n>" for a recurring problem among `unknown` tickets
    name: str  # readable: "missing FX rates", or the cluster's terms "remittance advice · copy"
    kind: str  # root_cause, cluster, one_offs
    tickets: int
    per_week: tuple[int, ...]  # tickets per week, aligned with RecurrenceReport.weeks
    trend: str  # rising, falling, steady, new
    playbook: str | None  # the playbook that covers it; None: a candidate for a root-cause fix
    human_hours: float  # people's handling, estimated: tickets a person handled x handling_minutes
    deflected: int  # closed by payops alone
    success_rate: float | None  # the success rate the score used (measured or assumed)
    measured: bool  # whether success_rate was measured on this playbook's own runs
    score: float  # automate next: hours a week it would give back
    advice: str  # plain words: what to do about it
    example: str  # one ticket's title, to recognise it by
    ticket_keys: tuple[str, ...] = ()  # a few tickets, for whoever picks it up
    waited_hours: float = 0.0  # how long its tickets waited with a person (needs_human, escalated)


@dataclass(frozen=True)
class RecurrenceReport:
    filters: Filters
    generated_at: datetime
    weeks: tuple[date, ...]  # the Mondays of the weeks covered
    problems: tuple[Problem, ...]  # most tickets first
    ranking: tuple[Problem, ...]  # automate next: highest score first
    total_tickets: int
    assumed_success: float  # the success rate assumed for work no measured playbook covers
    notes: tuple[str, ...] = field(default_factory=tuple)


def recurrence_report(session: Session, f: Filters, now: datetime, *,
                      handling_minutes: float = HANDLING_MINUTES) -> RecurrenceReport:
    facts = ticket_facts(session, f)
    weeks = _mondays(f)
    span_weeks = max(1.0, ((f.end - f.start).days + 1) / 7)
    stats = {s.playbook: s for s in playbook_stats(session, f)}
    assumed = _assumed_success(stats.values())
    registry = default_registry()

    groups: dict[str, list[TicketFact]] = defaultdict(list)
    for fact in facts:
        groups[fact.root_cause].append(fact)
    named: list[tuple[str, str, str, list[TicketFact], int | None]] = []  # key, name, kind, facts, example
    for cause, members in groups.items():
        if cause != "unknown":
            named.append((cause, ROOT_CAUSE_NAMES.get(cause, cause.replace("_", " ")), "root_cause", members, None))
    unknown = {x.ticket_id: x for x in groups.get("unknown", [])}
    clusters, loose = cluster_tickets(load_items(session, sorted(unknown))) if unknown else ([], [])
    clustered: set[int] = set()
    for n, cluster in enumerate(clusters, start=1):
        members = [unknown[i] for i in cluster.ticket_ids if i in unknown]
        clustered.update(cluster.ticket_ids)
        named.append((f"cluster-{n}", cluster.name, "cluster", members, cluster.example_id))
    rest = [x for i, x in unknown.items() if i not in clustered]
    if rest:
        named.append(("one-offs", "one-off questions (no recurring pattern)", "one_offs", rest, None))

    keys, titles = _ticket_texts(session, [x.ticket_id for _, _, _, members, _ in named for x in members])
    problems = []
    for key, name, kind, members, example in named:
        playbook = registry.for_root_cause(key) if kind == "root_cause" else None
        pb_name = playbook.name if playbook is not None else None
        measured = _measured(stats.get(pb_name or ""))
        success = measured if measured is not None else assumed
        hours = sum(1 for x in members if not x.deflected) * handling_minutes / 60
        score = 0.0 if kind == "one_offs" else hours / span_weeks * success
        per_week = _per_week(members, weeks)
        newest = max(members, key=lambda x: (x.created_at, x.ticket_id))
        problems.append(Problem(
            key=key, name=name, kind=kind, tickets=len(members), per_week=per_week, trend=_trend(per_week),
            playbook=pb_name, human_hours=round(hours, 2), deflected=sum(1 for x in members if x.deflected),
            success_rate=success, measured=measured is not None, score=round(score, 2),
            advice=_advice(kind, pb_name, measured, hours / span_weeks, len(members)),
            example=titles.get(example or newest.ticket_id, ""),
            ticket_keys=tuple(keys[x.ticket_id] for x in sorted(members, key=lambda x: -x.ticket_id)[:5]),
            waited_hours=round(sum(x.human_seconds for x in members) / 3600, 2)))
    problems.sort(key=lambda p: (p.kind == "one_offs", -p.tickets, p.name))
    ranking = sorted((p for p in problems if p.score > 0), key=lambda p: (-p.score, p.name))
    notes = (f"Handling is estimated at {handling_minutes:g} minutes for each ticket a person had to handle "
             "(reports.handling_minutes): payops does not see effort itself.",
             f"Work no measured playbook covers is scored at a {assumed:.0%} success rate"
             + (" (the average of the measured playbooks)." if any(_measured(s) is not None for s in stats.values())
                else " (no playbook has enough finished runs yet)."))
    return RecurrenceReport(f, now, weeks, tuple(problems), tuple(ranking), len(facts), assumed, notes)


def _mondays(f: Filters) -> tuple[date, ...]:
    first = f.start - timedelta(days=f.start.weekday())
    return tuple(first + timedelta(weeks=i) for i in range((f.end - first).days // 7 + 1))


def _per_week(members: Sequence[TicketFact], weeks: tuple[date, ...]) -> tuple[int, ...]:
    counts = dict.fromkeys(weeks, 0)
    for x in members:
        monday = x.day - timedelta(days=x.day.weekday())
        if monday in counts:
            counts[monday] += 1
    return tuple(counts[w] for w in weeks)


def _trend(per_week: tuple[int, ...]) -> str:
    """The last two weeks against the weeks before them."""
    if len(per_week) < 3:
        return "steady"
    recent, earlier = per_week[-2:], per_week[:-2]
    recent_mean, earlier_mean = sum(recent) / len(recent), sum(earlier) / len(earlier)
    if earlier_mean == 0:
        return "new" if recent_mean > 0 else "steady"
    if recent_mean >= 1.5 * earlier_mean and sum(recent) - earlier_mean * 2 >= 2:
        return "rising"
    if recent_mean <= earlier_mean / 1.5 and earlier_mean * 2 - sum(recent) >= 2:
        return "falling"
    return "steady"


def _measured(stats: PlaybookStats | None) -> float | None:
    if stats is None or stats.verified + stats.failed < MIN_MEASURED:
        return None
    return stats.success_rate


def _assumed_success(stats: Iterable[PlaybookStats]) -> float:
    rates = [r for s in stats if (r := _measured(s)) is not None]
    return sum(rates) / len(rates) if rates else DEFAULT_SUCCESS


def _advice(kind: str, playbook: str | None, measured: float | None, hours_a_week: float, tickets: int) -> str:
    if kind == "one_offs":
        return "No pattern: handle case by case."
    if playbook is None:
        return (f"No playbook covers this ({tickets} tickets, {hours_a_week:.1f} h of handling a week): "
                "a candidate for a root-cause fix or a new playbook.")
    if measured is None:
        return f"{playbook} has too few finished runs to judge: approve its proposals to measure it."
    if measured >= 0.9:
        return (f"{playbook} succeeds {measured:.0%} of the time: let it apply on its own "
                f"(playbooks.auto_apply) to give back ~{hours_a_week * measured:.1f} h a week.")
    if measured < 0.7:
        return f"{playbook} succeeds only {measured:.0%} of the time: improve it before automating more."
    return f"{playbook} succeeds {measured:.0%} of the time: review its failures, then consider auto-apply."


def _ticket_texts(session: Session, ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    keys: dict[int, str] = {}
    titles: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        for ticket_id, key, title in session.execute(
                select(Ticket.id, Ticket.external_key, Ticket.title).where(Ticket.id.in_(ids[i:i + 500]))):
            keys[ticket_id], titles[ticket_id] = key, title
    return keys, titles

"""Outlier call-outs in plain words: each rolled-up daily series, on the last day of the
range, compared with its own 8 weeks before (the rule is in bot/insights/outliers.py).

Series checked: per client its rejections, holds, quarantined rows, invoices received and
SLA-01 breaches; per geography its rejections; per rule its findings; tickets in all, per
root cause and per client. A client's rejections or holds name the rule that drove them.
On the current day (still filling up) only rises are called out: a drop may just be the
afternoon that has not happened yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from sqlalchemy.orm import Session

from bot.insights.filters import Filters
from bot.insights.outliers import Verdict, assess, describe
from bot.insights.queries import pipeline_rows, rule_rows, series_by, ticket_facts
from models import RuleDay

WEEKS = 8
LIMIT = 12


@dataclass(frozen=True)
class Callout:
    text: str  # e.g. "C017 rejections 4.8x their 8-week median, driven by TAX-01"
    metric: str  # rejections, holds, quarantined, received, sla_breaches, findings, tickets
    subject: str  # a client id, a geography, a rule, a root cause, or "all"
    day: date
    value: float
    baseline: float
    direction: str  # up, down
    driver: str | None = None


# metric, the roll-up column, the words a manager reads, the rule severity that drives it
CLIENT_SERIES = (("rejections", "rejected", "rejections", "block"), ("holds", "on_hold", "holds", "hold"),
                 ("quarantined", "quarantined", "unreadable rows", None),
                 ("received", "received", "invoices received", None),
                 ("sla_breaches", "sla_breached", "SLA-01 breaches", None))


def find_callouts(session: Session, f: Filters, *, today: date | None = None) -> list[Callout]:
    """The outliers on `f.end`, biggest news first; `today` marks a day still in progress."""
    day = f.end
    window = Filters(day - timedelta(weeks=WEEKS), day, f.client, f.business_line)
    rows = pipeline_rows(session, window)
    rules = rule_rows(session, window)
    partial = today is not None and day >= today
    found: list[tuple[Verdict, Callout]] = []

    def check(series: Mapping[date, float], metric: str, subject: str, words: str,
              driver: str | None = None) -> None:
        verdict = _verdict(series, day)
        if verdict is None or not verdict.is_outlier or (partial and verdict.direction == "down"):
            return
        cause = driver if verdict.direction == "up" else None
        text = describe(subject, words, verdict, cause)
        found.append((verdict, Callout(text, metric, subject, day, verdict.value, verdict.baseline,
                                       verdict.direction, cause)))

    for metric, column, words, severity in CLIENT_SERIES:
        for client, series in series_by(rows, "client_id", column).items():
            driver = _driver(rules, client, severity, day) if severity else None
            check(series, metric, client or "unattributed", words, driver)
    for geography, series in series_by(rows, "geography", "rejected").items():
        if geography:
            check(series, "rejections", geography, "rejections", None)
    for rule, series in series_by(rules, "rule", "findings").items():
        check(series, "findings", rule, "findings", None)

    facts = ticket_facts(session, window)
    all_tickets: dict[date, float] = {}
    by_cause: dict[str, dict[date, float]] = {}
    by_client: dict[str, dict[date, float]] = {}
    for fact in facts:
        all_tickets[fact.day] = all_tickets.get(fact.day, 0.0) + 1
        cause = by_cause.setdefault(fact.root_cause, {})
        cause[fact.day] = cause.get(fact.day, 0.0) + 1
        if fact.client_id:
            client_days = by_client.setdefault(fact.client_id, {})
            client_days[fact.day] = client_days.get(fact.day, 0.0) + 1
    check(all_tickets, "tickets", "all", "tickets")
    for cause_name, series in by_cause.items():
        check(series, "tickets", cause_name, f"{cause_name.replace('_', ' ')} tickets")
    for client, series in by_client.items():
        check(series, "tickets", client, "tickets")

    # Rises before drops; the bigger the multiple, the earlier.
    found.sort(key=lambda vc: (vc[1].direction != "up", -_size(vc[0]), vc[1].text))
    return [c for _, c in found[:LIMIT]]


def _verdict(series: Mapping[date, float], day: date) -> Verdict | None:
    """The day's value against the days before it, zero-filled up to the day before: a
    series with no row on a day had nothing that day."""
    earlier = [d for d in series if d < day]
    if not earlier:
        return None
    start = max(min(earlier), day - timedelta(weeks=WEEKS))
    history = {start + timedelta(days=i): series.get(start + timedelta(days=i), 0.0)
               for i in range((day - start).days)}
    return assess(history, day, series.get(day, 0.0), weeks=WEEKS)


def _size(verdict: Verdict) -> float:
    if verdict.ratio is None:
        return verdict.value  # against a zero median: the count itself
    return verdict.ratio if verdict.direction == "up" else 1 / max(verdict.ratio, 1e-9)


def _driver(rules: list[RuleDay], client: str, severity: str, day: date) -> str | None:
    """The rule whose findings for this client rose most above their own median that day,
    if it explains at least half of the rise of all that client's rules of that severity."""
    days = {day - timedelta(days=i) for i in range(1, WEEKS * 7 + 1)}
    per_rule: dict[str, dict[date, float]] = {}
    for row in rules:
        if row.client_id == client and row.severity == severity:
            per_rule.setdefault(row.rule, {})[row.day] = per_rule.get(row.rule, {}).get(row.day, 0.0) + row.findings
    excess = {rule: series.get(day, 0.0) - median([series.get(d, 0.0) for d in days])
              for rule, series in per_rule.items()}
    rising = {rule: e for rule, e in excess.items() if e > 0}
    if not rising:
        return None
    best = max(sorted(rising), key=lambda r: rising[r])
    return best if rising[best] >= 0.5 * sum(rising.values()) else None

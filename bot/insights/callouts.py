"""Outlier call-outs in plain words: each rolled-up daily series, on the last day of the
range, compared with its own 8 weeks before (the rule is in bot/insights/outliers.py).

Series checked: per client the share of its invoices rejected and held (on days it sent
at least MIN_RATE_BASE: a count would rise with every busy day, and clients that send in
batches have a median day of nothing), its unreadable rows and SLA-01 breaches, and a fall
in what it sent; per geography its share rejected; per rule the share of all invoices it
stopped; tickets in all, per root cause and per client. A client's rejections or holds
name the rule that drove them. On the current day (still filling up) only rises are
called out: a drop may just be the afternoon that has not happened yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from sqlalchemy.orm import Session

from bot.insights.filters import Filters
from bot.insights.outliers import WEEKDAY_PLURALS, Verdict, assess, describe
from bot.insights.queries import pipeline_rows, rule_rows, series_by, ticket_facts
from models import PipelineDay, RuleDay

WEEKS = 8
LIMIT = 12


@dataclass(frozen=True)
class Callout:
    text: str  # e.g. "C017 rejected 24% of its invoices, 4.8x its 8-week median of 5%, driven by TAX-01"
    metric: str  # rejections, holds, quarantined, received, sla_breaches, findings, tickets
    subject: str  # a client id, a geography, a rule, a root cause, or "all"
    day: date
    value: float
    baseline: float
    direction: str  # up, down
    driver: str | None = None


# metric, the roll-up column, the words a manager reads, the rule severity that drives it
CLIENT_RATES = (("rejections", "rejected", "rejected", "block"), ("holds", "on_hold", "held", "hold"))
CLIENT_COUNTS = (("quarantined", "quarantined", "unreadable rows"), ("sla_breaches", "sla_breached", "SLA-01 breaches"),
                 ("received", "received", "invoices received"))
MIN_RATE_BASE = 10  # invoices a client must send on a day for its rate that day to count
MIN_COUNT = 5  # and a share is news only when that many invoices make it
MIN_RATE = 0.05  # a rise to under 5 % of a client's invoices is not news
MIN_RULE_RATE = 0.01  # one rule stopping 1 % of everyone's invoices is


def find_callouts(session: Session, f: Filters, *, today: date | None = None) -> list[Callout]:
    """The outliers on `f.end`, biggest news first; `today` marks a day still in progress."""
    day = f.end
    window = Filters(day - timedelta(weeks=WEEKS), day, f.client, f.business_line)
    rows = pipeline_rows(session, window)
    rules = rule_rows(session, window)
    partial = today is not None and day >= today
    found: list[tuple[Verdict, Callout]] = []

    def check(series: Mapping[date, float], metric: str, subject: str, words: str,
              driver: str | None = None, *, rate: bool = False, rises: bool = True,
              min_rate: float = MIN_RATE, count: float = MIN_COUNT) -> None:
        if rate and count < MIN_COUNT:
            return  # 2 of 12 is 17 %, and no news
        verdict = _rate_verdict(series, day, min_rate) if rate else _verdict(series, day)
        if verdict is None or not verdict.is_outlier or (partial and verdict.direction == "down"):
            return
        if (verdict.direction == "up" and not rises) or (rate and verdict.direction == "down"):
            return  # fewer rejections, or a client sending more, is not what a manager must act on
        cause = driver if verdict.direction == "up" else None
        text = _describe_rate(subject, words, verdict, cause) if rate else describe(subject, words, verdict, cause)
        found.append((verdict, Callout(text, metric, subject, day, verdict.value, verdict.baseline,
                                       verdict.direction, cause)))

    received = series_by(rows, "client_id", "received")
    for metric, column, words, severity in CLIENT_RATES:
        for client, counts in series_by(rows, "client_id", column).items():
            check(_rates(counts, received.get(client, {})), metric, client or "unattributed",
                  f"{words} {{share}} of its invoices", _driver(rules, client, severity, day), rate=True,
                  count=counts.get(day, 0.0))
    by_geography = series_by(rows, "geography", "received")
    for geography, counts in series_by(rows, "geography", "rejected").items():
        if geography:
            check(_rates(counts, by_geography.get(geography, {})), "rejections", geography,
                  "rejected {share} of its invoices", rate=True, count=counts.get(day, 0.0))
    everyone: dict[date, float] = {}
    for row in rows:
        everyone[row.day] = everyone.get(row.day, 0.0) + row.received
    for rule, series in series_by(rules, "rule", "findings").items():
        check(_rates(series, everyone), "findings", rule, "stopped {share} of invoices", rate=True,
              min_rate=MIN_RULE_RATE, count=series.get(day, 0.0))
    for metric, column, words in CLIENT_COUNTS:
        for client, series in series_by(rows, "client_id", column).items():
            # A client sending more than usual is not news (a busy day, a catch-up); less may be
            # a feed that did not come.
            check(series, metric, client or "unattributed", words, rises=metric != "received")

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

    found = _explained_dropped(found, rows, rules, day)
    # Rises before drops; the bigger the multiple, the earlier.
    found.sort(key=lambda vc: (vc[1].direction != "up", -_size(vc[0]), vc[1].text))
    return [c for _, c in found[:LIMIT]]


def _explained_dropped(found: list[tuple[Verdict, Callout]], rows: list[PipelineDay], rules: list[RuleDay],
                       day: date) -> list[tuple[Verdict, Callout]]:
    """One event, told once: a client's rejections driven by TAX-01 also lift the share of
    TAX-01 (and of any rule most of whose findings that day are that client's) and its
    geography's; those echoes are left out when the client's call-out explains them."""
    clients = {row.client_id for row in rows}
    called = {c.subject for _, c in found if c.metric in ("rejections", "holds") and c.direction == "up"
              and c.subject in clients}
    geographies = {row.geography for row in rows if row.client_id in called}
    theirs: dict[str, float] = {}
    everyone: dict[str, float] = {}
    for row in rules:
        if row.day == day:
            everyone[row.rule] = everyone.get(row.rule, 0.0) + row.findings
            if row.client_id in called:
                theirs[row.rule] = theirs.get(row.rule, 0.0) + row.findings
    echoes = {rule for rule, n in everyone.items() if n and theirs.get(rule, 0.0) >= 0.5 * n}
    return [(v, c) for v, c in found
            if not (c.metric == "findings" and c.subject in echoes)
            and not (c.metric == "rejections" and c.subject in geographies and c.subject not in clients)]


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


def _rate_verdict(rates: Mapping[date, float], day: date, min_rate: float) -> Verdict | None:
    """A share on the days there was one: a day without invoices has no rate, not 0."""
    if day not in rates:
        return None
    return assess(rates, day, rates[day], weeks=WEEKS, min_value=min_rate, zero_fill=False)


def _rates(counts: Mapping[date, float], base: Mapping[date, float]) -> dict[date, float]:
    return {d: counts.get(d, 0.0) / n for d, n in base.items() if n >= MIN_RATE_BASE}


def _describe_rate(subject: str, words: str, verdict: Verdict, driver: str | None) -> str:
    """ "C014 rejected 24% of its invoices, 4.8x its 8-week median of 5%, driven by TAX-01";
    `words` holds "{share}" where the day's share goes."""
    span = f"{verdict.weeks}-week median"
    weekday = f" for {WEEKDAY_PLURALS[verdict.day.weekday()]}" if verdict.seasonal else ""
    head = f"{subject} {words.format(share=_percent(verdict.value))}"
    if verdict.ratio is None:
        text = f"{head}, against its {span}{weekday} of 0%"
    elif verdict.value == 0:
        text = f"{head}, against its {span}{weekday} of {_percent(verdict.baseline)}"
    else:
        text = f"{head}, {verdict.ratio:.1f}x its {span}{weekday} of {_percent(verdict.baseline)}"
    return f"{text}, driven by {driver}" if driver else text


def _percent(share: float) -> str:
    """Whole percents from 10 % up, one decimal below (where 1.7 % and 2 % differ)."""
    text = f"{share:.0%}" if share >= 0.095 else f"{share:.1%}"
    return text.replace(".0%", "%")


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

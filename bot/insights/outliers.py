"""The outlier rule: a day's value against the series' own recent history.

Robust statistics (median and MAD), so that one bad day in the history does not hide the
next one. Where the series has a weekday rhythm (quiet weekends, a Monday backlog), a day
is compared with the same weekday only: a normal Saturday is not a "drop" and a Sunday at
Monday level is news.

Series are counts by default: a day missing between the first and the last day present
counts as 0 (the roll-up has no row for a day without events). Days before the first one
present are not filled (the series did not exist yet), nor days after the last one: a
caller that knows those days were 0 passes them as 0.

Rates are passed as values too, with ``zero_fill=False`` (a day without invoices has no
rate, not a rate of 0) and a ``min_value`` in the rate's own units (e.g. 0.05): the
default of 5 is meant for counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

# Scales the MAD to a standard deviation for normal data, so that 3.5 means what it usually does.
Z_SCALE = 0.6745
# A flat history has a MAD of 0; floor it at 5 % of the baseline so that 10 -> 11 stays quiet
# while 10 -> 50 is still far out. The absolute floor only keeps an all-zero history finite:
# there min_value decides.
MAD_FLOOR_SHARE = 0.05
MAD_FLOOR_ABS = 1e-9
# Weekday medians this far apart make a pooled median wrong for every day of the week.
PATTERN_RATIO = 1.5
PATTERN_MIN_DAYS = 21
PATTERN_MIN_POINTS = 3

WEEKDAY_PLURALS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


@dataclass(frozen=True)
class Verdict:
    day: date
    value: float
    baseline: float        # the median of the history used
    mad: float             # median absolute deviation of that history (unscaled, not floored)
    ratio: float | None    # value / baseline (None when baseline is 0)
    score: float           # robust z: 0.6745 * (value - baseline) / max(MAD, floor)
    seasonal: bool         # True when the comparison used the same weekday only
    history_days: int      # how many points the baseline came from
    weeks: int             # the history span in weeks (at most `weeks`; less for a young series)
    is_outlier: bool
    direction: str         # "up" or "down" for an outlier, "" otherwise


def _series(history: Mapping[date, float], *, before: date | None = None,
            since: date | None = None, zero_fill: bool) -> dict[date, float]:
    known = {d: float(v) for d, v in history.items()
             if (before is None or d < before) and not math.isnan(v)}
    if zero_fill and known:
        first, last = min(known), max(known)
        known = {first + timedelta(days=i): known.get(first + timedelta(days=i), 0.0)
                 for i in range((last - first).days + 1)}
    return {d: v for d, v in known.items() if since is None or d >= since}


def weekly_pattern(history: Mapping[date, float], *, zero_fill: bool = True) -> bool:
    """Whether the series has a weekday pattern worth comparing like with like.

    Needs at least 3 weeks of data; weekdays with at least 3 points are compared, and a
    pattern is a max weekday median >= 1.5x the min, or some weekday medians at 0 while
    others are not (nothing at weekends).
    """
    series = _series(history, zero_fill=zero_fill)
    if not series or (max(series) - min(series)).days + 1 < PATTERN_MIN_DAYS:
        return False
    by_weekday: dict[int, list[float]] = {}
    for d, v in series.items():
        by_weekday.setdefault(d.weekday(), []).append(v)
    medians = [float(np.median(vs)) for vs in by_weekday.values() if len(vs) >= PATTERN_MIN_POINTS]
    if len(medians) < 2:
        return False
    low, high = min(medians), max(medians)
    return high > 0 and (low <= 0 or high >= PATTERN_RATIO * low)


def assess(history: Mapping[date, float], day: date, value: float, *, weeks: int = 8,
           threshold: float = 3.5, min_ratio: float = 1.5, min_value: float = 5.0,
           min_history: int = 4, zero_fill: bool = True) -> Verdict | None:
    """`value` on `day` against the last `weeks` weeks of `history` before `day`.

    Days on or after `day` in `history` are ignored. The same weekday only is used when
    weekly_pattern() finds one in that window. None when fewer than `min_history` points
    remain (so a seasonal series needs `min_history` weeks of that weekday).

    Up: |score| >= threshold, value >= min_value and ratio >= min_ratio (or baseline 0).
    Down: |score| >= threshold, baseline >= min_value and value <= baseline / min_ratio.
    """
    window = _series(history, before=day, since=day - timedelta(weeks=weeks), zero_fill=zero_fill)
    # The window is already filled: the pattern test must not fill it again or differently.
    seasonal = weekly_pattern(window, zero_fill=False)
    if seasonal:
        window = {d: v for d, v in window.items() if d.weekday() == day.weekday()}
    if len(window) < max(min_history, 1):
        return None
    points = np.fromiter(window.values(), dtype=float)
    baseline = float(np.median(points))
    mad = float(np.median(np.abs(points - baseline)))
    score = Z_SCALE * (value - baseline) / max(mad, MAD_FLOOR_SHARE * abs(baseline), MAD_FLOOR_ABS)
    ratio = value / baseline if baseline != 0 else None
    up = score >= threshold and value >= min_value and (ratio is None or ratio >= min_ratio)
    down = score <= -threshold and baseline >= min_value and value <= baseline / min_ratio
    return Verdict(
        day=day, value=value, baseline=baseline, mad=mad, ratio=ratio, score=score,
        seasonal=seasonal, history_days=len(window),
        weeks=min(weeks, math.ceil((day - min(window)).days / 7)),
        is_outlier=up or down, direction="up" if up else "down" if down else "",
    )


def _number(x: float) -> str:
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


def describe(subject: str, metric_words: str, verdict: Verdict, driver: str | None = None) -> str:
    """A plain-words call-out for a count: "C042 unreadable rows 4.8x their 8-week median".

    Seasonal verdicts say "... median for Mondays"; a zero baseline gives the value itself
    ("12 against a median of 0 over 8 weeks"), and so does a drop to exactly 0
    ("0 against their 8-week median of 40"), where "0.0x" would read as a rounding.
    """
    span = f"{verdict.weeks}-week median"
    weekday = f" for {WEEKDAY_PLURALS[verdict.day.weekday()]}" if verdict.seasonal else ""
    head = f"{subject} {metric_words}"
    if verdict.ratio is None:
        weeks = f"{verdict.weeks} week{'s' if verdict.weeks != 1 else ''}"
        text = (f"{head} {_number(verdict.value)} against a median of "
                f"{_number(verdict.baseline)}{weekday} over {weeks}")
    elif verdict.value == 0:
        text = f"{head} 0 against their {span} of {_number(verdict.baseline)}{weekday}"
    else:
        ratio = f"{verdict.ratio:.1f}x" if round(verdict.ratio, 1) > 0 else "<0.1x"
        text = f"{head} {ratio} their {span}{weekday}"
    return f"{text}, driven by {driver}" if driver else text

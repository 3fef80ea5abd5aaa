"""The outlier rule managers' call-outs rest on: what is flagged, what is not, and how it reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.insights.outliers import Verdict, assess, describe, weekly_pattern

WEDNESDAY = date(2024, 6, 5)
SATURDAY = date(2024, 6, 8)
SUNDAY = date(2024, 6, 9)
MONDAY = date(2024, 6, 10)
# Day-to-day noise around 100; its median is 100 and its MAD 3 over any 8 weeks.
NOISE = (100, 94, 106, 97, 103)


def days_before(day: date, n: int) -> list[date]:
    return [day - timedelta(days=i) for i in range(n, 0, -1)]


def flat(day: date = WEDNESDAY, n: int = 90) -> dict[date, float]:
    return {d: NOISE[i % 5] for i, d in enumerate(days_before(day, n))}


def busy_weekdays(day: date = MONDAY + timedelta(days=1), n: int = 120) -> dict[date, float]:
    """Weekdays at 100 in every week; weekends at 10 (week by week 9, 10 or 11)."""
    return {d: (100 if d.weekday() < 5 else (9, 10, 11)[i // 7 % 3])
            for i, d in enumerate(days_before(day, n))}


def weekdays_only(day: date, n: int = 70) -> dict[date, float]:
    """A count series as the roll-up gives it: no row at all for the weekends."""
    return {d: 40 for d in days_before(day, n) if d.weekday() < 5}


def test_a_noisy_flat_series_has_no_outlier() -> None:
    history = flat()
    for value in (94, 100, 106, 110, 88):
        verdict = assess(history, WEDNESDAY, value)
        assert verdict is not None
        assert not verdict.is_outlier and verdict.direction == ""
        assert abs(verdict.score) < 3.5
    verdict = assess(history, WEDNESDAY, 100)
    assert verdict is not None
    assert (verdict.baseline, verdict.mad, verdict.seasonal) == (100, 3, False)
    assert (verdict.history_days, verdict.weeks) == (56, 8)


def test_a_spike_is_flagged_up_with_its_ratio() -> None:
    verdict = assess(flat(), WEDNESDAY, 480)
    assert verdict is not None
    assert verdict.is_outlier and verdict.direction == "up"
    assert verdict.ratio == pytest.approx(4.8)
    assert describe("C017", "rejections", verdict, "TAX-01") == (
        "C017 rejections 4.8x their 8-week median, driven by TAX-01")
    assert describe("C017", "rejections", verdict) == "C017 rejections 4.8x their 8-week median"


def test_a_drop_is_flagged_down() -> None:
    verdict = assess(flat(), WEDNESDAY, 20)
    assert verdict is not None
    assert verdict.is_outlier and verdict.direction == "down"
    assert describe("C017", "invoices received", verdict) == (
        "C017 invoices received 0.2x their 8-week median")


def test_a_drop_to_nothing_reads_as_the_value_not_a_ratio() -> None:
    verdict = assess(flat(), WEDNESDAY, 0)
    assert verdict is not None and verdict.direction == "down"
    assert describe("C017", "invoices received", verdict) == (
        "C017 invoices received 0 against their 8-week median of 100")


def test_a_moderate_move_is_not_a_call_out() -> None:
    # Far out by score (the MAD is small) but only 1.3x: not worth a manager's attention.
    verdict = assess(flat(), WEDNESDAY, 130)
    assert verdict is not None
    assert verdict.score >= 3.5 and not verdict.is_outlier
    verdict = assess(flat(), WEDNESDAY, 70)
    assert verdict is not None
    assert verdict.score <= -3.5 and not verdict.is_outlier


def test_seasonality_keeps_a_quiet_saturday_quiet() -> None:
    history = busy_weekdays()
    saturday = assess(history, SATURDAY, 10)
    assert saturday is not None
    assert saturday.seasonal and saturday.history_days == 8 and saturday.baseline == 10
    assert not saturday.is_outlier
    # The same 10 on a Wednesday is a collapse against Wednesdays at 100.
    wednesday = assess(history, WEDNESDAY, 10)
    assert wednesday is not None
    assert wednesday.is_outlier and wednesday.direction == "down"


def test_seasonality_flags_a_sunday_at_monday_level() -> None:
    history = busy_weekdays()
    monday = assess(history, MONDAY, 100)
    assert monday is not None and not monday.is_outlier
    sunday = assess(history, SUNDAY, 100)
    assert sunday is not None
    assert sunday.seasonal and sunday.is_outlier and sunday.direction == "up"
    assert describe("C017", "rejections", sunday) == (
        "C017 rejections 10.0x their 8-week median for Sundays")


def test_weekly_pattern() -> None:
    assert weekly_pattern(busy_weekdays())
    assert not weekly_pattern(flat())
    # Two weeks are not enough to call it a pattern.
    assert not weekly_pattern(busy_weekdays(n=14))
    # Weekends absent from a counts series are zeros: a pattern...
    assert weekly_pattern(weekdays_only(WEDNESDAY))
    # ...but absent from a rate series they are unknown, and the weekdays alone are flat.
    assert not weekly_pattern(weekdays_only(WEDNESDAY), zero_fill=False)
    assert not weekly_pattern({})


def test_weekend_activity_on_a_weekdays_only_series() -> None:
    verdict = assess(weekdays_only(SUNDAY), SUNDAY, 12)
    assert verdict is not None
    assert verdict.seasonal and verdict.is_outlier and verdict.direction == "up"
    assert verdict.ratio is None
    assert describe("C017", "rejections", verdict) == (
        "C017 rejections 12 against a median of 0 for Sundays over 8 weeks")


def test_too_little_history_gives_no_verdict() -> None:
    assert assess({}, WEDNESDAY, 50) is None
    assert assess(flat(n=3), WEDNESDAY, 500) is None
    assert assess(flat(n=4), WEDNESDAY, 500) is not None
    # Only what lies within the window counts.
    old = {d - timedelta(weeks=9): v for d, v in flat(n=30).items()}
    assert assess(old, WEDNESDAY, 500) is None
    # A seasonal series needs min_history weeks of that weekday.
    assert assess(busy_weekdays(SUNDAY, n=27), SUNDAY, 100) is None  # three Sundays
    assert assess(busy_weekdays(SUNDAY, n=28), SUNDAY, 100) is not None


def test_a_young_series_says_how_many_weeks_it_has() -> None:
    verdict = assess(flat(n=10), WEDNESDAY, 480)
    assert verdict is not None
    assert (verdict.history_days, verdict.weeks) == (10, 2)
    assert describe("C042", "rejections", verdict) == "C042 rejections 4.8x their 2-week median"


def test_zero_baseline() -> None:
    # Mostly nothing, the odd single rejection.
    history = {d: (1 if i % 10 == 0 else 0) for i, d in enumerate(days_before(WEDNESDAY, 60))}
    verdict = assess(history, WEDNESDAY, 12)
    assert verdict is not None
    assert verdict.baseline == 0 and verdict.ratio is None and not verdict.seasonal
    assert verdict.is_outlier and verdict.direction == "up"
    assert describe("C017", "rejections", verdict) == (
        "C017 rejections 12 against a median of 0 over 8 weeks")


def test_min_value_suppresses_tiny_counts() -> None:
    history = {d: 0 for d in days_before(WEDNESDAY, 60)}
    verdict = assess(history, WEDNESDAY, 3)
    assert verdict is not None
    assert verdict.score >= 3.5  # far out statistically; too small to matter
    assert not verdict.is_outlier and verdict.direction == ""
    # A drop from a tiny baseline is not a call-out either.
    low = {d: 4 for d in days_before(WEDNESDAY, 60)}
    verdict = assess(low, WEDNESDAY, 0)
    assert verdict is not None and not verdict.is_outlier
    # The caller sets min_value in the units of the series, e.g. for a rejection rate.
    rates = {d: 0.02 for d in days_before(WEDNESDAY, 60)}
    assert not assess(rates, WEDNESDAY, 0.2).is_outlier  # type: ignore[union-attr]
    assert assess(rates, WEDNESDAY, 0.2, min_value=0.05).is_outlier  # type: ignore[union-attr]


def test_the_mad_floor_on_a_flat_history() -> None:
    history = {d: 10 for d in days_before(WEDNESDAY, 60)}
    # Even with the ratio gate open, 10 -> 11 is a wobble, not an infinite score.
    wobble = assess(history, WEDNESDAY, 11, min_ratio=1.0)
    assert wobble is not None
    assert wobble.mad == 0 and 0 < wobble.score < 3.5
    assert not wobble.is_outlier
    jump = assess(history, WEDNESDAY, 50)
    assert jump is not None
    assert jump.is_outlier and jump.direction == "up"
    assert describe("C017", "rejections", jump) == "C017 rejections 5.0x their 8-week median"


def test_days_on_and_after_the_day_are_ignored() -> None:
    history = flat()
    later = {WEDNESDAY + timedelta(days=i): 5000 for i in range(0, 30)}
    assert assess({**history, **later}, WEDNESDAY, 480) == assess(history, WEDNESDAY, 480)
    verdict = assess({**history, **later}, WEDNESDAY, 100)
    assert verdict is not None and verdict.baseline == 100 and not verdict.is_outlier


def test_missing_days_in_a_count_series_are_zeros() -> None:
    # Ten rejections on six days in eight weeks, none on the others: 10 today is news.
    history = {WEDNESDAY - timedelta(days=n): 10 for n in (55, 44, 33, 22, 11, 3)}
    counts = assess(history, WEDNESDAY, 10)
    assert counts is not None
    # Filled from the first day present to the last: 55 days ago to 3 days ago.
    assert counts.baseline == 0 and counts.history_days == 53 and counts.is_outlier
    # As a rate, the missing days are unknown rather than 0: 10 is the usual.
    rate = assess(history, WEDNESDAY, 10, zero_fill=False)
    assert rate is not None
    assert rate.baseline == 10 and rate.history_days == 6 and not rate.is_outlier


def test_verdict_is_frozen() -> None:
    verdict = assess(flat(), WEDNESDAY, 480)
    assert isinstance(verdict, Verdict)
    with pytest.raises(AttributeError):
        verdict.value = 1  # type: ignore[misc]

"""What a manager narrows the metrics to: a client, a business line, a date range (UTC days,
both ends included). Parsed from the dashboard's query string or the CLI, with errors
that say which value was wrong."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from payables.canonical import BUSINESS_LINES

DEFAULT_DAYS = 28
MAX_DAYS = 400
CLIENT_ID = re.compile(r"^[A-Z]\d{2,6}$")
SINCE = re.compile(r"^(\d+)([dw])$")


class FilterError(ValueError):
    """A filter value that cannot be used; the message names the field and the value."""


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    client: str | None = None
    business_line: str | None = None

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def describe(self) -> str:
        scope = " ".join(x for x in (self.client, self.business_line) if x) or "all clients"
        return f"{scope}, {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def query(self) -> dict[str, str]:
        out = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.client:
            out["client"] = self.client
        if self.business_line:
            out["business_line"] = self.business_line
        return out


def parse_since(text: str, today: date) -> date:
    """'30d' or '8w' -> the first day of that window ending today."""
    match = SINCE.match(text.strip().lower())
    if not match:
        raise FilterError(f"--since {text!r}: give a number of days or weeks, e.g. 30d or 8w")
    n = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    if not 1 <= n <= MAX_DAYS:
        raise FilterError(f"--since {text!r}: between 1 and {MAX_DAYS} days")
    return today - timedelta(days=n - 1)


def filters_from(params: Mapping[str, str], today: date) -> Filters:
    """Filters from a query string (`from`, `to`, `client`, `business_line`); missing
    values mean the last four weeks of every client."""
    end = _date(params, "to") or today
    start = _date(params, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise FilterError(f"from {start} is after to {end}")
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError(f"from {start} to {end} spans more than {MAX_DAYS} days")
    client = (params.get("client") or "").strip().upper() or None
    if client is not None and not CLIENT_ID.match(client):
        raise FilterError(f"client {client!r} is not a client id like C017")
    line = (params.get("business_line") or "").strip().upper() or None
    if line is not None and line not in BUSINESS_LINES:
        raise FilterError(f"business_line {line!r}: one of {', '.join(sorted(BUSINESS_LINES))}")
    return Filters(start, end, client, line)


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None

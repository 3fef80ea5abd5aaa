"""What every command shares: the database, the clock, and output helpers."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import click

from models import Database
from payables.clock import Clock, fixed_clock, system_clock


def clock_from_env() -> Clock:
    """PAYOPS_NOW (ISO 8601 with offset) stops the clock, for replays and tests."""
    text = os.environ.get("PAYOPS_NOW")
    if not text:
        return system_clock
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise click.UsageError(f"PAYOPS_NOW={text!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise click.UsageError(f"PAYOPS_NOW={text!r} needs a UTC offset, e.g. 2026-11-20T09:00:00+00:00")
    return fixed_clock(at.astimezone(UTC))


@dataclass
class AppContext:
    database_url: str | None

    @cached_property
    def db(self) -> Database:
        return Database(self.database_url)

    @cached_property
    def clock(self) -> Clock:
        return clock_from_env()


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=_default, ensure_ascii=False))


pass_app = click.make_pass_decorator(AppContext)

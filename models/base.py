"""Declarative base and the column types shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, Numeric, String
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def decimal_text(value: Decimal) -> str:
    """Canonical lossless text of a decimal: no exponent, no trailing zeros ('119.5', '100')."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


class Money(TypeDecorator[Decimal]):
    """An exact decimal amount.

    PostgreSQL stores NUMERIC. SQLite has no decimal type (SQLAlchemy's Numeric would go
    through float there), so it stores the canonical text of the value, which keeps every
    digit and makes equal amounts compare equal ('119.00' and '119.0' both become '119').
    """

    impl = Numeric(28, 10)
    cache_ok = True
    PLACES = 10

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(28, self.PLACES, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}: {value!r}")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.PLACES and value != value.quantize(Decimal(10) ** -self.PLACES):
            # Refused, not rounded: both databases must keep exactly what they were given.
            raise ValueError(f"amount {value} has more than {self.PLACES} decimal places")
        return decimal_text(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # Both dialects hand back the same canonical value: Decimal('119') for 119.000000.
        return Decimal(value) if dialect.name == "sqlite" else Decimal(decimal_text(Decimal(value)))


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp; naive datetimes are refused, never guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: times are UTC-aware")
        value = value.astimezone(UTC)
        # SQLite keeps text; store it without offset so ordering by text stays right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

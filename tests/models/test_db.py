"""The database: schema applied on first use, foreign databases refused, types kept exact."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from models import Database, DatabaseError, FxRate
from models.base import decimal_text


def test_an_empty_database_gets_the_schema_on_first_use(database_url):
    db = Database(database_url)
    assert db.current_revision() == db.head_revision() is not None
    db.dispose()


def test_a_database_of_someone_else_is_refused_not_migrated(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE payroll (id INTEGER)"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="has tables but no payops schema version"):
        Database(url)


def test_a_schema_newer_than_the_code_is_refused(sqlite_url):
    Database(sqlite_url).dispose()
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="revision 9999, which this version of payops does not know"):
        Database(sqlite_url)


def test_sqlite_runs_in_wal_mode(sqlite_url):
    db = Database(sqlite_url)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


def test_money_round_trips_exactly_and_floats_are_refused(db):
    from datetime import date

    with db.session() as session:
        session.add(FxRate(currency="JPY", date=date(2026, 11, 2), rate_to_usd=Decimal("0.006543219"),
                           reference_version=1))
    with db.session() as session:
        assert session.get(FxRate, ("JPY", date(2026, 11, 2))).rate_to_usd == Decimal("0.006543219")
    with pytest.raises(Exception, match="more than 10 decimal places"), db.session() as session:
        session.add(FxRate(currency="USD", date=date(2026, 11, 2), rate_to_usd=Decimal("1.00000000001"),
                           reference_version=1))
        session.flush()
    with pytest.raises(Exception, match="money must be Decimal"), db.session() as session:
        session.add(FxRate(currency="EUR", date=date(2026, 11, 2), rate_to_usd=1.08, reference_version=1))
        session.flush()


def test_naive_datetimes_are_refused(db):
    from models import ReferenceVersion

    with pytest.raises(Exception, match="naive datetime"), db.session() as session:
        session.add(ReferenceVersion(loaded_at=datetime(2026, 11, 20, 9, 0), kind="vendors", source="x",
                                     sha256="0" * 64, rows_loaded=0, rows_changed=0))
        session.flush()


def test_decimal_text_is_canonical():
    assert decimal_text(Decimal("119.00")) == "119"
    assert decimal_text(Decimal("1E+2")) == "100"
    assert decimal_text(Decimal("-0.50")) == "-0.5"

"""Database fixtures: every database test runs on SQLite, and on PostgreSQL when
PAYOPS_TEST_POSTGRES_URL is set (each test gets a schema of its own, dropped after)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models import Database

POSTGRES_URL = os.environ.get("PAYOPS_TEST_POSTGRES_URL")


def _postgres_schema_url(schema: str) -> str:
    url = make_url(POSTGRES_URL or "")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'payops.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'payops.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PAYOPS_TEST_POSTGRES_URL is not set")
    schema = f"payops_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_postgres_schema_url("public"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()

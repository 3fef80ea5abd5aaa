"""Engine and session set-up, and applying the schema.

The engine is built when a Database is made (at start-up), never at import. SQLite runs
in WAL mode with foreign keys on; any SQLAlchemy URL works through PAYOPS_DATABASE_URL.
An empty database is upgraded to the latest migration on first use.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite:///payops.db"


class DatabaseError(Exception):
    """The database cannot be reached, or its schema is not what this version expects."""


def default_database_url(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("PAYOPS_DATABASE_URL") or DEFAULT_URL


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Bulk ingestion inserts into several indexes at once; a 64 MB page cache keeps them hot.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


class Database:
    """One database: its engine, a session factory, and its schema state."""

    def __init__(self, url: str | None = None, *, upgrade: bool = True, echo: bool = False) -> None:
        self.url = url or default_database_url()
        try:
            # SQLite: a write transaction takes the write lock when it begins (BEGIN
            # IMMEDIATE, waiting up to busy_timeout) instead of at its first write to the
            # main database. Otherwise a transaction that reads after writing to a temporary
            # table (the engine's reference probes) fails at once with "database is locked"
            # if another connection committed in between. Plain reads take no lock.
            connect_args = {"isolation_level": "IMMEDIATE"} if self.url.startswith("sqlite") else {}
            self.engine: Engine = create_engine(self.url, echo=echo, future=True, connect_args=connect_args)
        except (ArgumentError, ImportError) as exc:
            raise DatabaseError(f"cannot use database URL {self.safe_url}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if upgrade:
            self.ensure_schema()

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for messages and logs."""
        try:
            from sqlalchemy.engine import make_url

            return make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return "<unparseable URL>"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(alembic_config()).get_current_head()

    def upgrade(self) -> str | None:
        """Apply every pending migration; returns the revision now in force."""
        try:
            with self.engine.begin() as conn:
                command.upgrade(alembic_config(conn), "head")
        except OperationalError as exc:
            raise DatabaseError(f"cannot migrate {self.safe_url}: {exc.orig}") from exc
        return self.current_revision()

    def ensure_schema(self) -> None:
        """Upgrade an empty database; refuse one whose schema is newer than this code."""
        try:
            with self.engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
                current = MigrationContext.configure(conn).get_current_revision()
        except OperationalError as exc:
            raise DatabaseError(f"cannot open database {self.safe_url}: {exc.orig}") from exc
        head = self.head_revision()
        if current == head:
            return
        if current is None and tables - {"alembic_version"}:
            raise DatabaseError(
                f"database {self.safe_url} has tables but no payops schema version; "
                "point PAYOPS_DATABASE_URL at an empty database or a payops one"
            )
        known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current is not None and current not in known:
            raise DatabaseError(
                f"database {self.safe_url} is at schema revision {current}, which this "
                "version of payops does not know (it was made by a newer version)"
            )
        log.info("upgrading database schema", extra={"from_revision": current, "to": head})
        self.upgrade()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

"""Alembic environment: runs on the connection models.db hands it (never at import)."""

from __future__ import annotations

from alembic import context

import models  # noqa: F401  (registers every table on Base.metadata)
from models.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `payops db upgrade` (models.db.Database.upgrade)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Ingestion batches and the raw records they received, kept verbatim."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime


class Batch(Base):
    """One ingested file. sha256 is unique: the same file twice is one batch."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(32))
    mapping: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    on_hold: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rules_version: Mapped[str] = mapped_column(Text)
    reference_version: Mapped[int] = mapped_column(Integer)
    # Rules that could not run on this batch's invoices: their reference data was not loaded.
    skipped_rules: Mapped[str] = mapped_column(Text, default="")
    # The header line of a CSV-type feed as received, decoded as its rows are (None for
    # JSONL and UBL): with the raw records it lets the rows be read again without the file.
    header: Mapped[str | None] = mapped_column(Text)


# The metrics roll-up reads one day of batches at a time.
Index("ix_batches_received_at", Batch.received_at)


class RawRecord(Base):
    """A received row or document exactly as it came, with what became of it.

    outcome is one of accepted, rejected, on_hold, quarantined; `reason` says why a
    quarantined record could not be read (line and field).
    """

    __tablename__ = "raw_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    invoice_id: Mapped[int | None] = mapped_column(Integer)

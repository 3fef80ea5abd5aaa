"""Database tables, engine and session set-up, and schema migrations.

Imports nothing else of ours (see DESIGN.md, Architecture).
"""

from __future__ import annotations

from models.base import Base
from models.db import Database, DatabaseError, default_database_url
from models.ingestion import Batch, RawRecord
from models.invoices import Finding, FindingWaiver, Invoice, InvoiceEvent, ValidationResult
from models.metrics import PipelineDay, RollupRun, RuleDay, TicketFact
from models.playbooks import AuditEntry, Proposal
from models.reference import Client, FxRate, PurchaseOrder, ReferenceVersion, Vendor, VendorChange
from models.tickets import (
    LabelCorrection,
    SourceCursor,
    Ticket,
    TicketEmbedding,
    TicketEvent,
    TicketLink,
    TicketMessage,
    TicketSubject,
)

__all__ = [
    "AuditEntry",
    "Base",
    "Batch",
    "Client",
    "Database",
    "DatabaseError",
    "Finding",
    "FindingWaiver",
    "FxRate",
    "Invoice",
    "InvoiceEvent",
    "LabelCorrection",
    "PipelineDay",
    "Proposal",
    "PurchaseOrder",
    "RawRecord",
    "ReferenceVersion",
    "RollupRun",
    "RuleDay",
    "SourceCursor",
    "Ticket",
    "TicketEmbedding",
    "TicketEvent",
    "TicketFact",
    "TicketLink",
    "TicketMessage",
    "TicketSubject",
    "ValidationResult",
    "Vendor",
    "VendorChange",
    "default_database_url",
]

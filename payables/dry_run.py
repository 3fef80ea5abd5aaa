"""Validating files without storing anything: `payops validate`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from payables.canonical import Status
from payables.clock import Clock, system_clock
from payables.formats import read_feed
from payables.reference.database import fill_from_client_master, reference_for
from payables.reference.lookup import ExistingInvoice
from payables.rules.base import Finding, RuleContext
from payables.rules.registry import RuleSet, default_ruleset

if TYPE_CHECKING:
    from payables.formats.mapping import ClientMapping

NEEDS_WORDS = {
    "vendors": "vendor master not loaded",
    "purchase_orders": "purchase orders not loaded",
    "fx_rates": "FX rates not loaded",
}


@dataclass(frozen=True)
class DryVerdict:
    file: str
    line_no: int
    invoice_number: str | None
    client_id: str | None
    vendor_id: str | None
    status: str
    findings: tuple[Finding, ...]
    skipped: tuple[str, ...]
    error: str | None = None

    def as_dict(self, ruleset: RuleSet) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line_no,
            "invoice_number": self.invoice_number,
            "client_id": self.client_id,
            "vendor_id": self.vendor_id,
            "status": self.status,
            "findings": [f.as_dict() for f in self.findings],
            "skipped_rules": [
                {"rule": rule_id, "reason": ", ".join(NEEDS_WORDS[n] for n in sorted(ruleset.rule(rule_id).needs)
                                                      if n in NEEDS_WORDS)}
                for rule_id in self.skipped
            ],
            **({"quarantine_reason": self.error} if self.error else {}),
        }


def validate_files(
    conn: Connection,
    paths: Iterable[Path],
    *,
    mapping: ClientMapping | None = None,
    defaults: Mapping[str, str] | None = None,
    ruleset: RuleSet | None = None,
    clock: Clock = system_clock,
) -> list[DryVerdict]:
    """Judge every record of `paths` as ingestion would, against stored reference data."""
    ruleset = ruleset or default_ruleset()
    now = clock()
    feeds = [(path, list(read_feed(path, path.read_bytes(), mapping, defaults).records)) for path in paths]
    invoices = [r.invoice for _, records in feeds for r in records if r.invoice is not None]
    fill_from_client_master(conn, invoices)
    reference = reference_for(conn, invoices)
    ctx = RuleContext(reference=reference, now=now, ingested_at=now)
    verdicts: list[DryVerdict] = []
    for path, records in feeds:
        for record in records:
            inv = record.invoice
            if inv is None:
                verdicts.append(DryVerdict(str(path), record.line_no, None, None, None,
                                           "quarantined", (), (), record.error))
                continue
            evaluation = ruleset.evaluate(inv, ctx, reference.loaded)
            verdicts.append(DryVerdict(str(path), record.line_no, inv.invoice_number, inv.client_id,
                                       inv.vendor_id, evaluation.status.lower(), evaluation.findings,
                                       evaluation.skipped))
            if evaluation.status != Status.REJECTED:
                reference.remember(
                    ExistingInvoice(None, inv.client_id, inv.vendor_id, inv.invoice_number,
                                    str(evaluation.status), earlier_in_file=True),
                    inv.total_amount, inv.invoice_date,
                )
    return verdicts

"""What a playbook is: the root cause it handles, and diagnose -> plan -> verify.

A playbook never writes in `diagnose` or `plan`: it reads the engine and the database
and returns the evidence and the exact changes it would make (`playbooks.changes`). The
runner turns a plan into a proposal (diff, blast radius, dry-run verdicts, risk), gets it
approved, applies the changes one by one, and calls `verify`; when verification fails it
reverts the changes (`on_verify_failure = "rollback"`) or applies `safe_state`, a named
state the playbook rolls forward to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Invoice, Ticket
from payables.clock import Clock
from payables.revalidate import Adjustments, Verdict, judge
from payables.rules.registry import RuleSet, default_ruleset
from playbooks.changes import Change


@dataclass(frozen=True)
class PlaybookOptions:
    """Settings playbooks read (the bot fills them from its configuration)."""

    # A CSV of published rates (currency,date,rate_to_usd): where missing rates come from.
    fx_rate_file: Path | None = None
    # How long an invoice may sit in a non-terminal state before it counts as stuck.
    stuck_after_minutes: dict[str, int] = field(default_factory=lambda: {
        "RECEIVED": 30, "PARSED": 30, "VALIDATED": 24 * 60})
    # Most invoices one plan may touch; a larger blast radius is split or handled by hand.
    max_invoices: int = 500


@dataclass
class Diagnosis:
    """What the playbook found. `applicable` is False when the evidence does not support
    its root cause (the summary says why); the ticket then goes to a person."""

    summary: str
    evidence: list[str] = field(default_factory=list)
    applicable: bool = True
    invoice_ids: list[int] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "evidence": self.evidence, "applicable": self.applicable,
                "invoice_ids": self.invoice_ids, "facts": self.facts}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnosis:
        return cls(data["summary"], list(data.get("evidence") or []), bool(data.get("applicable", True)),
                   list(data.get("invoice_ids") or []), dict(data.get("facts") or {}))


@dataclass
class Context:
    """What a playbook works with: the ticket, the database, the engine, the clock."""

    session: Session
    clock: Clock
    ticket: Ticket | None
    options: PlaybookOptions = field(default_factory=PlaybookOptions)
    ruleset: RuleSet = field(default_factory=default_ruleset)
    # When a playbook found its root cause not borne out: (that playbook, its diagnosis),
    # for the hand-off to a person.
    prior: tuple[Any, Diagnosis] | None = None
    _verdicts: dict[tuple[int, str, str], Verdict] = field(default_factory=dict, repr=False)

    @property
    def now(self) -> datetime:
        return self.clock()

    @property
    def entities(self) -> dict[str, Any]:
        return dict((self.ticket.entities if self.ticket is not None else None) or {})

    def named_invoices(self, limit: int = 50) -> list[Invoice]:
        """The invoices the ticket names (every client's: playbooks are on-call's tools)."""
        numbers = list(self.entities.get("invoices") or [])[:limit]
        if not numbers:
            return []
        query = select(Invoice).where(Invoice.invoice_number.in_(numbers)).order_by(Invoice.id).limit(limit)
        return list(self.session.scalars(query))

    def verdict(self, invoice: Invoice, adjust: Adjustments | None = None) -> Verdict:
        """The engine's verdict on `invoice` now, or on a copy changed by `adjust`.

        Kept for the life of the context (one diagnosis and plan, which write nothing):
        the diagnosis, the plan and the dry run ask the same questions."""
        key = (invoice.id, invoice.status, repr(adjust))
        if key not in self._verdicts:
            self._verdicts[key] = judge(self.session, invoice, adjust=adjust, ruleset=self.ruleset, clock=self.clock)
        return self._verdicts[key]

    def simulate(self, invoice: Invoice, changes: Sequence[Change]) -> Verdict:
        """The verdict `invoice` would get once `changes` are applied (on copies)."""
        adjust = Adjustments()
        for change in changes:
            adjust = change.simulate(self.session, invoice, adjust)
        return self.verdict(invoice, adjust if adjust != Adjustments() else None)


@dataclass
class Plan:
    """The exact changes, in order, and the invoices they affect (the blast radius)."""

    summary: str
    changes: list[Change]
    invoice_ids: list[int]
    # What verify should find afterwards, in words (shown with the proposal).
    expected: str = ""
    # An unanswered proposal expires at this time at the latest (an SLA deadline, say).
    deadline: datetime | None = None
    # Sent when the plan is proposed, before anyone approves: a page that cannot wait.
    announce: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Check:
    """One verification: what was checked and whether it holds."""

    what: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "ok": self.ok, "detail": self.detail}


class Playbook:
    """Subclass per root cause, in a module of `playbooks/library/`: the registry finds it."""

    name: ClassVar[str]
    root_cause: ClassVar[str]
    title: ClassVar[str]
    version: ClassVar[str] = "1"
    # "rollback": undo every applied change; "roll_forward": apply `safe_state` instead.
    on_verify_failure: ClassVar[str] = "rollback"
    safe_state_name: ClassVar[str] = ""

    def diagnose(self, ctx: Context) -> Diagnosis:
        raise NotImplementedError

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        """The changes that fix what `diagnosis` found; None when there is nothing to do."""
        raise NotImplementedError

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        raise NotImplementedError

    def safe_state(self, ctx: Context, plan: Plan) -> list[Change]:
        """The changes that put things in `safe_state_name` when verification fails."""
        return []

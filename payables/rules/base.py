"""What a rule is, what it finds, and the packs rules are registered in.

A rule is a plain function over one canonical invoice and a RuleContext, returning None
when the invoice passes, or one Problem (or several) in plain language: what is wrong,
with the offending values, and what the reader can do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from payables.canonical import CanonicalInvoice

if TYPE_CHECKING:
    from payables.reference import ReferenceLookup


class Severity(StrEnum):
    BLOCK = "block"  # rejects the invoice
    HOLD = "hold"  # puts it on hold for a person
    WARN = "warn"  # only notes
    INCIDENT = "incident"  # raises an incident; the invoice itself is not judged by it


class Needs(StrEnum):
    """Reference data a rule cannot run without."""

    VENDORS = "vendors"
    PURCHASE_ORDERS = "purchase_orders"
    FX_RATES = "fx_rates"
    INVOICES = "invoices"  # earlier invoices, for duplicate checks


@dataclass(frozen=True, slots=True)
class Problem:
    message: str  # what is wrong, with the offending values
    action: str  # what the reader can do about it
    severity: Severity | None = None  # overrides the rule's own (e.g. a PEPPOL warning)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    action: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """What the store knows of an invoice beyond its content (for SLA-01)."""

    status: str
    ingested_at: datetime
    scheduled_at: datetime | None


@dataclass(slots=True)
class RuleContext:
    reference: ReferenceLookup
    now: datetime
    ingested_at: datetime
    state: InvoiceState | None = None
    # Results of rules that depend only on a part of the invoice (see Rule.memo_key), kept
    # for as long as this context (one batch, one reference snapshot) lives.
    memo: dict[tuple[str, Any], CheckResult] = field(default_factory=dict)


CheckResult = Problem | Iterable[Problem] | None
Check = Callable[[CanonicalInvoice, RuleContext], CheckResult]
Group = Callable[[CanonicalInvoice, RuleContext], Mapping[str, CheckResult]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    check: Check
    source: str = "payops"
    geographies: frozenset[str] | None = None  # None: every geography
    business_lines: frozenset[str] | None = None  # None: every business line
    applies_when: Callable[[CanonicalInvoice], bool] | None = None
    scope_note: str = ""  # words for applicability that sets cannot express
    needs: frozenset[Needs] = frozenset()
    ubl_only: bool = False
    # When set, the result depends only on this key of the invoice (e.g. the vendor's ids),
    # so a batch computes it once per distinct key.
    memo_key: Callable[[CanonicalInvoice], Any] | None = None
    # When set, one call of this function works out every rule sharing it (problems per
    # rule id), and the rule set calls it once per invoice for all of them: a pack of a
    # hundred schematron rules costs one call, not a hundred. `check` still gives the
    # rule's own result.
    group: Group | None = None

    def applies_to(self) -> str:
        """Applicability in words, as `payops rules` shows it."""
        parts = []
        if self.geographies is not None:
            parts.append("geography " + ", ".join(sorted(self.geographies)))
        if self.business_lines is not None:
            parts.append("business line " + ", ".join(sorted(self.business_lines)))
        if self.scope_note:
            parts.append(self.scope_note)
        if self.ubl_only:
            parts.append("UBL documents")
        return "; ".join(parts) or "all"

    def in_scope(self, geography: str | None, business_line: str | None) -> bool:
        if geography and self.geographies is not None and geography not in self.geographies:
            return False
        return not (
            business_line and self.business_lines is not None and business_line not in self.business_lines
        )


@dataclass
class RulePack:
    """A named, versioned set of rules; a geography or business line can bring its own."""

    name: str
    version: str
    source: str = "payops"
    description: str = ""
    rules: list[Rule] = field(default_factory=list)

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"

    def rule(
        self,
        rule_id: str,
        severity: Severity,
        title: str,
        *,
        geographies: Iterable[str] | None = None,
        business_lines: Iterable[str] | None = None,
        applies_when: Callable[[CanonicalInvoice], bool] | None = None,
        scope_note: str = "",
        needs: Iterable[Needs] = (),
        ubl_only: bool = False,
        memo_key: Callable[[CanonicalInvoice], Any] | None = None,
        group: Group | None = None,
    ) -> Callable[[Check], Check]:
        """Register the decorated function as a rule of this pack."""

        def register(check: Check) -> Check:
            self.rules.append(
                Rule(
                    id=rule_id,
                    severity=severity,
                    title=title,
                    check=check,
                    source=self.source,
                    geographies=frozenset(geographies) if geographies is not None else None,
                    business_lines=frozenset(business_lines) if business_lines is not None else None,
                    applies_when=applies_when,
                    scope_note=scope_note,
                    needs=frozenset(needs),
                    ubl_only=ubl_only,
                    memo_key=memo_key,
                    group=group,
                )
            )
            return check

        return register


class DocumentRules:
    """Rules a pack works out together on a UBL document, once per document.

    `compute(inv)` gives every rule's problems by rule id; it runs once per document (the
    same UblDocument object: a tree changed and read again is judged again), and the rule
    set calls it once for all the rules (`Rule.group`). Each rule's own `check` reads its
    entry, so calling one rule alone gives the same answer.
    """

    def __init__(self, pack: RulePack, compute: Callable[[CanonicalInvoice], Mapping[str, CheckResult]]) -> None:
        self.pack = pack
        self._compute = compute
        self._doc: object = None
        self._found: Mapping[str, CheckResult] = {}

    def findings(self, inv: CanonicalInvoice, ctx: RuleContext | None = None) -> Mapping[str, CheckResult]:
        doc = inv.ubl
        if doc is None:
            return {}
        if self._doc is not doc:
            self._found = self._compute(inv)
            self._doc = doc
        return self._found

    def rule(self, rule_id: str, severity: Severity, title: str, *, scope_note: str = "") -> None:
        def check(inv: CanonicalInvoice, ctx: RuleContext) -> CheckResult:
            return self.findings(inv).get(rule_id)

        check.__name__ = check.__qualname__ = "check_" + rule_id.replace("-", "_").lower()
        check.__doc__ = title
        self.pack.rule(rule_id, severity, title, ubl_only=True, scope_note=scope_note, group=self.findings)(check)

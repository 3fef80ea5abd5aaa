"""Finding rule packs and putting them together into the rule set in force.

Every module in payables/rules/packs/ that defines `PACK` (or `PACKS`) is a pack: adding
a geography's or a business line's rules is adding one module, nothing else.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from payables.canonical import CanonicalInvoice, Status
from payables.rules import packs as packs_package
from payables.rules.base import (
    Check,
    CheckResult,
    Finding,
    Group,
    Needs,
    Problem,
    Rule,
    RuleContext,
    RulePack,
    Severity,
)

log = logging.getLogger(__name__)


def discover_packs() -> list[RulePack]:
    found: list[RulePack] = []
    for module_info in sorted(pkgutil.iter_modules(packs_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{packs_package.__name__}.{module_info.name}")
        found.extend(getattr(module, "PACKS", ()))
        if hasattr(module, "PACK"):
            found.append(module.PACK)
    return found


@dataclass(frozen=True, slots=True)
class Evaluation:
    status: Status  # VALIDATED, REJECTED or ON_HOLD
    findings: tuple[Finding, ...]
    skipped: tuple[str, ...]  # rules that could not run: their reference data is not loaded


_Call = tuple[Rule, Check, Callable[[CanonicalInvoice], bool] | None, Any]


@dataclass(frozen=True, slots=True)
class _GroupCall:
    """Rules worked out by one shared call (Rule.group), in the plan where the first was."""

    group: Group
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    run: tuple[Rule, ...]
    skipped: tuple[Rule, ...]
    # (rule, check, applies_when, memo_key) unpacked once, or a group of rules: evaluate runs
    # for every invoice.
    calls: tuple[_Call | _GroupCall, ...] = ()

    @classmethod
    def of(cls, run: tuple[Rule, ...], skipped: tuple[Rule, ...]) -> _Plan:
        return cls(run, skipped, plan_calls(run))


def plan_calls(rules: Iterable[Rule]) -> tuple[_Call | _GroupCall, ...]:
    calls: list[_Call | _GroupCall] = []
    grouped: dict[int, list[Rule]] = {}
    for r in rules:
        if r.group is None:
            calls.append((r, r.check, r.applies_when, r.memo_key))
        elif id(r.group) in grouped:
            grouped[id(r.group)].append(r)
        else:
            grouped[id(r.group)] = [r]
            calls.append(_GroupCall(r.group, ()))  # its rules are filled in below
    return tuple(_GroupCall(c.group, tuple(grouped[id(c.group)])) if isinstance(c, _GroupCall) else c
                 for c in calls)


def status_of(findings: Iterable[Finding]) -> Status:
    severities = {f.severity for f in findings}
    if Severity.BLOCK in severities:
        return Status.REJECTED
    if Severity.HOLD in severities:
        return Status.ON_HOLD
    return Status.VALIDATED


class RuleSet:
    """The packs in force, with the rules that apply to each kind of invoice precomputed."""

    def __init__(self, packs: Iterable[RulePack]) -> None:
        self.packs = tuple(sorted(packs, key=lambda p: p.name))
        self.rules: tuple[Rule, ...] = tuple(r for p in self.packs for r in p.rules)
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids registered twice: {', '.join(dupes)}")
        self.version = "+".join(p.tag for p in self.packs)
        self._plans: dict[tuple[str, str, bool, frozenset[Needs]], _Plan] = {}

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def in_scope(self, geography: str | None = None, business_line: str | None = None) -> list[Rule]:
        return [r for r in self.rules if r.in_scope(geography, business_line)]

    def plan(self, invoice: CanonicalInvoice, available: frozenset[Needs]) -> _Plan:
        """The rules to run on invoices like this one, and those skipped for want of data."""
        key = (invoice.geography, invoice.business_line, invoice.ubl is not None, available)
        plan = self._plans.get(key)  # a few dozen kinds of invoice: built once each
        if plan is None:
            in_scope = [
                r
                for r in self.rules
                if (not r.ubl_only or key[2])
                and (r.geographies is None or key[0] in r.geographies)
                and (r.business_lines is None or key[1] in r.business_lines)
            ]
            plan = _Plan.of(
                tuple(r for r in in_scope if r.needs <= available),
                tuple(r for r in in_scope if not r.needs <= available),
            )
            self._plans[key] = plan
        return plan

    def evaluate(
        self, invoice: CanonicalInvoice, ctx: RuleContext, available: frozenset[Needs]
    ) -> Evaluation:
        plan = self.plan(invoice, available)
        findings: list[Finding] = []
        skipped = [r.id for r in plan.skipped if r.applies_when is None or r.applies_when(invoice)]
        memo = ctx.memo
        for call in plan.calls:
            if isinstance(call, _GroupCall):
                self._run_group(call, invoice, ctx, findings)
                continue
            rule, check, applies_when, memo_key = call
            if applies_when is not None and not applies_when(invoice):
                continue
            if memo_key is not None:
                key = (rule.id, memo_key(invoice))
                if key in memo:
                    result = memo[key]
                else:
                    result = memo[key] = self._run(rule, check, invoice, ctx)
            else:
                result = self._run(rule, check, invoice, ctx)
            if result is None:
                continue
            for problem in (result,) if isinstance(result, Problem) else result:
                findings.append(
                    Finding(rule.id, problem.severity or rule.severity, problem.message, problem.action)
                )
        if not findings:
            return Evaluation(Status.VALIDATED, (), tuple(skipped))
        return Evaluation(status_of(findings), tuple(findings), tuple(skipped))

    @staticmethod
    def _run_group(call: _GroupCall, invoice: CanonicalInvoice, ctx: RuleContext, findings: list[Finding]) -> None:
        try:
            results = call.group(invoice, ctx)
        except Exception:  # as for one rule: hold the invoice, keep the batch
            log.exception("rules %s failed on invoice %s", ", ".join(r.id for r in call.rules), invoice.invoice_number)
            rule = call.rules[0]
            findings.append(Finding(rule.id, Severity.HOLD,
                                    f"payops could not complete checks {rule.id}... on this invoice (internal error)",
                                    "The invoice is held for a person; support has the error in the logs."))
            return
        if not results:
            return
        for rule in call.rules:
            result = results.get(rule.id)
            if result is None or (rule.applies_when is not None and not rule.applies_when(invoice)):
                continue
            for problem in (result,) if isinstance(result, Problem) else result:
                findings.append(Finding(rule.id, problem.severity or rule.severity, problem.message, problem.action))

    @staticmethod
    def _run(rule: Rule, check: Check, invoice: CanonicalInvoice, ctx: RuleContext) -> CheckResult:
        try:
            return check(invoice, ctx)
        except Exception:  # a broken rule must hold the invoice, not lose the batch
            log.exception("rule %s failed on invoice %s", rule.id, invoice.invoice_number)
            return Problem(
                f"payops could not complete check {rule.id} on this invoice (internal error)",
                "The invoice is held for a person; support has the error in the logs.",
                Severity.HOLD,
            )


@lru_cache(maxsize=1)
def default_ruleset() -> RuleSet:
    return RuleSet(discover_packs())

"""Rules sharing a group are worked out by one call per invoice, with the same verdicts."""

from __future__ import annotations

from payables.canonical import Status
from payables.conformance import run_rules
from payables.rules.base import Needs, Problem, RulePack, Severity
from payables.rules.registry import RuleSet
from tests.factories import make_context, make_invoice


def _pack(calls: list[str], *, fail: bool = False) -> RulePack:
    pack = RulePack("grouped", "1")

    def all_of(inv, ctx):  # type: ignore[no-untyped-def]
        calls.append(inv.invoice_number)
        if fail:
            raise RuntimeError("boom")
        return {"G-1": Problem("first", "fix one"), "G-3": [Problem("third a", "x"), Problem("third b", "y")]}

    for rule_id in ("G-1", "G-2", "G-3"):
        pack.rule(rule_id, Severity.BLOCK, rule_id, group=all_of)(lambda inv, ctx: None)
    pack.rule("G-4", Severity.WARN, "alone")(lambda inv, ctx: Problem("alone", ""))
    return pack


def test_one_call_for_the_whole_group_and_every_finding_kept():
    calls: list[str] = []
    evaluation = RuleSet([_pack(calls)]).evaluate(make_invoice(), make_context(), frozenset(Needs))
    assert calls == ["INV-2291"]
    assert [(f.rule, f.message) for f in evaluation.findings] == [
        ("G-1", "first"), ("G-3", "third a"), ("G-3", "third b"), ("G-4", "alone")]
    assert evaluation.status == Status.REJECTED
    calls.clear()
    assert [f.rule for f in run_rules(make_invoice(), _pack(calls).rules, make_context())] == ["G-1", "G-3", "G-3", "G-4"]
    assert calls == ["INV-2291"]


def test_a_group_that_fails_holds_the_invoice_instead_of_losing_it():
    evaluation = RuleSet([_pack([], fail=True)]).evaluate(make_invoice(), make_context(), frozenset(Needs))
    assert evaluation.status == Status.ON_HOLD
    assert evaluation.findings[0].severity == Severity.HOLD and "internal error" in evaluation.findings[0].message


def test_document_rules_compute_once_per_document_and_each_check_agrees():
    from payables.rules.base import DocumentRules
    from tests.payables.test_en16931_totals import line, lmt, tax_total, ubl

    computed: list[object] = []
    pack = RulePack("doc-rules", "1")

    def compute(inv):  # type: ignore[no-untyped-def]
        computed.append(inv.ubl)
        return {"D-1": [Problem("one", "fix")]}

    rules = DocumentRules(pack, compute)
    rules.rule("D-1", Severity.BLOCK, "first")
    rules.rule("D-2", Severity.WARN, "second")
    invoice = ubl(lmt(lines="10.00"), line("10.00"), tax_total("0.00"))
    evaluation = RuleSet([pack]).evaluate(invoice, make_context(), frozenset(Needs))
    assert [f.rule for f in evaluation.findings] == ["D-1"] and len(computed) == 1
    assert pack.rules[0].check(invoice, make_context()) == [Problem("one", "fix")]
    assert pack.rules[1].check(invoice, make_context()) is None and len(computed) == 1
    assert RuleSet([pack]).evaluate(make_invoice(), make_context(), frozenset(Needs)).findings == ()  # not UBL

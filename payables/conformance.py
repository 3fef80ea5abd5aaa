"""Checking the engine's EN 16931 / PEPPOL rules against the official conformance material.

`run_conformance(root, ruleset)` does two things over a conformance folder laid out as in
/work/shared/conformance (a copy lives in tests/data/conformance):

- every example document (PEPPOL examples and national examples, EN 16931 UBL examples) is
  read as a UBL invoice and the EN16931/PEPPOL rules are run on it: the examples are meant to
  pass, so every fatal (block) finding is counted against the engine;
- every unit-test file (a vefa `<testSet>`) states, per fragment, which rules must fire and
  how often (`<error number="2">BR-CO-14</error>`, `<warning>`, `<fatal>`) or must not fire
  (`<success>`). Expectations count only for the rules in the file's `<scope>` that the rule
  set implements; each is checked by running the engine's rule on the fragment.

Only rules whose source is EN16931 or PEPPOL count. Rules are called directly (not through
RuleSet.evaluate), with reference data of every kind "loaded" but empty, and restricted only by
the geography and business line an invoice actually states (fragments usually state neither).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.safe_xml import XmlRejected, parse_xml
from payables.formats.ubl import invoice_from_ubl, ubl_record
from payables.formats.ubl_model import read_ubl_document
from payables.reference import MemoryReference
from payables.rules.base import CheckResult, Finding, Needs, Problem, Rule, RuleContext, Severity
from payables.rules.registry import RuleSet, default_ruleset

VEFA_NS = "http://difi.no/xsd/vefa/validator/1.0"
COUNTED_SOURCES = ("EN16931", "PEPPOL")
EXAMPLE_GLOBS = (
    "peppol-bis-invoice-3/rules/examples/*",
    "peppol-bis-invoice-3/rules/national-examples/**/*",
    "en16931/ubl/examples/*",
)
UNIT_TEST_GLOBS = ("en16931/test/Invoice-unit-UBL/*", "peppol-bis-invoice-3/rules/unit-UBL-*/*")
# What each kind of expectation requires of the findings (None: the rule must not fire at all).
_EXPECTED_SEVERITY = {
    "success": None,
    "error": Severity.BLOCK,
    "fatal": Severity.BLOCK,
    "warning": Severity.WARN,
}


@dataclass(frozen=True, slots=True)
class Expectation:
    file: str  # relative to the conformance root
    test: int  # 1-based position of the <test> in the file
    rule: str
    kind: str  # success, error, fatal or warning
    number: int  # how many times the rule must fire (0 for success)


@dataclass(frozen=True, slots=True)
class Failure:
    expectation: Expectation
    fired: int  # times the rule fired with the expected severity (any severity for success)
    detail: str

    def as_dict(self) -> dict[str, object]:
        e = self.expectation
        return {
            "file": e.file,
            "test": e.test,
            "rule": e.rule,
            "expected": e.kind,
            "number": e.number,
            "fired": self.fired,
            "detail": self.detail,
        }


@dataclass(slots=True)
class Tally:
    met: int = 0
    total: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.total, 2) if self.total else None


@dataclass(frozen=True, slots=True)
class ExampleResult:
    file: str
    error: str | None  # why the document did not become an invoice
    fatal: tuple[Finding, ...] = ()


@dataclass
class ConformanceReport:
    rules: tuple[str, ...]  # the EN16931/PEPPOL rule ids the rule set implements
    families: dict[str, Tally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    examples: list[ExampleResult] = field(default_factory=list)
    unit_files: int = 0

    @property
    def total(self) -> Tally:
        return Tally(
            sum(t.met for t in self.families.values()), sum(t.total for t in self.families.values())
        )

    @property
    def examples_parsed(self) -> int:
        return sum(1 for e in self.examples if e.error is None)

    @property
    def fatal_findings(self) -> int:
        return sum(len(e.fatal) for e in self.examples)

    def as_dict(self) -> dict[str, object]:
        total = self.total
        return {
            "rules": list(self.rules),
            "unit_test_files": self.unit_files,
            "families": {
                name: {"met": t.met, "total": t.total, "percent": t.percent}
                for name, t in sorted(self.families.items())
            },
            "total": {"met": total.met, "total": total.total, "percent": total.percent},
            "failures": [f.as_dict() for f in self.failures],
            "examples": {
                "documents": len(self.examples),
                "parsed": self.examples_parsed,
                "fatal_findings": self.fatal_findings,
                "unparsed": {e.file: e.error for e in self.examples if e.error},
                "findings": [
                    dict(file=e.file, **f.as_dict()) for e in self.examples for f in e.fatal
                ],
            },
        }


def family(rule_id: str) -> str:
    """The rule family: BR-CO-10 -> BR-CO, BR-01 -> BR, PEPPOL-EN16931-R001 -> PEPPOL-EN16931-R."""
    return re.sub(r"-?\d+$", "", rule_id) or rule_id


def counted_rules(ruleset: RuleSet) -> tuple[Rule, ...]:
    return tuple(r for r in ruleset.rules if r.source.upper().startswith(COUNTED_SOURCES))


def make_context() -> RuleContext:
    now = datetime.now(UTC)
    return RuleContext(reference=MemoryReference(loaded=set(Needs)), now=now, ingested_at=now)


def run_rules(invoice: CanonicalInvoice, rules: Iterable[Rule], ctx: RuleContext) -> list[Finding]:
    """The findings of `rules` on `invoice`; a rule that raises is reported as an incident.
    Rules sharing a group (Rule.group) are worked out by one call, as the engine does."""
    findings: list[Finding] = []
    groups: dict[int, Mapping[str, CheckResult] | Exception] = {}
    for rule in rules:
        if not rule.in_scope(invoice.geography or None, invoice.business_line or None):
            continue
        if (rule.ubl_only and invoice.ubl is None) or (
            rule.applies_when and not rule.applies_when(invoice)
        ):
            continue
        try:
            if rule.group is None:
                result = rule.check(invoice, ctx)
            else:
                if id(rule.group) not in groups:
                    try:
                        groups[id(rule.group)] = rule.group(invoice, ctx)
                    except Exception as exc:
                        groups[id(rule.group)] = exc
                shared = groups[id(rule.group)]
                if isinstance(shared, Exception):
                    raise shared
                result = shared.get(rule.id)
        except Exception as exc:  # the harness reports a broken rule, it does not stop
            findings.append(Finding(rule.id, Severity.INCIDENT, f"the rule raised {exc!r}", ""))
            continue
        if result is None:
            continue
        for problem in (result,) if isinstance(result, Problem) else result:
            findings.append(
                Finding(rule.id, problem.severity or rule.severity, problem.message, problem.action)
            )
    return findings


def _files(root: Path, patterns: Iterable[str]) -> Iterator[Path]:
    for pattern in patterns:
        yield from sorted(
            p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() == ".xml"
        )


def check_examples(root: Path, rules: tuple[Rule, ...], ctx: RuleContext) -> list[ExampleResult]:
    results = []
    for path in _files(root, EXAMPLE_GLOBS):
        name = path.relative_to(root).as_posix()
        record = ubl_record(path.read_bytes())
        if record.invoice is None:
            results.append(ExampleResult(name, record.error or "not read"))
            continue
        findings = run_rules(record.invoice, rules, ctx)
        results.append(
            ExampleResult(name, None, tuple(f for f in findings if f.severity == Severity.BLOCK))
        )
    return results


def _vefa(local: str) -> str:
    return f"{{{VEFA_NS}}}{local}"


def _expectations(
    test: etree._Element, file: str, number: int, scope: set[str]
) -> list[Expectation]:
    found = []
    for node in test.findall(f"{_vefa('assert')}/*"):
        kind = etree.QName(node).localname
        rule = (node.text or "").strip()
        if kind not in _EXPECTED_SEVERITY or rule not in scope:
            continue
        count = 0 if kind == "success" else int(node.get("number") or 1)
        found.append(Expectation(file, number, rule, kind, count))
    return found


def _fragment_invoice(test: etree._Element) -> CanonicalInvoice | str:
    """The canonical invoice of the test's document, or why there is none."""
    docs = [c for c in test if isinstance(c.tag, str) and etree.QName(c).namespace != VEFA_NS]
    if len(docs) != 1:
        return f"the test holds {len(docs)} documents, not one"
    doc = read_ubl_document(copy.deepcopy(docs[0]))  # its own document, as the validator sees it
    if doc is None:
        return f"the test's document <{etree.QName(docs[0]).localname}> is not a UBL Invoice or CreditNote"
    return invoice_from_ubl(doc)


def _judge(expectation: Expectation, findings: list[Finding]) -> Failure | None:
    own = [f for f in findings if f.rule == expectation.rule]
    wanted = _EXPECTED_SEVERITY[expectation.kind]
    if wanted is None:
        return Failure(expectation, len(own), "; ".join(f.message for f in own)) if own else None
    fired = sum(1 for f in own if f.severity == wanted)
    if fired == expectation.number:
        return None
    detail = "; ".join(f"[{f.severity}] {f.message}" for f in own) or "the rule did not fire"
    return Failure(expectation, fired, detail)


def check_unit_file(
    path: Path, name: str, rules: tuple[Rule, ...], ctx: RuleContext
) -> Iterator[tuple[Expectation, Failure | None]]:
    try:
        test_set = parse_xml(path.read_bytes())
    except XmlRejected as exc:
        raise ValueError(f"{name}: {exc}") from None
    implemented = {r.id for r in rules}
    scope = {(s.text or "").strip() for s in test_set.iter(_vefa("scope"))} & implemented
    if not scope:
        return
    for number, test in enumerate(test_set.findall(_vefa("test")), 1):
        expectations = _expectations(test, name, number, scope)
        if not expectations:
            continue
        invoice = _fragment_invoice(test)
        if isinstance(invoice, str):
            for e in expectations:
                yield e, Failure(e, 0, invoice)
            continue
        findings = run_rules(invoice, [r for r in rules if r.id in scope], ctx)
        for e in expectations:
            yield e, _judge(e, findings)


def run_conformance(root: Path, ruleset: RuleSet | None = None) -> ConformanceReport:
    """Examples and unit tests under `root` checked against the EN16931/PEPPOL rules of `ruleset`."""
    rules = counted_rules(ruleset if ruleset is not None else default_ruleset())
    ctx = make_context()
    report = ConformanceReport(rules=tuple(sorted(r.id for r in rules)))
    report.examples = check_examples(root, rules, ctx)
    for path in _files(root, UNIT_TEST_GLOBS):
        report.unit_files += 1
        for expectation, failure in check_unit_file(
            path, path.relative_to(root).as_posix(), rules, ctx
        ):
            tally = report.families.setdefault(family(expectation.rule), Tally())
            tally.total += 1
            if failure is None:
                tally.met += 1
            else:
                report.failures.append(failure)
    return report

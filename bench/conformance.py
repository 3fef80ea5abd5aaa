"""EN 16931 / PEPPOL conformance figures of the rule engine.

    python bench/conformance.py                 # on tests/data/conformance
    python bench/conformance.py --root /work/shared/conformance --json

Prints, for the EN16931/PEPPOL rules the engine implements: expectations of the official unit
tests met / total per rule family and in total, the failures, and how many example documents
were read and how many fatal findings the rules raised on them (should be zero).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from payables.conformance import ConformanceReport, run_conformance  # noqa: E402
from payables.rules.registry import default_ruleset  # noqa: E402


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} %"


def print_report(report: ConformanceReport, root: Path, max_failures: int) -> None:
    print(f"conformance material: {root}")
    print(
        f"rules counted (EN16931/PEPPOL sources): {len(report.rules)}: {', '.join(report.rules) or 'none'}"
    )
    print(f"unit-test files read: {report.unit_files}")
    print()
    print(f"{'family':<24} {'met':>6} {'total':>6} {'agreement':>10}")
    for name, tally in sorted(report.families.items()):
        print(f"{name:<24} {tally.met:>6} {tally.total:>6} {_percent(tally.percent):>10}")
    total = report.total
    print(f"{'TOTAL':<24} {total.met:>6} {total.total:>6} {_percent(total.percent):>10}")
    print()
    print(
        f"example documents: {len(report.examples)}, parsed {report.examples_parsed}, "
        f"fatal findings {report.fatal_findings}"
    )
    for example in report.examples:
        if example.error:
            print(f"  not parsed: {example.file}: {example.error}")
        for finding in example.fatal:
            print(f"  {example.file}: {finding.rule}: {finding.message}")
    if report.failures:
        print()
        print(f"failed expectations: {len(report.failures)}")
        for failure in report.failures[:max_failures]:
            e = failure.expectation
            want = "not fire" if e.kind == "success" else f"fire {e.number}x as {e.kind}"
            print(
                f"  {e.file} test {e.test}: {e.rule} should {want}, fired {failure.fired}x: {failure.detail}"
            )
        if len(report.failures) > max_failures:
            print(f"  ... and {len(report.failures) - max_failures} more (--max-failures)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=REPO / "tests" / "data" / "conformance",
        help="conformance folder (default: tests/data/conformance)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--max-failures", type=int, default=50, help="failures to list (text output)"
    )
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"{args.root} is not a folder")
    report = run_conformance(args.root, default_ruleset())
    if args.json:
        print(json.dumps({"root": str(args.root), **report.as_dict()}, indent=2))
    else:
        print_report(report, args.root, args.max_failures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

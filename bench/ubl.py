"""UBL e-invoices through the engine: documents per second, parse plus the EN 16931/PEPPOL rules.

    python bench/ubl.py [--root /work/shared/conformance] [--documents 3000] [--json]

Reads every example and national example document of the conformance material (PEPPOL BIS 3
examples, EN 16931 UBL examples), then times, on one core, --documents of them (the set
repeated): bytes -> safe XML parse -> UBL document and canonical invoice -> every rule whose
source is EN16931 or PEPPOL (the verdict an official validator gives), evaluated the way
ingestion does (`RuleSet.evaluate`). Also reports the whole engine rule set (payops's own
rules too, with empty reference data) for context.

Target (the EN 16931/PEPPOL issue): at least 1,200 documents/s; the official EN 16931
schematron run by SaxonC-HE does about 120 documents/s on this machine's kind.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from payables.conformance import EXAMPLE_GLOBS, make_context  # noqa: E402
from payables.formats.ubl import ubl_record  # noqa: E402
from payables.rules.base import Needs  # noqa: E402
from payables.rules.registry import RuleSet, default_ruleset  # noqa: E402

OFFICIAL_SOURCES = ("EN16931", "PEPPOL")

TARGET = 1200


def documents(root: Path) -> list[tuple[str, bytes]]:
    found = []
    for pattern in EXAMPLE_GLOBS:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and path.suffix.lower() == ".xml":
                found.append((str(path.relative_to(root)), path.read_bytes()))
    return found


def timed(docs: list[tuple[str, bytes]], count: int, ruleset: RuleSet | None) -> tuple[float, int, list[float]]:
    """Seconds for `count` documents through the engine's own path (`RuleSet.evaluate`, as
    ingestion runs it), findings raised, and per-document times in ms."""
    ctx = make_context()
    loaded = frozenset(Needs)
    findings = 0
    each: list[float] = []
    start = time.perf_counter()
    for i in range(count):
        _, data = docs[i % len(docs)]
        t0 = time.perf_counter()
        record = ubl_record(data)
        if record.invoice is not None and ruleset is not None:
            findings += len(ruleset.evaluate(record.invoice, ctx, loaded).findings)
        each.append((time.perf_counter() - t0) * 1000)
    return time.perf_counter() - start, findings, each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/work/shared/conformance"))
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = args.root if args.root.exists() else REPO / "tests" / "data" / "conformance"
    docs = documents(root)
    if not docs:
        sys.exit(f"no example documents under {root}")
    ruleset = default_ruleset()
    official = RuleSet(p for p in ruleset.packs if p.source.upper().startswith(OFFICIAL_SOURCES))
    timed(docs, min(len(docs), 50), official)  # warm-up: imports, caches
    seconds, findings, each = timed(docs, args.documents, official)
    all_seconds, _, _ = timed(docs, args.documents, ruleset)
    parse_seconds, _, _ = timed(docs, args.documents, None)
    result = {
        "root": str(root),
        "distinct_documents": len(docs),
        "documents": args.documents,
        "official_rules": len(official.rules),
        "docs_per_s": round(args.documents / seconds, 1),
        "p50_ms": round(statistics.median(each), 3),
        "p95_ms": round(sorted(each)[int(0.95 * (len(each) - 1))], 3),
        "parse_only_docs_per_s": round(args.documents / parse_seconds, 1),
        "all_engine_rules_docs_per_s": round(args.documents / all_seconds, 1),
        "findings": findings,
        "target_docs_per_s": TARGET,
        "target_met": args.documents / seconds >= TARGET,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(docs)} example documents from {root}, {args.documents} timed, one core")
    print(f"  parse + {len(official.rules)} EN16931/PEPPOL rules: {result['docs_per_s']:,} documents/s "
          f"(p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms per document)")
    print(f"  parse only: {result['parse_only_docs_per_s']:,} documents/s; whole engine rule set: "
          f"{result['all_engine_rules_docs_per_s']:,} documents/s")
    print(f"  target >= {TARGET}/s: {'met' if result['target_met'] else 'MISSED'}")


if __name__ == "__main__":
    main()

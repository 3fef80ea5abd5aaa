"""Triage speed: model load time, single-ticket latency (embedding included), batch rate.

    python bench/triage.py [--model DIR] [--tickets 300] [--json]

Uses the model in --model (default PAYOPS_MODEL_DIR or ./payops-model), training one on the
bundled corpus first when there is none. Targets (issue 3) on this 2-core CPU: load < 5 s,
p95 < 30 ms per ticket, batch >= 300 tickets/s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--tickets", type=int, default=300, help="tickets timed one by one")
    parser.add_argument("--batch", type=int, default=0, help="tickets in the batch run (default: the corpus)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    start = time.perf_counter()
    from triage import model_store
    from triage.embeddings import Embedder

    directory = args.model or model_store.model_dir()
    if not (directory / "meta.json").exists():
        print(f"no model in {directory}: training one on the bundled corpus first", file=sys.stderr)
        _train(directory)
        # Measure in a fresh process: a cold load includes importing torch and the rest.
        argv = ["--tickets", str(args.tickets), "--batch", str(args.batch), "--model", str(directory)]
        os.execv(sys.executable, [sys.executable, __file__, *argv, *(["--json"] if args.json else [])])
    model = model_store.load(directory)
    embedder = Embedder()
    embedder.load()
    load_s = time.perf_counter() - start

    from triage.corpus import bundled_corpus_files, load_files

    texts = [t.text for t in load_files(bundled_corpus_files())]
    batch = texts[: args.batch] if args.batch else texts
    sample = texts[: args.tickets]
    model.classifier.predict(sample[:5], embedder.encode(sample[:5]))  # warm-up
    latencies = []
    for text in sample:
        t0 = time.perf_counter()
        model.classifier.predict([text], embedder.encode([text]))
        latencies.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    model.classifier.predict(batch, embedder.encode(batch))
    batch_rate = len(batch) / (time.perf_counter() - t0)
    result = {
        "model": model.version,
        "load_s": round(load_s, 2),
        "single_p50_ms": round(statistics.median(latencies), 1),
        "single_p95_ms": round(statistics.quantiles(latencies, n=20)[18], 1),
        "batch_tickets_per_s": round(batch_rate, 1),
        "batch_tickets": len(batch),
    }
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>20}: {value}")


def _train(directory: Path) -> None:
    from triage import model_store
    from triage.corpus import bundled_corpus_files, load_files
    from triage.embeddings import Embedder
    from triage.training import train

    model = train(load_files(bundled_corpus_files()), Embedder(), now=datetime.now(UTC))
    model_store.save(model, directory)


if __name__ == "__main__":
    main()

"""Trained triage models as versioned files: the classifier, the similar-ticket index,
and metadata saying how and from what they were trained.

A model made by another model format, scikit-learn or embedder version is refused with
a clear error rather than loaded into predictions nobody can vouch for.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import joblib
import sklearn

from triage.classifier import TicketClassifier
from triage.embeddings import EMBEDDER_VERSION
from triage.similar import SimilarIndex

FORMAT = 1
DEFAULT_DIR = "payops-model"


class ModelError(RuntimeError):
    """The triage model cannot be used; the message says what to do."""


class ModelMissing(ModelError):
    pass


class StaleModelError(ModelError):
    pass


def payops_version() -> str:
    try:
        return version("payops")
    except PackageNotFoundError:
        return "unknown"


def model_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("PAYOPS_MODEL_DIR") or DEFAULT_DIR)


def expected_versions() -> dict[str, Any]:
    return {"format": FORMAT, "scikit_learn": sklearn.__version__, "embedder": EMBEDDER_VERSION}


@dataclass
class TrainedModel:
    classifier: TicketClassifier
    index: SimilarIndex
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.meta["model_version"])


def save(model: TrainedModel, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "classifier.joblib.tmp"
    joblib.dump(model.classifier, tmp, compress=3)
    model.index.save(directory)
    (directory / "meta.json").write_text(json.dumps(model.meta, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(directory / "classifier.joblib")  # last: a half-written model is never loaded
    return directory


def load(directory: Path) -> TrainedModel:
    meta_path = directory / "meta.json"
    if not meta_path.exists() or not (directory / "classifier.joblib").exists():
        raise ModelMissing(f"no trained triage model in {directory}; run `payops triage train`")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    wanted = expected_versions()
    differs = {k: (meta.get(k), v) for k, v in wanted.items() if meta.get(k) != v}
    if differs:
        said = "; ".join(f"{k} {old} (this payops needs {new})" for k, (old, new) in differs.items())
        raise StaleModelError(
            f"the triage model in {directory} was trained with {said}; retrain it with `payops triage train`"
        )
    classifier = joblib.load(directory / "classifier.joblib")
    return TrainedModel(classifier, SimilarIndex.load(directory), meta)

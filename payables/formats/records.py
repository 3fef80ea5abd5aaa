"""What every feed reader yields: one received record, parsed or not."""

from __future__ import annotations

from dataclasses import dataclass

from payables.canonical import CanonicalInvoice


@dataclass(slots=True)
class SourceRecord:
    """One received row or document.

    Exactly one of `invoice` and `error` is set: a record that could not become a canonical
    invoice carries the reason, naming line and field, and is quarantined with `raw`.
    """

    line_no: int
    raw: str
    invoice: CanonicalInvoice | None = None
    error: str | None = None


class RowError(ValueError):
    """A field of a row cannot be read; the row is quarantined."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field {field}: {problem}")
        self.field = field
        self.problem = problem

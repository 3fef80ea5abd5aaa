"""The engine's errors, in one tree.

PayablesError
  FeedError          a file cannot be read at all (unknown format, too large, not XML)
  MappingError       a per-client mapping file is wrong
  ReferenceDataError a reference data file is wrong (line and field named)
  InvoiceNotFound    no stored invoice matches what was asked
  AmbiguousInvoice   several stored invoices match; the caller must narrow by client/vendor

A row that cannot be parsed is not an error: it is quarantined with its reason.
"""

from __future__ import annotations


class PayablesError(Exception):
    """Base of every expected engine failure; its message is fit to show a user."""


class FeedError(PayablesError):
    pass


class MappingError(PayablesError):
    pass


class ReferenceDataError(PayablesError):
    pass


class InvoiceNotFound(PayablesError):
    pass


class AmbiguousInvoice(PayablesError):
    def __init__(self, message: str, candidates: list[tuple[str, str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates

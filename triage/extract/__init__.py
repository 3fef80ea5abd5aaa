"""Entity extraction from ticket text, one module per entity kind.

The public entry point is `triage.entities.extract_entities`; these modules are its parts.
Extractors run in a fixed priority order over a `MaskedText` (see `text.py`) so that a
span claimed by one (an IBAN, a date, an amount) is never re-read by a later, greedier
one (invoice numbers above all).
"""

"""Ticket classification, entity extraction, similar-ticket search and recurrence clustering.

Built in the triage issue; this package may import `models` only.
"""

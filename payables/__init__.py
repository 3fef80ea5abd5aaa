"""The ingestion and validation engine: client feeds in, validated invoices out.

May import `models` only (see DESIGN.md, Architecture).
"""

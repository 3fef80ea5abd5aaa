"""Remediation playbooks, one module per known root cause, with the runner and audit log.

Built in the playbooks issue; this package may import `models` and `payables` only.
"""

"""The ticket taxonomy (DESIGN.md, "Ticket taxonomy"): the labels and their values."""

from __future__ import annotations

HEADS = ("cut", "category", "root_cause")

VALUES: dict[str, tuple[str, ...]] = {
    "cut": ("auto", "customer"),
    "category": ("inquiry", "incident", "data_fix", "config_change", "other"),
    "root_cause": (
        "vendor_master_stale",
        "duplicate_suspect",
        "missing_fx_rate",
        "stuck_in_pipeline",
        "feed_format_error",
        "immediate_pay_sla_risk",
        "tax_id_invalid",
        "po_mismatch",
        "bank_details_invalid",
        "unknown",
    ),
}


def check_label(head: str, value: str) -> str:
    """`value` if it is a label of `head`, else ValueError listing the allowed ones."""
    if head not in VALUES:
        raise ValueError(f"'{head}' is not a label; labels are {', '.join(HEADS)}")
    if value not in VALUES[head]:
        raise ValueError(f"'{value}' is not a {head}; use one of {', '.join(VALUES[head])}")
    return value

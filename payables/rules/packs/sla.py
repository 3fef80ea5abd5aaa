"""SLA-01: immediate-pay invoices are scheduled within 2 hours of ingestion."""

from __future__ import annotations

from datetime import timedelta

from payables.canonical import CanonicalInvoice, Status
from payables.rules.base import Problem, RuleContext, RulePack, Severity
from payables.terms import payment_deadline

PACK = RulePack("payops-sla", "1", description="The immediate-pay clock")
AT_RISK = timedelta(minutes=30)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


@PACK.rule(
    "SLA-01",
    Severity.INCIDENT,
    "scheduled for payment within 2 h of ingestion",
    applies_when=lambda inv: inv.payment_terms == "IMMEDIATE",
    scope_note="IMMEDIATE terms",
)
def immediate_pay_in_budget(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
    state = ctx.state
    if state is None:  # not stored yet: its clock starts at ingestion
        return None
    deadline = payment_deadline("IMMEDIATE", state.ingested_at)
    assert deadline is not None
    at = deadline.strftime("%H:%M UTC on %Y-%m-%d")
    if state.scheduled_at is not None:
        if state.scheduled_at <= deadline:
            return None
        late = _minutes(state.scheduled_at - deadline)
        return Problem(
            f"immediate-pay invoice was scheduled {late} min after its deadline {at}",
            "The breach is recorded; look at what delayed it in the invoice history.",
        )
    if state.status in (Status.PAID, Status.SCHEDULED):
        return None
    left = deadline - ctx.now
    if left <= timedelta(0):
        return Problem(
            f"immediate-pay invoice is {state.status} and {_minutes(-left)} min past its "
            f"2-hour deadline {at}",
            "Expedite it to the priority lane now (immediate_pay_sla_risk playbook) and tell "
            "the vendor; on-call is paged.",
        )
    if left <= AT_RISK:
        return Problem(
            f"immediate-pay invoice is {state.status} with {_minutes(left)} min left before "
            f"its deadline {at}",
            "Clear what holds it, or expedite it (immediate_pay_sla_risk playbook).",
            Severity.WARN,
        )
    return None

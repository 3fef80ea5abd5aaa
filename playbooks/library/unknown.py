"""`unknown`: no playbook fits; hand the ticket to a person with the diagnosis so far.

What the engine says about every invoice the ticket names (status and the rules that
stop it) and, when a playbook looked first and found its root cause not borne out, what
it found. The plan only sends that to on-call, so it needs no approval.
"""

from __future__ import annotations

from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import Notice


class HandOff(Playbook):
    name = "hand_off"
    root_cause = "unknown"
    title = "Hand to a person with the diagnosis so far"

    def diagnose(self, ctx: Context) -> Diagnosis:
        evidence: list[str] = []
        if ctx.prior is not None:
            playbook, found = ctx.prior
            evidence.append(f"{playbook.title} looked first: {found.summary}")
            evidence += [f"  {line}" for line in found.evidence]
        invoices = ctx.named_invoices()
        for inv in invoices:
            verdict = ctx.verdict(inv)
            stops = sorted({f.rule for f in verdict.findings if str(f.severity) in ("block", "hold")})
            evidence.append(f"{inv.invoice_number} (client {inv.client_id}, vendor {inv.vendor_id}): stored "
                            f"{inv.status}, engine now {verdict.status}"
                            + (f", stopped by {', '.join(stops)}" if stops else ""))
        if not invoices:
            evidence.append("the ticket names no invoice the engine knows")
        return Diagnosis("no playbook fits this ticket; it needs a person", evidence,
                         invoice_ids=[i.id for i in invoices])

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan:
        key = ctx.ticket.external_key if ctx.ticket is not None else "?"
        text = "\n".join([f"Hand-off for {key}: {diagnosis.summary}.", *diagnosis.evidence])
        return Plan("hand the ticket to on-call with the diagnosis so far",
                    [Notice(audience="oncall", text=text, key="hand-off")], diagnosis.invoice_ids,
                    expected="on-call has the diagnosis")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        return [Check("hand-off sent to on-call", True)]

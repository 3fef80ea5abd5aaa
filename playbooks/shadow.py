"""Shadow mode: what a playbook would have done, compared with what people did.

A shadow proposal is recorded, never applied. Once its ticket is resolved (or a week
has passed) each planned change is looked at again: if the people handling the ticket
brought the invoice, vendor or rate to the value the plan proposed, the playbook agreed
with them; if they did something else, or nothing, it did not. Together with approvals
(agree) and rejections (differ) in approval mode, this is the measured agreement the
policy requires before a playbook may apply without a person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Proposal, Ticket
from playbooks.changes import DONE, ChangeConflict, Notice
from playbooks.policy import ApprovalPolicy, Track
from playbooks.runner import plan_of

SETTLE_AFTER = timedelta(days=7)


def compare(session: Session, proposal: Proposal) -> tuple[str, str] | None:
    """(agree | differ, why) for a shadow proposal; None when it has nothing to compare."""
    changes = [c for c in plan_of(proposal).changes if not isinstance(c, Notice)]
    if not changes:
        return None
    misses = []
    for change in changes:
        try:
            where = change.state(session)
        except ChangeConflict as exc:
            misses.append(str(exc))
            continue
        if where != DONE:
            misses.append(f"{change.subject} {change.field_name} is {change.current(session)!r}, the playbook "
                          f"proposed {change.after_value!r}")
    if misses:
        return "differ", "; ".join(misses)
    return "agree", f"people made the same {len(changes)} change(s)"


def compare_due(session: Session, *, now: datetime) -> int:
    """Settle every shadow proposal whose ticket is resolved or which is a week old."""
    rows = session.execute(select(Proposal, Ticket.state).join(Ticket, Ticket.id == Proposal.ticket_id)
                           .where(Proposal.state == "shadow", Proposal.agreement.is_(None))).all()
    settled = 0
    for proposal, ticket_state in rows:
        if ticket_state != "resolved" and proposal.created_at > now - SETTLE_AFTER:
            continue
        result = compare(session, proposal)
        if result is None:
            continue
        proposal.agreement, proposal.agreement_detail = result
        settled += 1
    return settled


def shadow_report(session: Session, policy: ApprovalPolicy, playbooks: list[str]) -> list[dict[str, Any]]:
    """Per playbook: shadow and decided outcomes, and what the measurements allow."""
    out = []
    for name in playbooks:
        rows = session.execute(select(Proposal.mode, Proposal.agreement).where(
            Proposal.playbook == name, Proposal.agreement.is_not(None))).all()
        shadow = [a for mode, a in rows if mode == "shadow"]
        decided = [a for mode, a in rows if mode != "shadow"]
        track = Track(len(rows), sum(1 for _, a in rows if a == "agree"))
        earned = track.samples >= policy.min_samples and track.rate >= policy.min_agreement
        if policy.mode(name) == "shadow":
            advice = ("ready for approval mode: set playbooks.modes." + name + " = \"approve\"" if earned else
                      f"keep in shadow: {track.agreed}/{track.samples} agree "
                      f"(needs ≥ {policy.min_samples} at ≥ {policy.min_agreement:.0%})")
        else:
            advice = ("has earned auto-apply within playbooks.auto_apply" if earned else
                      f"needs a person: {track.agreed}/{track.samples} agree so far")
        out.append({"playbook": name, "mode": policy.mode(name), "shadow": len(shadow),
                    "shadow_agree": shadow.count("agree"), "decided": len(decided),
                    "decided_agree": decided.count("agree"), "agreement": round(track.rate, 3),
                    "recommendation": advice})
    return out

"""How a proposal reads: in the terminal, in a Jira comment, and as Block Kit with buttons.

One rendering of the diagnosis, the diff, the blast radius, the dry-run verdicts and the
risk; Slack adds Approve / Reject buttons while the proposal waits, and the outcome in
their place once it is decided, applied, rolled back or expired.
"""

from __future__ import annotations

from typing import Any

from models import Proposal

APPROVE, REJECT = "payops_approve", "payops_reject"
STATE_WORDS = {
    "shadow": "Shadow mode: recorded, not applied",
    "proposed": "Waiting for approval",
    "approved": "Approved, applying",
    "rejected": "Rejected",
    "expired": "Expired unanswered",
    "applying": "Applying",
    "verified": "Applied and verified",
    "failed": "Failed",
    "rolled_back": "Rolled back",
}


def _value(value: Any) -> str:
    return "—" if value is None else str(value)


def diff_lines(p: Proposal) -> list[str]:
    out = []
    for d in p.plan.get("diff") or []:
        if d["kind"] == "notice":
            out.append(f"send {d['subject']}: {d.get('text', '').splitlines()[0][:140]}")
        else:
            out.append(f"{d['subject']} {d['field']}: {_value(d['before'])} → {_value(d['after'])}")
    return out


def dry_run_lines(p: Proposal) -> list[str]:
    out = []
    for row in p.plan.get("dry_run") or []:
        before, after = row["before"], row["after"]
        now = before["status"] + (f" ({', '.join(before['rules'])})" if before["rules"] else "")
        then = after["status"] + (f" ({', '.join(after['rules'])})" if after["rules"] else "")
        out.append(f"{row['invoice_number']} (client {row['client_id']}, stored {row['stored_status']}): "
                   f"engine now {now} → after the plan {then}")
    return out


def blast_words(p: Proposal) -> str:
    b = p.plan.get("blast") or {}
    money = ", ".join(f"{amount} {cur}" for cur, amount in (b.get("by_currency") or {}).items()) or "no money"
    usd = f" (≈ {b['usd']} USD)" if b.get("usd") and b.get("by_currency") else ""
    return (f"{b.get('invoices', 0)} invoice(s); clients {', '.join(b.get('clients') or []) or '—'}; "
            f"business lines {', '.join(b.get('business_lines') or []) or '—'}; {money}{usd}")


def outcome_line(p: Proposal) -> str:
    words = STATE_WORDS.get(p.state, p.state)
    who = ""
    if p.decided_by and p.state in ("approved", "applying", "verified", "failed", "rolled_back"):
        who = f" (approved by {p.decided_by})"
    elif p.decided_by and p.state == "rejected":
        who = f" by {p.decided_by}" + (f": {p.decision_note}" if p.decision_note else "")
    detail = f" — {p.outcome}" if p.outcome else ""
    return f"{words}{who}{detail}"


def text(p: Proposal, ticket_key: str) -> str:
    """The whole proposal as plain text (CLI, local record, notification fallback)."""
    d = p.diagnosis
    lines = [f"Proposal {p.id} for {ticket_key}: {p.playbook} (risk {p.risk}) — {outcome_line(p)}",
             f"Diagnosis: {d.get('summary', '')}"]
    lines += [f"  - {e}" for e in (d.get("evidence") or [])[:12]]
    lines.append(f"Plan: {p.summary}")
    lines += [f"  - {line}" for line in diff_lines(p)]
    lines.append(f"Blast radius: {blast_words(p)}")
    lines.append(f"Risk {p.risk}: {'; '.join(p.plan.get('risk_reasons') or [])}")
    dry = dry_run_lines(p)
    if dry:
        lines.append("Dry run:")
        lines += [f"  - {line}" for line in dry[:12]]
    if p.decision_note and p.state == "proposed":
        lines.append(f"Approval: {p.decision_note}")
    if p.expires_at and p.state == "proposed":
        lines.append(f"Expires {p.expires_at:%Y-%m-%d %H:%M} UTC unless approved; requested by {p.requested_by}")
    return "\n".join(lines)


def _section(markdown: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": markdown[:2900]}}


def blocks(p: Proposal, ticket_key: str, ref: str) -> list[dict[str, Any]]:
    """Block Kit: the proposal, with buttons while it waits for a person."""
    d = p.diagnosis
    evidence = "\n".join(f"• {e}" for e in (d.get("evidence") or [])[:8])
    diff = "\n".join(diff_lines(p)[:20])
    dry = "\n".join(f"• {line}" for line in dry_run_lines(p)[:10])
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Fix for {ticket_key}: {p.playbook}"[:150]}},
        _section(f"*Diagnosis:* {d.get('summary', '')}" + (f"\n{evidence}" if evidence else "")),
        _section(f"*Plan:* {p.summary}\n```{diff}```"),
        _section(f"*Blast radius:* {blast_words(p)}\n*Risk:* {p.risk} — "
                 f"{'; '.join(p.plan.get('risk_reasons') or [])}"),
    ]
    if dry:
        out.append(_section(f"*Dry run (engine, on copies):*\n{dry}"))
    if p.state == "proposed":
        out.append({"type": "actions", "block_id": f"proposal-{p.id}", "elements": [
            {"type": "button", "action_id": APPROVE, "value": str(p.id), "style": "primary",
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": REJECT, "value": str(p.id), "style": "danger",
             "text": {"type": "plain_text", "text": "Reject"}},
        ]})
        expires = f" · expires {p.expires_at:%H:%M} UTC" if p.expires_at else ""
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                    f"Proposal {p.id} · requested by {p.requested_by}{expires} · {p.decision_note} · {ref}"[:300]}]})
    else:
        out.append(_section(f"*{outcome_line(p)}*"))
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Proposal {p.id} · {ref}"}]})
    return out

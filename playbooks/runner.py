"""The runner: a persisted state machine per proposal, safe to run twice and to crash in.

    proposed -> approved | rejected | expired -> applying -> verified | failed | rolled_back
    (shadow: recorded only; compared later with what people did)

- Deciding is one conditional UPDATE from `proposed`: of two clicks on Approve (or a
  retried request) one wins, the other is told who already decided.
- Applying takes a lease on the proposal, then commits each change of the plan in its
  own transaction together with `steps_done` and its audit entry. A change checks where
  its subject stands before acting (pending, done, or changed by someone else), so a
  process killed anywhere resumes after its last committed change, when its lease runs
  out, and nothing is done twice.
- A change that finds its subject changed since the plan stops the apply and rolls back
  what was applied. A failed verification rolls back, or rolls forward to the playbook's
  named safe state.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from models import Database, Invoice, Proposal, Ticket
from payables.clock import Clock
from payables.rules.registry import RuleSet, default_ruleset
from playbooks import audit
from playbooks.assess import affected_invoices, blast_radius, dry_run, risk_of
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook, PlaybookOptions
from playbooks.changes import CONFLICT, DONE, ApplyContext, Change, ChangeConflict, Notice
from playbooks.policy import ApprovalPolicy, Track
from playbooks.ports import Notifier
from playbooks.registry import Registry, default_registry

log = logging.getLogger(__name__)

OPEN_STATES = ("shadow", "proposed", "approved", "applying")
# Fault injection for the crash tests: "in-step:N" or "after-step:N" makes the applying
# process stop there (sleep) so that a test can kill it at a known point.
PAUSE_ENV = "PAYOPS_TEST_PAUSE_APPLY"


@dataclass(frozen=True)
class Decision:
    ok: bool
    message: str
    proposal_id: int | None = None


def _pause(where: str, step: int) -> None:
    if os.environ.get(PAUSE_ENV) == f"{where}:{step}":
        log.warning("paused %s step %s (%s)", where, step, PAUSE_ENV)
        time.sleep(3600)


def ticket_root_cause(ticket: Ticket) -> str:
    """The root cause a person confirmed, else the model's unless it abstained."""
    if ticket.confirmed_root_cause:
        return ticket.confirmed_root_cause
    predicted = (ticket.predicted or {}).get("root_cause") or {}
    if predicted.get("label") and not predicted.get("abstained"):
        return str(predicted["label"])
    return "unknown"


def changes_data(proposal: Proposal) -> bool:
    """Whether the plan changes anything, or only sends messages (a hand-off, the buyer)."""
    return any(c["kind"] != Notice.kind for c in proposal.plan.get("changes") or ())


def plan_of(proposal: Proposal) -> Plan:
    stored = proposal.plan
    deadline = stored.get("deadline")
    return Plan(stored["summary"], [Change.from_dict(c) for c in stored["changes"]], list(stored["invoice_ids"]),
                stored.get("expected", ""), datetime.fromisoformat(deadline) if deadline else None)


class Runner:
    def __init__(self, db: Database, *, policy: ApprovalPolicy, notifier: Notifier, clock: Clock, worker_id: str,
                 options: PlaybookOptions | None = None, registry: Registry | None = None,
                 ruleset: RuleSet | None = None, lease: timedelta = timedelta(minutes=5)) -> None:
        self.db = db
        self.policy = policy
        self.notifier = notifier
        self.clock = clock
        self.worker_id = worker_id
        self.options = options or PlaybookOptions()
        self.registry = registry or default_registry()
        self.ruleset = ruleset or default_ruleset()
        self.lease = lease

    def context(self, session: Session, ticket: Ticket | None) -> Context:
        return Context(session, self.clock, ticket, self.options, self.ruleset)

    # -- proposing ---------------------------------------------------------------------------

    def propose(self, session: Session, ticket: Ticket, *, requested_by: str | None = None,
                root_cause: str | None = None, hand_off: bool = True) -> Proposal | None:
        """Diagnose `ticket` and record what its playbook would do; the caller commits.

        A ticket with an open proposal gets that one back (proposing is idempotent). When
        the playbook finds its root cause not borne out, or nothing to do, the ticket is
        handed to a person with the diagnosis so far (or, without `hand_off`, None).
        """
        cause = root_cause or ticket_root_cause(ticket)
        playbook = self.registry.for_root_cause(cause) or self.registry.for_root_cause("unknown")
        assert playbook is not None, "the unknown root cause's hand-off playbook is missing"
        existing = session.scalar(select(Proposal).where(Proposal.ticket_id == ticket.id,
                                                         Proposal.state.in_(OPEN_STATES)).order_by(Proposal.id))
        if existing is not None:
            return existing
        ctx = self.context(session, ticket)
        diagnosis = playbook.diagnose(ctx)
        plan = playbook.plan(ctx, diagnosis) if diagnosis.applicable else None
        invoices = affected_invoices(ctx, plan) if plan is not None else []
        if len(invoices) > self.options.max_invoices:
            diagnosis.evidence.append(f"the plan would touch more than {self.options.max_invoices} invoices: "
                                      "too wide for one approval")
            plan = None
        if plan is None and playbook.root_cause != "unknown":
            ctx.prior = (playbook, diagnosis)
            if not hand_off:
                return None
            handoff = self.registry.for_root_cause("unknown")
            assert handoff is not None
            playbook = handoff
            diagnosis = playbook.diagnose(ctx)
            plan = playbook.plan(ctx, diagnosis)
            assert plan is not None, f"{playbook.name} made no plan"
            invoices = affected_invoices(ctx, plan)
        assert plan is not None
        return self._record(session, ctx, ticket, playbook, diagnosis, plan, invoices,
                            requested_by or ticket.reporter or "payops")

    def _record(self, session: Session, ctx: Context, ticket: Ticket, playbook: Playbook, diagnosis: Diagnosis,
                plan: Plan, invoices: list[Invoice], requested_by: str) -> Proposal:
        now = self.clock()
        blast = blast_radius(session, invoices, plan.changes)
        risk, reasons = risk_of(blast, plan.changes)
        moves_money = any(c.moves_money for c in plan.changes)
        bank = any(c.changes_bank_data for c in plan.changes)
        stored = {"summary": plan.summary, "changes": [c.to_dict() for c in plan.changes],
                  "invoice_ids": [i.id for i in invoices], "expected": plan.expected,
                  "deadline": plan.deadline.isoformat() if plan.deadline else None,
                  "diff": [c.describe() for c in plan.changes], "blast": blast.as_dict(), "risk_reasons": reasons,
                  "dry_run": dry_run(ctx, invoices, plan.changes)}
        mode, state, decided_by, note = self.policy.mode(playbook.name), "proposed", None, ""
        if mode == "shadow":
            state, note = "shadow", "shadow mode: recorded, not applied"
        elif all(isinstance(c, Notice) for c in plan.changes):
            mode, state, decided_by, note = "auto", "approved", "policy", "only sends messages: nothing to approve"
        else:
            allowed = self.policy.may_auto_apply(playbook.name, risk=risk, moves_money=moves_money,
                                                 changes_bank_data=bank, track=self.track(session, playbook.name))
            note = allowed.reason
            if allowed.allowed:
                mode, state, decided_by = "auto", "approved", "policy"
        expires = now + self.policy.expiry
        if plan.deadline is not None and plan.deadline > now:
            expires = min(expires, plan.deadline)
        proposal = Proposal(
            ticket_id=ticket.id, playbook=playbook.name, playbook_version=playbook.version, mode=mode, state=state,
            risk=risk, moves_money=moves_money, changes_bank_data=bank, summary=plan.summary,
            diagnosis=diagnosis.as_dict(), plan=stored, requested_by=requested_by[:200], created_at=now,
            expires_at=expires if state == "proposed" else None, decided_by=decided_by,
            decided_at=now if decided_by else None, decision_note=note, steps_done=0, outcome="",
            agreement_detail="")
        session.add(proposal)
        session.flush()
        audit.record(session, at=now, actor=requested_by, action="proposed" if state != "shadow" else "shadow",
                     proposal_id=proposal.id, ticket_id=ticket.id, subject=f"{playbook.name} for {ticket.external_key}",
                     after={"diff": stored["diff"], "risk": risk, "blast": stored["blast"]},
                     detail=f"{diagnosis.summary} | {plan.summary} | {note}")
        if decided_by == "policy":
            audit.record(session, at=now, actor="policy", action="approved", proposal_id=proposal.id,
                         ticket_id=ticket.id, subject=playbook.name, detail=note)
        if state != "shadow":
            run = ApplyContext(session, self.clock, f"playbook {playbook.name} #{proposal.id}", proposal.id, ticket,
                               self.notifier, self.ruleset)
            for change in plan.announce:
                change.apply(run)
                audit.record(session, at=now, actor=run.actor, action="announced", proposal_id=proposal.id,
                             ticket_id=ticket.id, subject=change.subject, detail=getattr(change, "text", ""))
            if state == "approved" and not changes_data(proposal):
                # Only messages: sent in this same transaction, with the ticket's handling,
                # so there is nothing to lease, resume or roll back.
                self._send_now(run, proposal, playbook, plan, ctx)
        self.notifier.proposal_changed(session, proposal, ticket)
        return proposal

    def _send_now(self, run: ApplyContext, p: Proposal, playbook: Playbook, plan: Plan, ctx: Context) -> None:
        now = self.clock()
        for step, change in enumerate(plan.changes):
            change.apply(run)
            audit.record(run.session, at=now, actor=run.actor, action="step_applied", proposal_id=p.id,
                         ticket_id=p.ticket_id, subject=f"step {step + 1}/{len(plan.changes)}: {change.subject}",
                         after={change.field_name: change.after_value}, detail=getattr(change, "text", ""))
        checks = playbook.verify(ctx, plan)
        audit.record(run.session, at=now, actor=run.actor, action="verified", proposal_id=p.id, ticket_id=p.ticket_id,
                     subject=p.playbook, after=[c.as_dict() for c in checks])
        p.steps_done, p.state, p.finished_at = len(plan.changes), "verified", now
        p.outcome = "; ".join(c.what + (f" ({c.detail})" if c.detail else "") for c in checks)

    def open_proposal_for(self, session: Session, invoice_ids: list[int]) -> Proposal | None:
        """An open proposal (not yet applied) whose plan covers one of `invoice_ids`."""
        if not invoice_ids:
            return None
        wanted = set(invoice_ids)
        for p in session.scalars(select(Proposal).where(Proposal.state.in_(("proposed", "approved", "applying")))
                                 .order_by(Proposal.id)):
            if wanted & set(p.plan.get("invoice_ids") or ()):
                return p
        return None

    # -- deciding ----------------------------------------------------------------------------

    def decide(self, proposal_id: int, user: str, *, approve: bool, groups: tuple[str, ...] = (),
               note: str = "") -> Decision:
        """Approve or reject as `user`; refused (with the reason, and audited) when not allowed."""
        now = self.clock()
        verb = "approve" if approve else "reject"
        with self.db.session() as session:
            p = session.get(Proposal, proposal_id)
            if p is None:
                return Decision(False, f"there is no proposal {proposal_id}")
            ticket = session.get(Ticket, p.ticket_id) if p.ticket_id else None
            if p.state == "proposed" and p.expires_at is not None and p.expires_at <= now:
                self._expire(session, p, ticket, now)
            if p.state != "proposed":
                message = refusal_for_state(p, verb)
                audit.record(session, at=now, actor=user, action="refused", proposal_id=p.id, ticket_id=p.ticket_id,
                             subject=p.playbook, detail=f"{verb}: {message}")
                return Decision(False, message, p.id)
            allowed = self.policy.may_approve(user, requested_by=p.requested_by, groups=groups)
            withdrawing = not approve and user == p.requested_by
            if not allowed.allowed and not withdrawing:
                audit.record(session, at=now, actor=user, action="refused", proposal_id=p.id, ticket_id=p.ticket_id,
                             subject=p.playbook, detail=f"{verb}: {allowed.reason}")
                return Decision(False, f"You cannot {verb} proposal {p.id}: {allowed.reason}.", p.id)
            to = "approved" if approve else "rejected"
            won = session.execute(update(Proposal).where(Proposal.id == p.id, Proposal.state == "proposed")
                                  .values(state=to, decided_by=user[:200], decided_at=now, decision_note=note,
                                          agreement=None if approve else "differ",
                                          agreement_detail="" if approve else f"rejected by {user}: {note}")
                                  .execution_options(synchronize_session=False))
            if won.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return self.decide(proposal_id, user, approve=approve, groups=groups, note=note)
            session.refresh(p)
            audit.record(session, at=now, actor=user, action=to, proposal_id=p.id, ticket_id=p.ticket_id,
                         subject=p.playbook, before={"state": "proposed"}, after={"state": to},
                         detail=note or allowed.reason)
            self.notifier.proposal_changed(session, p, ticket)
            return Decision(True, f"Proposal {p.id} {to} by {user}.", p.id)

    # -- expiring ----------------------------------------------------------------------------

    def _expire(self, session: Session, p: Proposal, ticket: Ticket | None, now: datetime) -> None:
        p.state, p.finished_at = "expired", now
        p.outcome = f"expired unanswered at {now:%Y-%m-%d %H:%M} UTC"
        audit.record(session, at=now, actor="payops", action="expired", proposal_id=p.id, ticket_id=p.ticket_id,
                     subject=p.playbook, before={"state": "proposed"}, after={"state": "expired"}, detail=p.outcome)
        self.notifier.proposal_changed(session, p, ticket)

    def expire_due(self) -> int:
        now = self.clock()
        with self.db.session() as session:
            due = list(session.scalars(select(Proposal).where(Proposal.state == "proposed", Proposal.expires_at <= now)
                                       .with_for_update(skip_locked=True)))
            for p in due:
                self._expire(session, p, session.get(Ticket, p.ticket_id) if p.ticket_id else None, now)
        return len(due)

    # -- applying ----------------------------------------------------------------------------

    def _claim(self, proposal_id: int) -> bool:
        now = self.clock()
        takeable = or_(Proposal.state == "approved",
                       and_(Proposal.state == "applying",
                            or_(Proposal.claimed_until.is_(None), Proposal.claimed_until < now,
                                Proposal.claimed_by == self.worker_id)))
        with self.db.session() as session:
            p = session.get(Proposal, proposal_id)
            if p is None:
                return False
            resumed = p.state == "applying"
            won = session.execute(update(Proposal).where(Proposal.id == proposal_id, takeable)
                                  .values(state="applying", claimed_by=self.worker_id,
                                          claimed_until=now + self.lease)
                                  .execution_options(synchronize_session=False))
            if won.rowcount != 1:  # type: ignore[attr-defined]
                return False
            audit.record(session, at=now, actor=self.worker_id, action="resumed" if resumed else "applying",
                         proposal_id=proposal_id, ticket_id=p.ticket_id, subject=p.playbook,
                         detail=f"from step {p.steps_done + 1}" if resumed else "")
        return True

    def _run(self, session: Session, p: Proposal) -> ApplyContext:
        ticket = session.get(Ticket, p.ticket_id) if p.ticket_id else None
        actor = f"playbook {p.playbook} #{p.id} (approved by {p.decided_by})"
        return ApplyContext(session, self.clock, actor, p.id, ticket, self.notifier, self.ruleset)

    def _state(self, change: Change, run: ApplyContext) -> str:
        if isinstance(change, Notice):
            return change.state_for(run.session, self.notifier, run.proposal_id)
        return change.state(run.session)

    def apply(self, proposal_id: int) -> Proposal:
        """Apply an approved proposal (or resume one whose applier died), verify, record."""
        if self._claim(proposal_id):
            try:
                self._apply_steps(proposal_id)
            except ChangeConflict as exc:
                self._stop(proposal_id, f"stopped: {exc}")
            else:
                self._verify(proposal_id)
        with self.db.session() as session:
            p = session.get(Proposal, proposal_id)
            assert p is not None
            return p

    def _apply_steps(self, proposal_id: int) -> None:
        with self.db.session() as session:
            p = session.get(Proposal, proposal_id)
            assert p is not None
            changes, start = plan_of(p).changes, p.steps_done
        for step in range(start, len(changes)):
            change = changes[step]
            with self.db.session() as session:
                p = session.get(Proposal, proposal_id, with_for_update=True)
                assert p is not None
                if p.claimed_by != self.worker_id or p.state != "applying":
                    raise ChangeConflict(f"proposal {proposal_id} was taken over by {p.claimed_by}")
                run = self._run(session, p)
                where = self._state(change, run)
                if where == CONFLICT:
                    raise change.conflict(session)
                before = None if isinstance(change, Notice) else change.current(session)
                if where == DONE:
                    action, detail = "step_already_done", "found already applied (resumed or done by hand)"
                else:
                    change.apply(run)
                    session.flush()
                    _pause("in-step", step + 1)  # written, not committed
                    action, detail = "step_applied", ""
                audit.record(session, at=self.clock(), actor=run.actor, action=action, proposal_id=p.id,
                             ticket_id=p.ticket_id, subject=f"step {step + 1}/{len(changes)}: {change.subject}",
                             before={change.field_name: before}, after={change.field_name: change.after_value},
                             detail=detail or (change.text if isinstance(change, Notice) else ""))
                p.steps_done = step + 1
                p.claimed_until = self.clock() + self.lease
            _pause("after-step", step + 1)

    def _verify(self, proposal_id: int) -> None:
        playbook_checks: list[Check]
        with self.db.session() as session:
            p = session.get(Proposal, proposal_id)
            assert p is not None
            ticket = session.get(Ticket, p.ticket_id) if p.ticket_id else None
            playbook = self.registry.get(p.playbook)
            plan = plan_of(p)
            playbook_checks = playbook.verify(self.context(session, ticket), plan)
            ok = all(c.ok for c in playbook_checks)
            now = self.clock()
            audit.record(session, at=now, actor=self.worker_id, action="verified" if ok else "verify_failed",
                         proposal_id=p.id, ticket_id=p.ticket_id, subject=p.playbook,
                         after=[c.as_dict() for c in playbook_checks])
            if ok:
                p.state, p.finished_at, p.claimed_by, p.claimed_until = "verified", now, None, None
                p.outcome = "; ".join(c.what + (f" ({c.detail})" if c.detail else "") for c in playbook_checks)
                if p.mode == "approve":
                    p.agreement, p.agreement_detail = "agree", f"approved by {p.decided_by} and verified"
                self.notifier.proposal_changed(session, p, ticket)
                return
            failed = "; ".join(f"{c.what}: {c.detail}" for c in playbook_checks if not c.ok)
        self._stop(proposal_id, f"verification failed: {failed}")

    def _stop(self, proposal_id: int, why: str) -> None:
        """Undo what was applied, or roll forward to the playbook's named safe state (a hold
        that protects money is not undone because a later step could not be made)."""
        with self.db.session() as session:
            p = session.get(Proposal, proposal_id)
            assert p is not None
            playbook = self.registry.get(p.playbook)
        if playbook.on_verify_failure == "roll_forward":
            self._roll_forward(proposal_id, playbook, why)
        else:
            self._roll_back(proposal_id, why)

    def _roll_forward(self, proposal_id: int, playbook: Playbook, why: str) -> None:
        with self.db.session() as session:
            p = session.get(Proposal, proposal_id, with_for_update=True)
            assert p is not None
            run = self._run(session, p)
            now = self.clock()
            skipped = []
            for change in playbook.safe_state(self.context(session, run.ticket), plan_of(p)):
                where = self._state(change, run)
                if where == CONFLICT:
                    # Someone changed it since: theirs stands, a person looks at it.
                    skipped.append(f"{change.subject} {change.field_name}")
                    continue
                if where == DONE:
                    continue
                change.apply(run)
                audit.record(session, at=now, actor=run.actor, action="rolled_forward", proposal_id=p.id,
                             ticket_id=p.ticket_id, subject=change.subject,
                             before={change.field_name: change.before_value},
                             after={change.field_name: change.after_value}, detail=playbook.safe_state_name)
            p.state, p.finished_at, p.claimed_by, p.claimed_until = "failed", now, None, None
            p.outcome = f"{why}; rolled forward to {playbook.safe_state_name}" + (
                f"; left as changed by someone else: {', '.join(skipped)}" if skipped else "")
            audit.record(session, at=now, actor=run.actor, action="failed", proposal_id=p.id, ticket_id=p.ticket_id,
                         subject=p.playbook, detail=p.outcome)
            self.notifier.proposal_changed(session, p, run.ticket)

    def _roll_back(self, proposal_id: int, why: str) -> None:
        """Undo every applied change, newest first, in one transaction."""
        with self.db.session() as session:
            p = session.get(Proposal, proposal_id, with_for_update=True)
            assert p is not None
            run = self._run(session, p)
            changes = plan_of(p).changes[:p.steps_done]
            now = self.clock()
            stuck = []
            for change in reversed(changes):
                where = self._state(change, run)
                if isinstance(change, Notice) or where != DONE:
                    if where == CONFLICT:
                        stuck.append(f"{change.subject} {change.field_name} changed since")
                    continue
                change.revert(run)
                audit.record(session, at=now, actor=run.actor, action="step_reverted", proposal_id=p.id,
                             ticket_id=p.ticket_id, subject=change.subject,
                             before={change.field_name: change.after_value},
                             after={change.field_name: change.before_value})
            p.state = "failed" if stuck else "rolled_back"
            p.outcome = why + (f"; could not roll back: {', '.join(stuck)} (left for a person)" if stuck else
                               "; every change was rolled back")
            p.finished_at, p.claimed_by, p.claimed_until = now, None, None
            audit.record(session, at=now, actor=run.actor, action=p.state, proposal_id=p.id, ticket_id=p.ticket_id,
                         subject=p.playbook, detail=p.outcome)
            self.notifier.proposal_changed(session, p, run.ticket)

    # -- the periodic job ----------------------------------------------------------------

    def run_due(self) -> int:
        """Expire unanswered proposals, apply approved ones, resume abandoned applies."""
        done = self.expire_due()
        now = self.clock()
        with self.db.session() as session:
            ids = list(session.scalars(select(Proposal.id).where(or_(
                Proposal.state == "approved",
                and_(Proposal.state == "applying", or_(Proposal.claimed_until.is_(None),
                                                       Proposal.claimed_until < now)))).order_by(Proposal.id)))
        for proposal_id in ids:
            self.apply(proposal_id)
            done += 1
        return done

    def track(self, session: Session, playbook: str) -> Track:
        rows = session.execute(select(Proposal.agreement).where(Proposal.playbook == playbook,
                                                                Proposal.agreement.is_not(None))).scalars().all()
        return Track(len(rows), sum(1 for a in rows if a == "agree"))


def refusal_for_state(p: Proposal, verb: str) -> str:
    when = f" at {p.decided_at:%H:%M} UTC" if p.decided_at else ""
    by = f" by {p.decided_by}" if p.decided_by else ""
    words: dict[str, Any] = {
        "shadow": "it is a shadow-mode record, not a proposal",
        "expired": f"it expired unanswered ({p.outcome})",
        "rejected": f"it was already rejected{by}{when}",
    }
    if p.state in words:
        return f"Proposal {p.id} cannot be {verb}d: {words[p.state]}."
    return f"Proposal {p.id} was already approved{by}{when}; it is {p.state.replace('_', ' ')}."

"""Who may approve a fix, and which fixes may apply without a person.

- Approvers: people on the on-call list, or in one of the approver groups (Slack user
  groups). Nobody else, and never the person who requested the fix (two-person rule).
- Without a person: only plans whose playbook and risk `auto_apply` allows, never one
  that lets money go out or changes bank data unless `auto_apply_money` says so, and only
  once the playbook has earned it: at least `min_samples` measured outcomes (shadow
  comparisons, approvals and rejections) agreeing at `min_agreement` or better.
- Plans that only send messages (a hand-off, routing to the buyer) need nobody.
- Modes per playbook: `approve` (default) or `shadow` (record what it would do, do nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from playbooks.assess import RISKS

MODES = ("approve", "shadow")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class Track:
    """A playbook's measured agreement with what people decided or did."""

    samples: int
    agreed: int

    @property
    def rate(self) -> float:
        return self.agreed / self.samples if self.samples else 0.0


@dataclass(frozen=True)
class ApprovalPolicy:
    approvers: frozenset[str] = frozenset()
    approver_groups: frozenset[str] = frozenset()
    # playbook name (or "*") -> the highest risk it may apply at without a person.
    auto_apply: Mapping[str, str] = field(default_factory=lambda: {"*": "low"})
    auto_apply_money: bool = False
    modes: Mapping[str, str] = field(default_factory=dict)
    expiry: timedelta = timedelta(hours=4)
    min_samples: int = 20
    min_agreement: float = 0.95

    def __post_init__(self) -> None:
        bad = {k: v for k, v in self.auto_apply.items() if v not in RISKS}
        if bad:
            raise ValueError(f"auto_apply: {bad} — risk must be one of {', '.join(RISKS)}")
        bad_modes = {k: v for k, v in self.modes.items() if v not in MODES}
        if bad_modes:
            raise ValueError(f"modes: {bad_modes} — mode must be one of {', '.join(MODES)}")

    def mode(self, playbook: str) -> str:
        return self.modes.get(playbook, "approve")

    def may_approve(self, user: str, *, requested_by: str, groups: Iterable[str] = ()) -> Verdict:
        if user == requested_by:
            return Verdict(False, f"two-person rule: {user} requested this fix and cannot approve it")
        if user in self.approvers:
            return Verdict(True, f"{user} is on the approver list")
        shared = sorted(set(groups) & self.approver_groups)
        if shared:
            return Verdict(True, f"{user} is in approver group {shared[0]}")
        if not self.approvers and not self.approver_groups:
            return Verdict(False, "no approvers are configured (playbooks.approvers or playbooks.approver_groups)")
        return Verdict(False, f"{user} is not on the approver list or in an approver group")

    def may_auto_apply(self, playbook: str, *, risk: str, moves_money: bool, changes_bank_data: bool,
                       track: Track) -> Verdict:
        limit = self.auto_apply.get(playbook, self.auto_apply.get("*"))
        if limit is None:
            return Verdict(False, f"{playbook} is not allowed to apply without a person")
        if RISKS.index(risk) > RISKS.index(limit):
            return Verdict(False, f"risk {risk} is above what {playbook} may apply alone ({limit})")
        if (moves_money or changes_bank_data) and not self.auto_apply_money:
            what = "changes bank data" if changes_bank_data else "lets money go out"
            return Verdict(False, f"it {what}: a person approves that")
        if track.samples < self.min_samples or track.rate < self.min_agreement:
            return Verdict(False, f"not yet earned: {track.agreed}/{track.samples} measured outcomes agree "
                                  f"(needs ≥ {self.min_samples} at ≥ {self.min_agreement:.0%})")
        return Verdict(True, f"risk {risk} within {limit}; {track.agreed}/{track.samples} measured outcomes agree")

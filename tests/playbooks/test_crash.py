"""A real `payops playbook apply` killed with SIGKILL mid-apply, then resumed: every change
lands exactly once, and the audit log says what happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Database, Invoice, InvoiceEvent, Proposal
from payables.canonical import Status
from playbooks import audit
from playbooks.runner import PAUSE_ENV, Runner
from tests.bot.scenario import activate_vendor
from tests.factories import NOW
from tests.playbooks.conftest import propose

PAYOPS = [sys.executable, "-c", "from bot.cli import main; main()"]


def _env(book: Database, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JIRA_", "PAYOPS_"))}
    return {**clean, "PAYOPS_DATABASE_URL": book.url, "PAYOPS_NOW": NOW.isoformat(),
            "PAYOPS_PLAYBOOKS__APPROVERS": '["alice"]', "PAYOPS_PLAYBOOKS__LEASE_SECONDS": "1", **extra}


def _kill_when_paused(proc: subprocess.Popen[str]) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if "paused" in line:
            break
        assert time.monotonic() < deadline, "the apply never reached the pause point"
    else:
        pytest.fail(f"payops exited before the pause point: {proc.wait()}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.parametrize("pause", ["in-step:1", "after-step:1", "in-step:2"])
def test_killed_while_applying_resumes_and_applies_each_change_once(
        book: Database, runner: Runner, ticket_about: Callable[..., int], tmp_path: Path, pause: str) -> None:
    activate_vendor(book, tmp_path / "fixed")
    tid = ticket_about("vendor_master_stale", "INV-2291 and INV-5001 rejected; vendor V00777 is active again",
                       invoices=("INV-2291", "INV-5001"))
    pid = propose(book, runner, tid)
    proc = subprocess.Popen(PAYOPS + ["playbook", "apply", str(pid), "--as", "alice"], env=_env(book, **{
        PAUSE_ENV: pause}), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _kill_when_paused(proc)
    with book.session() as session:
        p = session.get(Proposal, pid)
        assert p is not None
        assert p.state == "applying" and p.steps_done == int(pause[-1]) - pause.startswith("in-step")
    # On restart, after the dead process's lease (1 s here) has run out.
    later = (NOW + timedelta(seconds=2)).isoformat()
    resumed = subprocess.run(PAYOPS + ["playbook", "resume"], env=_env(book, PAYOPS_NOW=later), cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    with book.session() as session:
        p = session.get(Proposal, pid)
        assert p is not None
        assert p.state == "verified", p.outcome
        statuses = {number: status for number, status in session.execute(
            select(Invoice.invoice_number, Invoice.status).where(Invoice.invoice_number.in_(["INV-2291", "INV-5001"])))}
        assert statuses == {"INV-2291": Status.VALIDATED, "INV-5001": Status.ON_HOLD}
        # One transition per invoice: nothing applied twice.
        moves = session.execute(select(InvoiceEvent.invoice_id, func.count()).group_by(InvoiceEvent.invoice_id)).all()
        assert sorted(n for _, n in moves) == [1, 1]
        actions = [e.action for e in audit.entries(session, proposal_id=pid)]
        assert actions.count("step_applied") == 2
        assert actions.index("resumed") > actions.index("applying")
        assert actions[-1] == "verified"

"""The bot's commands run as a user runs them: `payops ask`, `ticket show`, `run --once`,
and `payops run` stopped by SIGTERM in the middle of a burst."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Database, Ticket, TicketMessage
from tests.bot.scenario import activate_vendor, seed_book
from tests.factories import NOW
from triage.service import create_ticket

PAYOPS = [sys.executable, "-c", "from bot.cli import main; main()"]


@pytest.fixture
def env(sqlite_url: str, model_path: Path, tmp_path: Path) -> dict[str, str]:
    db = Database(sqlite_url)
    seed_book(db, tmp_path / "book")
    db.dispose()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JIRA_", "PAYOPS_"))}
    return {**clean, "PAYOPS_DATABASE_URL": sqlite_url, "PAYOPS_NOW": NOW.isoformat(),
            "PAYOPS_MODEL_DIR": str(model_path), "PAYOPS_WEB__PORT": "0"}


def payops(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(PAYOPS + args, capture_output=True, text=True, env=env, cwd=cwd, timeout=180)
    assert done.returncode == 0, done.stderr
    return done


def test_ask_answers_as_a_user_of_the_client_and_ticket_show_lists_what_the_bot_wrote(env, tmp_path):
    out = json.loads(payops(["ask", "why was INV-2291 not paid?", "--client", "C017", "--json"], env, tmp_path).stdout)
    assert "VM-01" in out["answer"] and out["labels"]["category"]["label"] == "inquiry"
    [invoice] = out["invoices"]
    assert {k: invoice[k] for k in ("invoice_number", "status", "expected_payment_date")} == {
        "invoice_number": "INV-2291", "status": "rejected", "expected_payment_date": None}
    assert [f["rule"] for f in invoice["findings"]] == ["VM-01"]
    other = json.loads(payops(["ask", "why was INV-2291 not paid?", "--client", "C042", "--json"], env,
                              tmp_path).stdout)
    assert other["invoices"] == [] and "VM-01" not in json.dumps(other)
    shown = json.loads(payops(["ticket", "show", out["ticket"], "--json"], env, tmp_path).stdout)
    assert shown["state"] == "answered" and shown["entities"]["invoices"] == ["INV-2291"]
    assert shown["labels"]["category"]["label"] == "inquiry"
    [message] = shown["messages"]
    assert message["kind"] == "answer" and message["status"] == "sent" and "VM-01" in message["text"]


def _queue(url: str, n: int) -> list[int]:
    db = Database(url)
    with db.session() as session:
        ids = [create_ticket(session, title=f"question {i}", body=f"why was INV-{2200 + i} not paid?", now=NOW,
                             reporter="client:C017").id for i in range(n)]
    db.dispose()
    return ids


def _counts(url: str) -> tuple[int, int, int]:
    db = Database(url)
    with db.session() as session:
        new = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.state == "new"))
        claimed = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.claimed_by.is_not(None)))
        answers = session.scalar(select(func.count()).select_from(TicketMessage).where(TicketMessage.kind == "answer"))
    db.dispose()
    return new, claimed, answers


def test_run_once_processes_the_queue_and_exits(env, tmp_path, sqlite_url):
    _queue(sqlite_url, 3)
    summary = json.loads(payops(["run", "--once", "--json"], env, tmp_path).stdout)
    assert summary["processed"] == 3 and summary["delivered"] == 3
    assert _counts(sqlite_url) == (0, 0, 3)


def test_sigterm_in_a_burst_loses_nothing_and_answers_nothing_twice(env, tmp_path, sqlite_url):
    total = 60
    _queue(sqlite_url, total)
    proc = subprocess.Popen(PAYOPS + ["run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while _counts(sqlite_url)[2] < 3:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the service answered nothing in 2 minutes"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    new, claimed, answers = _counts(sqlite_url)
    assert claimed == 0, "leases of unstarted tickets are given back"
    assert new + answers == total and new > 0, "stopped mid-burst: the rest are still queued"
    payops(["run", "--once"], env, tmp_path)
    assert _counts(sqlite_url) == (0, 0, total)


def test_redrive_moves_an_invoice_that_now_passes(env, tmp_path, sqlite_url):
    stuck = subprocess.run(PAYOPS + ["redrive", "INV-2291", "--client", "C017", "--as", "ana"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert stuck.returncode == 0 and "stays rejected" in stuck.stdout and "VM-01" in stuck.stdout
    db = Database(sqlite_url)
    activate_vendor(db, tmp_path / "fix")
    db.dispose()
    moved = payops(["redrive", "INV-2291", "--client", "C017", "--as", "ana"], env, tmp_path)
    assert "INV-2291: rejected -> validated" in moved.stdout


def test_bad_input_gets_a_clear_error(env, tmp_path):
    def fails(args: list[str], extra: dict[str, str] | None = None) -> str:
        done = subprocess.run(PAYOPS + args, env={**env, **(extra or {})}, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode != 0
        return done.stderr

    assert "give exactly one of --client or --as" in fails(["ask", "why was INV-2291 not paid?"])
    assert "no ticket LOCAL-999" in fails(["ticket", "show", "LOCAL-999"])
    assert "SLACK_SIGNING_SECRET is not" in fails(["run", "--once"], {"SLACK_BOT_TOKEN": "xoxb-x"})
    assert "xoxb-x" not in fails(["run", "--once"], {"SLACK_BOT_TOKEN": "xoxb-x"})

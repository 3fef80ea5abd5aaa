"""`payops report recurrence` and `payops metrics rollup|show`, run as a manager runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models import Database
from tests.bot.scenario import seed_book
from tests.factories import NOW
from triage.service import create_ticket

PAYOPS = [sys.executable, "-c", "from bot.cli import main; main()"]


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    db = Database(sqlite_url)
    seed_book(db, tmp_path / "book")
    with db.session() as session:
        for title in ("why was INV-3000 not paid?", "please send the remittance advice"):
            create_ticket(session, title=title, body=title, now=NOW)
        session.commit()
    db.dispose()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JIRA_", "PAYOPS_"))}
    return {**clean, "PAYOPS_DATABASE_URL": sqlite_url, "PAYOPS_NOW": NOW.isoformat()}


def payops(args: list[str], env: dict[str, str], cwd: Path, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(PAYOPS + args, capture_output=True, text=True, env=env, cwd=cwd, timeout=180)
    assert done.returncode == code, done.stderr
    return done


def test_rollup_then_show_prints_the_headline_figures(env: dict[str, str], tmp_path: Path) -> None:
    summary = json.loads(payops(["metrics", "rollup", "--json"], env, tmp_path).stdout)
    assert (summary["invoices"], summary["tickets"]) == (4, 2)
    shown = payops(["metrics", "show", "--client", "C017"], env, tmp_path).stdout
    assert "C017, 2026-10-24 to 2026-11-20" in shown
    assert "Invoices received" in shown and "Rejection rate" in shown and "33.3%" in shown


def test_report_recurrence_in_each_format(env: dict[str, str], tmp_path: Path) -> None:
    data = json.loads(payops(["report", "recurrence", "--since", "30d", "--format", "json"], env, tmp_path).stdout)
    assert data["total_tickets"] == 2 and data["filters"]["from"] == "2026-10-22"
    md = payops(["report", "recurrence", "--format", "md", "--chart", "chart.png"], env, tmp_path).stdout
    assert md.startswith("*Recurrence report*") and (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    payops(["report", "recurrence", "--format", "html", "--output", "r.html"], env, tmp_path)
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


def test_a_bad_window_says_what_to_give(env: dict[str, str], tmp_path: Path) -> None:
    done = payops(["report", "recurrence", "--since", "a month"], env, tmp_path, code=2)
    assert "give a number of days or weeks, e.g. 30d or 8w" in done.stderr

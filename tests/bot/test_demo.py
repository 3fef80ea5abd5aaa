"""README's first command: `payops demo` on the embedded defaults, from an empty directory."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

PAYOPS = [sys.executable, "-c", "from bot.cli import main; main()"]


def demo_env(model_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JIRA_", "PAYOPS_"))}
    return {**clean, "PAYOPS_MODEL_DIR": str(model_path), "PAYOPS_WEB__PORT": "0",
            "PAYOPS_NOW": "2026-11-20T09:00:00+00:00"}


def test_demo_answers_a_realistic_mix_of_tickets(tmp_path, model_path):
    done = subprocess.run(PAYOPS + ["demo", "--json"], cwd=tmp_path, env=demo_env(model_path), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["received"] == 6000 and out["batches"] == 247
    tickets = out["tickets"]
    assert len(tickets) >= 9 and all(t["state"] != "new" for t in tickets)
    first = tickets[0]  # a client asks about its own rejected invoice
    assert first["state"] == "answered"
    [answer] = [m for m in first["messages"] if m["kind"] == "answer"]
    assert re.search(r"- [A-Z]+-\d\d: ", answer["text"]), answer["text"]  # a rule id with its reason
    hidden = tickets[2]  # the same client asks about another client's invoice
    number = hidden["entities"]["invoices"][0]
    [hidden_answer] = [m for m in hidden["messages"] if m["kind"] == "answer"]
    assert f"There is no invoice {number} visible to you." in hidden_answer["text"]
    alarm = next(t for t in tickets if t["reporter"] == "monitoring")
    assert alarm["labels"]["category"]["label"] == "incident"
    # The changed export is re-parsed by its playbook, approved by the demo's on-call engineer;
    # the alarm closes and the customer under it is answered again.
    [reparse] = [p for p in out["proposals"] if p["playbook"] == "reparse_feed"]
    assert (reparse["ticket"], reparse["state"], reparse["decided_by"]) == (alarm["key"], "verified", "demo-oncall")
    assert reparse["diff"][0]["kind"] == "reparse_batch"
    assert alarm["state"] == "resolved"
    [child] = [t for t in tickets if t["parent"] == alarm["key"]]
    assert any("has been fixed" in m["text"] for m in child["messages"] if m["kind"] == "follow_up")
    # The dashboard, as one file, tells a manager of the client whose ERP change broke TAX-01.
    dashboard = out["dashboard"]
    assert any(re.fullmatch(r"C\d{3} rejected \d+% of its invoices, .* driven by TAX-01", c) for c in dashboard["callouts"])
    page = (tmp_path / dashboard["file"]).read_text()  # relative to the demo's directory
    assert "Needs attention" in page and "<script src=" not in page


def test_demo_leaves_the_service_running_and_stops_on_sigterm(tmp_path, model_path):
    proc = subprocess.Popen(PAYOPS + ["demo"], cwd=tmp_path, env=demo_env(model_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = None
        for line in proc.stdout:
            found = re.search(r"payops is running: dashboard (http://\S+)dashboard", line)
            if found:
                url = found.group(1)
                break
        assert url, proc.stderr.read() if proc.stderr else "no URL printed"
        dashboard = requests.get(url + "dashboard", timeout=60)
        assert dashboard.status_code == 200 and "Needs attention" in dashboard.text
        assert "payops_invoices_received_total" in requests.get(url + "metrics", timeout=30).text
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and "on-call queue" in page.text
        assert "Latest outcomes" in page.text and "reparse_feed" in page.text  # the fix the demo approved
        assert requests.get(url + "healthz", timeout=10).json()["ok"] is True
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()

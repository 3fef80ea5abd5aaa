"""Playbook fixtures: the bot's small book of invoices, tickets that name them, a runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import Database, Invoice, Proposal, Ticket
from payables.clock import Clock, fixed_clock
from playbooks import audit
from playbooks.policy import ApprovalPolicy
from playbooks.ports import AuditOnlyNotifier
from playbooks.runner import Runner
from tests.bot.scenario import seed_book
from tests.factories import NOW
from triage.service import create_ticket

POLICY = ApprovalPolicy(approvers=frozenset({"alice", "bob"}))


@pytest.fixture
def book(db: Database, tmp_path: Path) -> Database:
    seed_book(db, tmp_path / "book")
    return db


@pytest.fixture
def clock() -> Clock:
    return fixed_clock(NOW)


@pytest.fixture
def make_runner(book: Database, clock: Clock) -> Callable[..., Runner]:
    def make(policy: ApprovalPolicy = POLICY, *, clock: Clock = clock, worker_id: str = "test", **kw: Any) -> Runner:
        return Runner(book, policy=policy, notifier=AuditOnlyNotifier(clock), clock=clock, worker_id=worker_id, **kw)
    return make


@pytest.fixture
def runner(make_runner: Callable[..., Runner]) -> Runner:
    return make_runner()


@pytest.fixture
def ticket_about(book: Database) -> Callable[..., int]:
    """A ticket whose root cause a person confirmed, naming invoices/vendors; returns its id."""
    def make(root_cause: str, text: str = "", *, reporter: str = "carol", invoices: tuple[str, ...] = (),
             vendors: tuple[str, ...] = (), clients: tuple[str, ...] = (), **entities: Any) -> int:
        with book.session() as session:
            t = create_ticket(session, title=text[:80] or root_cause, body=text or root_cause, now=NOW,
                              source="local", reporter=reporter)
            t.confirmed_root_cause = root_cause
            t.entities = {"invoices": list(invoices), "vendors": list(vendors), "clients": list(clients), **entities}
            return t.id
    return make


def propose(book: Database, runner: Runner, ticket_id: int, **kw: Any) -> int:
    with book.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        proposal = runner.propose(session, ticket, **kw)
        assert proposal is not None
        return proposal.id


def invoice_of(db: Database, number: str) -> Invoice:
    with db.session() as session:
        return session.scalars(select(Invoice).where(Invoice.invoice_number == number)).one()


def proposal_of(db: Database, pid: int) -> Proposal:
    with db.session() as session:
        p = session.get(Proposal, pid)
        assert p is not None
        return p


def actions_of(db: Database, pid: int) -> list[str]:
    """The audit log's actions for one proposal, in order."""
    with db.session() as session:
        return [e.action for e in audit.entries(session, proposal_id=pid)]

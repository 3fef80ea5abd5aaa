"""Answering "why wasn't INV-2291 paid?" from the engine, for one audience.

For each invoice the ticket names: find it among the clients the audience may see, judge
it again with today's rules and reference data (the engine's `revalidate`), and say its
status, each finding that stops it with its rule id and what the reader can do, and when
it will be paid. An invoice that does not exist and one the audience may not see get the
same words, so nothing leaks across clients; close matches are looked for only within the
audience's clients.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.access import Audience
from models import Invoice
from payables.canonical import Status
from payables.clock import Clock
from payables.revalidate import Revalidation, revalidate
from payables.rules.base import Finding, Severity
from payables.rules.codes import money
from payables.rules.registry import RuleSet

STOPS = (Severity.BLOCK, Severity.HOLD)
MAX_PER_NUMBER = 5
MAX_SUGGESTIONS = 5
REDRIVABLE = {Status.REJECTED, Status.ON_HOLD}


@dataclass(frozen=True)
class InvoiceAnswer:
    revalidation: Revalidation

    @property
    def invoice(self) -> Invoice:
        return self.revalidation.invoice

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return self.revalidation.blocking

    @property
    def due_date(self) -> date | None:
        return self.revalidation.expected_payment_date

    @property
    def expected_payment_date(self) -> date | None:
        """None while something stops it; never in the past for an unpaid invoice (a
        past-due invoice goes out in the next payment run)."""
        due = self.revalidation.expected_payment_date
        if due is None or self.invoice.status == Status.PAID:
            return due
        if self.blocking:
            return None
        return max(due, self.revalidation.now.validated_at.date())

    @property
    def would_now_pass(self) -> bool:
        """Stopped when it was judged, but passes today: it can be re-driven."""
        return self.invoice.status in REDRIVABLE and self.revalidation.passes_now

    def as_dict(self) -> dict[str, Any]:
        inv = self.invoice
        expected = self.expected_payment_date
        return {
            "invoice_number": inv.invoice_number,
            "client_id": inv.client_id,
            "vendor_id": inv.vendor_id,
            "vendor_name": inv.vendor_name,
            "status": inv.status.lower(),
            "total_amount": None if inv.total_amount is None else str(inv.total_amount),
            "currency": inv.currency,
            "payment_terms": inv.payment_terms,
            "findings": [f.as_dict() for f in self.revalidation.now.findings],
            "blocking_rules": sorted({f.rule for f in self.blocking}),
            "would_now_pass": self.would_now_pass,
            "expected_payment_date": expected.isoformat() if expected else None,
            "payment_deadline": inv.payment_deadline.isoformat() if inv.payment_deadline else None,
            "rules_version": self.revalidation.now.rules_version,
            "reference_version": self.revalidation.now.reference_version,
        }


@dataclass(frozen=True)
class Suggestion:
    invoice_number: str
    client_id: str
    vendor_id: str
    vendor_name: str
    amount: str
    why: str

    def as_dict(self) -> dict[str, str]:
        return self.__dict__.copy()


@dataclass
class InquiryAnswer:
    answers: list[InvoiceAnswer] = field(default_factory=list)
    not_visible: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def redrivable(self) -> list[InvoiceAnswer]:
        return [a for a in self.answers if a.would_now_pass]

    @property
    def text(self) -> str:
        return render(self)

    def as_dict(self) -> dict[str, Any]:
        return {
            "invoices": [a.as_dict() for a in self.answers],
            "not_visible": self.not_visible,
            "suggestions": [s.as_dict() for s in self.suggestions],
        }


def answer_inquiry(session: Session, entities: dict[str, Any], audience: Audience, *,
                   ruleset: RuleSet, clock: Clock) -> InquiryAnswer:
    """Judge every invoice `entities` names that `audience` may see, and say what stops it."""
    result = InquiryAnswer()
    numbers: list[str] = list(entities.get("invoices") or [])
    vendors = set(entities.get("vendors") or [])
    for number in numbers:
        found = _visible(session, number, audience, vendors)
        if not found:
            result.not_visible.append(number)
            result.suggestions += _near_misses(session, number, audience)
            continue
        for invoice in found:
            result.answers.append(InvoiceAnswer(revalidate(session, invoice, ruleset=ruleset, clock=clock)))
    if not result.answers:
        result.suggestions += _same_vendor_and_amount(session, entities, audience)
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for s in result.suggestions:
        key = (s.invoice_number, s.client_id, s.vendor_id)
        if key not in seen:
            seen.add(key)
            unique.append(s)
    result.suggestions = unique[:MAX_SUGGESTIONS]
    return result


def _scoped(query: Any, audience: Audience) -> Any:
    return query if audience.everything else query.where(Invoice.client_id.in_(sorted(audience.clients)))


def _visible(session: Session, number: str, audience: Audience, vendors: set[str]) -> list[Invoice]:
    if audience.sees_nothing:
        return []
    found = list(session.scalars(_scoped(select(Invoice).where(Invoice.invoice_number == number), audience)
                                 .order_by(Invoice.id).limit(MAX_PER_NUMBER * 4)))
    named = [i for i in found if i.vendor_id in vendors]
    return (named or found)[:MAX_PER_NUMBER]


def near_miss_variants(number: str) -> set[str]:
    """Numbers one slip away from `number`: a digit mistyped, dropped, doubled or swapped,
    or the separator written differently ("INV2291" for "INV-2291")."""
    variants = set()
    for i in range(len(number)):
        variants.add(number[:i] + number[i + 1:])
        if number[i].isdigit():
            variants.update(number[:i] + d + number[i + 1:] for d in string.digits)
            variants.update(number[:i] + d + number[i:] for d in string.digits)
        if i + 1 < len(number):
            variants.add(number[:i] + number[i + 1] + number[i] + number[i + 2:])
    plain = re.sub(r"[-_/ .]", "", number)
    variants.add(plain)
    match = re.match(r"^([A-Za-z]+)[-_/ .]?(\d.*)$", number)
    if match:
        prefix, rest = match.groups()
        variants.update({f"{prefix}-{rest}", f"{prefix}{rest}", f"{prefix}/{rest}", rest})
    variants.discard(number)
    return {v for v in variants if v}


def _near_misses(session: Session, number: str, audience: Audience) -> list[Suggestion]:
    if audience.sees_nothing:
        return []
    rows = session.scalars(_scoped(select(Invoice).where(Invoice.invoice_number.in_(sorted(near_miss_variants(number)))),
                                   audience).order_by(Invoice.id).limit(MAX_SUGGESTIONS))
    return [_suggest(i, f"number close to {number}") for i in rows]


def _same_vendor_and_amount(session: Session, entities: dict[str, Any], audience: Audience) -> list[Suggestion]:
    if audience.sees_nothing or not entities.get("amounts"):
        return []
    vendors = list(entities.get("vendors") or [])
    names = [n.lower() for n in entities.get("vendor_names") or []]
    if not (vendors or names):
        return []
    found: list[Suggestion] = []
    for amount in entities["amounts"]:
        try:
            value = Decimal(amount["value"])
        except (InvalidOperation, KeyError, TypeError):
            continue
        who: list[Any] = [Invoice.vendor_id.in_(vendors)] if vendors else []
        who += [func.lower(Invoice.vendor_name).contains(n) for n in names]
        query = select(Invoice).where(Invoice.total_amount == value, or_(*who))
        if amount.get("currency"):
            query = query.where(Invoice.currency == amount["currency"])
        for invoice in session.scalars(_scoped(query, audience).order_by(Invoice.id.desc()).limit(MAX_SUGGESTIONS)):
            found.append(_suggest(invoice, f"same vendor and amount ({amount.get('text') or value})"))
    return found


def _suggest(invoice: Invoice, why: str) -> Suggestion:
    amount = money(invoice.total_amount, invoice.currency) if invoice.total_amount is not None else ""
    return Suggestion(invoice.invoice_number, invoice.client_id, invoice.vendor_id, invoice.vendor_name, amount, why)


def _when(answer: InvoiceAnswer) -> str:
    expected = answer.expected_payment_date
    if answer.invoice.status == Status.PAID and expected:
        return f"It was paid on {expected.isoformat()}."
    if expected is None:
        return "It will not be paid until this is fixed; once it is, it is paid on its terms."
    due = answer.due_date
    if due is not None and due < expected:
        return (f"It fell due on {due.isoformat()}; it goes out in the next payment run. "
                f"Expected payment date: {expected.isoformat()}.")
    return f"Expected payment date: {expected.isoformat()}."


def render_invoice(answer: InvoiceAnswer) -> str:
    inv = answer.invoice
    amount = money(inv.total_amount, inv.currency) if inv.total_amount is not None else "no amount"
    vendor = f"{inv.vendor_id} {inv.vendor_name}".strip()
    lines = [f"{inv.invoice_number} (client {inv.client_id}, vendor {vendor}, {amount}, "
             f"{inv.payment_terms}) is {inv.status.lower().replace('_', ' ')}."]
    if answer.blocking:
        lines.append("What stops it, under today's rules and reference data:")
        for f in answer.blocking:
            lines.append(f"- {f.rule}: {f.message}. What you can do: {f.action}")
    elif answer.would_now_pass:
        lines.append("It would now pass: the data that stopped it has since been corrected. "
                     "A re-drive has been proposed to on-call; no action is needed from you.")
    warnings = [f for f in answer.revalidation.now.findings if f.severity not in STOPS]
    if warnings:
        lines.append("Noted, not blocking: " + "; ".join(f"{f.rule}: {f.message}" for f in warnings))
    lines.append(_when(answer))
    return "\n".join(lines)


def render(result: InquiryAnswer) -> str:
    parts = [render_invoice(a) for a in result.answers]
    for number in result.not_visible:
        parts.append(f"There is no invoice {number} visible to you.")
    if result.suggestions:
        parts.append("Did you mean: " + "; ".join(
            f"{s.invoice_number} (client {s.client_id}, vendor {s.vendor_id}, {s.amount}; {s.why})"
            for s in result.suggestions))
    if not parts:
        parts.append("I could not find an invoice number in your message. Please give it, "
                     "for example: why was INV-2291 not paid?")
    return "\n\n".join(parts)

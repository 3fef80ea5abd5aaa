"""`bank_details_invalid`: hold the payments to an invalid IBAN and tell the vendor contact.

A vendor's IBAN fails BANK-01 (length, country, check digits: the same schwifty check
the rule uses). Payments go out to the vendor master's account (VM-02 keeps the invoices'
IBANs equal to it), so while the master's IBAN is invalid every VALIDATED or SCHEDULED
invoice of the vendor is held; so is one that itself prints an invalid IBAN. Invoices
already REJECTED by BANK-01 need no change and are listed. The vendor contact is told
what is wrong with the account, with the IBAN masked to its last 4 characters (a message
that leaves the company never carries a full account number). No bank data is changed
and no money moves: correcting the account is the vendor's to confirm, through a known
contact, and then a person's to enter (bank-detail changes are a common fraud).

If verification fails (say someone released a hold while the plan applied), rolling
back would release payments to an account known to be invalid. So this playbook rolls
forward instead: its safe state holds again every planned invoice that is payable and
still pays to an invalid IBAN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from models import Invoice, Vendor
from payables.canonical import Status
from payables.revalidate import latest_findings
from payables.rules.idcheck import compact_iban, iban_problem
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import Change, InvoiceStatus, Notice

PAYABLE = (Status.VALIDATED, Status.SCHEDULED)
LISTED = (Status.REJECTED, Status.ON_HOLD)
VENDOR_LIMIT = 20


def mask_iban(iban: str) -> str:
    """Every character but the last 4 masked: enough for the vendor to recognise it."""
    text = compact_iban(iban)
    return "*" * max(len(text) - 4, 0) + text[-4:]


def _bad_iban(inv: Invoice, master: Vendor | None) -> tuple[str, str] | None:
    """The invalid IBAN this invoice would be paid to (or prints), with why; None if none."""
    for iban in (master.iban if master is not None else "", inv.vendor_iban):
        if iban:
            problem = iban_problem(iban)
            if problem is not None:
                return iban, problem
    return None


@dataclass
class _VendorCase:
    vendor_id: str
    name: str
    master_problem: str | None
    master_iban: str
    hold: list[Invoice] = field(default_factory=list)
    stopped: list[Invoice] = field(default_factory=list)
    bad: dict[str, str] = field(default_factory=dict)  # masked IBAN -> problem
    why: dict[int, tuple[str, str]] = field(default_factory=dict)  # invoice id -> (masked IBAN, problem)


class HoldInvalidBankDetails(Playbook):
    name = "hold_invalid_bank_details"
    root_cause = "bank_details_invalid"
    title = "Hold payments to an invalid IBAN and notify the vendor contact"
    on_verify_failure = "roll_forward"
    safe_state_name = "every payable invoice to the invalid IBAN held"

    def _vendor_ids(self, ctx: Context) -> list[str]:
        named = {str(v) for v in ctx.entities.get("vendors") or ()}
        named |= {i.vendor_id for i in ctx.named_invoices()}
        return sorted(named)[:VENDOR_LIMIT]

    def _case(self, ctx: Context, vendor_id: str) -> _VendorCase:
        master = ctx.session.get(Vendor, vendor_id)
        problem = iban_problem(master.iban) if master is not None and master.iban else None
        case = _VendorCase(vendor_id, master.name if master is not None else vendor_id, problem,
                           master.iban if master is not None else "")
        if problem is not None:
            case.bad[mask_iban(case.master_iban)] = problem
        invoices = list(ctx.session.scalars(
            select(Invoice).where(Invoice.vendor_id == vendor_id, Invoice.status.in_(PAYABLE + LISTED))
            .order_by(Invoice.id).limit(ctx.options.max_invoices)))
        findings = latest_findings(ctx.session, [i for i in invoices if i.status in LISTED])
        for inv in invoices:
            bad = _bad_iban(inv, master)
            if inv.status in PAYABLE and bad is not None:
                case.hold.append(inv)
            elif inv.status in LISTED and any(f.rule == "BANK-01" for f in findings.get(inv.id, ())):
                case.stopped.append(inv)
            if bad is not None:
                case.bad[mask_iban(bad[0])] = bad[1]
                case.why[inv.id] = (mask_iban(bad[0]), bad[1])
        return case

    def _cases(self, ctx: Context) -> list[_VendorCase]:
        return [self._case(ctx, v) for v in self._vendor_ids(ctx)]

    def diagnose(self, ctx: Context) -> Diagnosis:
        evidence: list[str] = []
        hold: list[int] = []
        invalid = []
        for case in self._cases(ctx):
            if not case.bad:
                evidence.append(f"vendor {case.vendor_id}: its IBAN"
                                + (f" {mask_iban(case.master_iban)}" if case.master_iban else "")
                                + " passes BANK-01 and no open invoice of it prints an invalid one")
                continue
            invalid.append(case.vendor_id)
            for masked, problem in sorted(case.bad.items()):
                evidence.append(f"vendor {case.vendor_id} ({case.name}): IBAN {masked} is not valid: {problem}")
            if case.master_problem is not None:
                evidence.append(f"vendor {case.vendor_id}: the vendor master's IBAN is the invalid one, so every "
                                "payable invoice of the vendor would be paid to it")
            for inv in case.hold:
                evidence.append(f"{inv.invoice_number} (client {inv.client_id}) is {inv.status}: its payment "
                                "must be held")
                hold.append(inv.id)
            for inv in case.stopped:
                evidence.append(f"{inv.invoice_number} (client {inv.client_id}) is already {inv.status} by "
                                "BANK-01: no change needed")
        if not invalid:
            return Diagnosis("no IBAN named here fails BANK-01: the bank details are valid", evidence,
                             applicable=False)
        summary = (f"vendor(s) {', '.join(invalid)} have an invalid IBAN; {len(hold)} payable invoice(s) to hold, "
                   "the vendor contact to be told; no bank data is changed")
        return Diagnosis(summary, evidence, invoice_ids=hold, facts={"vendors": invalid})

    def _holds(self, case: _VendorCase) -> list[Change]:
        changes: list[Change] = []
        for inv in case.hold:
            masked, problem = case.why[inv.id]
            changes.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=inv.status,
                                         after=Status.ON_HOLD, reason=f"payment held: vendor {case.vendor_id}'s "
                                                                      f"IBAN {masked} is not valid (BANK-01: {problem})"))
        return changes

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        changes: list[Change] = []
        notices: list[Change] = []
        held: list[int] = []
        for case in self._cases(ctx):
            if case.vendor_id not in diagnosis.facts.get("vendors", ()) or not case.bad:
                continue
            changes += self._holds(case)
            held += [i.id for i in case.hold]
            problems = "; ".join(f"IBAN {masked}: {problem}" for masked, problem in sorted(case.bad.items()))
            paused = (f" We have put {len(case.hold)} payment(s) on hold "
                      f"({', '.join(i.invoice_number for i in case.hold)}) until then." if case.hold else "")
            account = ("the bank account we hold for you is" if case.master_problem is not None
                       else "the bank account on your invoice(s) is")
            text = (f"Hello {case.name} (vendor {case.vendor_id}): {account} not valid ({problems}), so we "
                    f"cannot pay to it.{paused} Please confirm your correct bank details "
                    "through your usual contact with us; for your security we never take bank details by "
                    "reply to this message.")
            notices.append(Notice(audience="vendor_contact", text=text, key=f"bank-{case.vendor_id}"))
        if not notices:
            return None
        return Plan(f"hold {len(held)} payment(s) to an invalid IBAN and tell {len(notices)} vendor contact(s)",
                    changes + notices, held,
                    expected="each planned invoice ON_HOLD; the vendor contact told what is wrong")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            if isinstance(change, InvoiceStatus):
                inv = ctx.session.get(Invoice, change.invoice)
                status = inv.status if inv is not None else "missing"
                checks.append(Check(f"{change.subject} is on hold", status == Status.ON_HOLD, status))
            elif isinstance(change, Notice):
                checks.append(Check(f"{change.subject} planned ({change.key})", True))
        if not any(isinstance(c, Notice) for c in plan.changes):
            checks.append(Check("vendor contact told", False, "no notice in the plan"))
        return checks

    def safe_state(self, ctx: Context, plan: Plan) -> list[Change]:
        """Hold again what is payable and still goes to an invalid IBAN (current state as `before`)."""
        out: list[Change] = []
        for change in plan.changes:
            if not isinstance(change, InvoiceStatus):
                continue
            inv = ctx.session.get(Invoice, change.invoice)
            if inv is None or inv.status not in PAYABLE:
                continue
            bad = _bad_iban(inv, ctx.session.get(Vendor, inv.vendor_id))
            if bad is None:
                continue
            out.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=inv.status,
                                     after=Status.ON_HOLD, reason=f"held again: IBAN {mask_iban(bad[0])} is still "
                                                                  f"not valid (BANK-01: {bad[1]})"))
        return out

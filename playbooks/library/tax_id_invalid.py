"""`tax_id_invalid`: propose the vendor-master tax id correction; hold until a person approves.

A vendor's tax id in the master fails TAX-01 for its country (format or check digits,
the same python-stdnum check the rule runs). The diagnosis says why and looks for the
correct id in two places: the id printed on the vendor's recent invoices, when it
validates, and the stored id normalised (country prefix added, spaces, dots and dashes
removed, upper case, letter O read as digit 0 and the other way round). Only when exactly
one distinct valid id comes out of both is a correction proposed; two candidates, or
none, need someone to ask the vendor, so the ticket goes to a person.

The plan changes the vendor master (high risk: a person always approves it) and re-drives
the vendor's invoices stopped by TAX-01 (or held by VM-02 because their printed id
differed from the wrong master) that the engine passes once the master is corrected.
Until that approval the invoices stay blocked: nothing is released on a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from models import Invoice, Vendor
from payables.canonical import Status
from payables.revalidate import latest_findings
from payables.rules.idcheck import compact_tax_id, tax_id_problem
from playbooks.base import Check, Context, Diagnosis, Plan, Playbook
from playbooks.changes import Change, InvoiceStatus, VendorField

STOPPED = (Status.REJECTED, Status.ON_HOLD)
TAX_RULES = {"TAX-01", "VM-02"}
RECENT_INVOICES = 20
VENDOR_LIMIT = 20
_SEPARATORS = re.compile(r"[\s.\-/]")


def _prefix(country: str) -> str:
    return "EL" if country.upper() == "GR" else country.upper()


def _canonical(tax_id: str, country: str) -> str:
    """One spelling per id: compact, with the country prefix when the id validates with it."""
    bare = compact_tax_id(tax_id, country)
    prefixed = _prefix(country) + bare
    return prefixed if tax_id_problem(country, prefixed) is None else bare


def normalised_variants(tax_id: str, country: str) -> set[str]:
    """The stored id with the usual slips undone, one slip kind at a time and all together."""
    prefix = _prefix(country)
    compact = _SEPARATORS.sub("", tax_id).upper()
    body = compact[len(prefix):] if compact.startswith(prefix) else compact
    bodies = {body, body.replace("O", "0")}
    for i, char in enumerate(body):
        if char in "O0":
            bodies.add(body[:i] + ("0" if char == "O" else "O") + body[i + 1:])
    return {tax_id.strip(), compact} | bodies | {prefix + b for b in bodies}


@dataclass
class _Candidate:
    value: str
    sources: list[str] = field(default_factory=list)


@dataclass
class _VendorCase:
    vendor_id: str
    country: str
    stored: str
    problem: str | None
    candidates: dict[str, _Candidate] = field(default_factory=dict)
    printed_invalid: list[str] = field(default_factory=list)

    @property
    def correction(self) -> str | None:
        return next(iter(self.candidates.values())).value if len(self.candidates) == 1 else None


class ProposeTaxIdCorrection(Playbook):
    name = "propose_tax_id_correction"
    root_cause = "tax_id_invalid"
    title = "Propose the vendor tax id correction and re-drive its invoices"

    def _vendor_ids(self, ctx: Context) -> list[str]:
        named = {str(v) for v in ctx.entities.get("vendors") or ()}
        named |= {i.vendor_id for i in ctx.named_invoices()}
        return sorted(named)[:VENDOR_LIMIT]

    def _case(self, ctx: Context, vendor: Vendor) -> _VendorCase:
        country = vendor.country
        problem = tax_id_problem(country, vendor.tax_id) if vendor.tax_id else None
        case = _VendorCase(vendor.vendor_id, country, vendor.tax_id, problem)
        if problem is None:
            return case

        def add(value: str, source: str) -> None:
            key = compact_tax_id(value, country)
            found = case.candidates.setdefault(key, _Candidate(_canonical(value, country)))
            if source not in found.sources:
                found.sources.append(source)

        recent = ctx.session.scalars(select(Invoice).where(Invoice.vendor_id == vendor.vendor_id)
                                     .order_by(Invoice.ingested_at.desc(), Invoice.id.desc()).limit(RECENT_INVOICES))
        stored = compact_tax_id(vendor.tax_id, country)
        for inv in recent:
            printed = inv.vendor_tax_id
            if not printed or compact_tax_id(printed, country) == stored:
                continue
            if tax_id_problem(country, printed) is None:
                add(printed, f"printed on invoice {inv.invoice_number}")
            elif printed not in case.printed_invalid:
                case.printed_invalid.append(printed)
        for variant in sorted(normalised_variants(vendor.tax_id, country)):
            if tax_id_problem(country, variant) is None:
                add(variant, "the stored id normalised")
        return case

    def _stopped(self, ctx: Context, vendor_id: str) -> list[Invoice]:
        invoices = list(ctx.session.scalars(select(Invoice).where(Invoice.vendor_id == vendor_id,
                                                                  Invoice.status.in_(STOPPED))
                                            .order_by(Invoice.id).limit(ctx.options.max_invoices)))
        findings = latest_findings(ctx.session, invoices)
        return [i for i in invoices if {f.rule for f in findings[i.id]} & TAX_RULES]

    def diagnose(self, ctx: Context) -> Diagnosis:
        evidence: list[str] = []
        corrections: dict[str, dict[str, Any]] = {}
        redrive: list[int] = []
        for vendor_id in self._vendor_ids(ctx):
            vendor = ctx.session.get(Vendor, vendor_id)
            if vendor is None:
                evidence.append(f"vendor {vendor_id} is not in the vendor master (VM-01, not a tax id problem)")
                continue
            case = self._case(ctx, vendor)
            if case.problem is None:
                evidence.append(f"vendor {vendor_id}'s tax id {vendor.tax_id} passes TAX-01 for {case.country}"
                                if vendor.tax_id else f"vendor {vendor_id} has no tax id in the master: TAX-01 "
                                                      "has nothing to check (EU-01 asks for one)")
                evidence += [f"  but an invoice prints {p!r}, which does not: ask the vendor for a corrected "
                             "invoice" for p in case.printed_invalid]
                continue
            evidence.append(f"vendor {vendor_id}'s tax id {vendor.tax_id!r} fails TAX-01 for {case.country}: "
                            f"{case.problem}")
            for candidate in case.candidates.values():
                evidence.append(f"  candidate {candidate.value} ({'; '.join(candidate.sources)})")
            evidence += [f"  invoices also print {p!r}, which is not valid either" for p in case.printed_invalid]
            correction = case.correction
            if correction is None:
                why = "no valid candidate" if not case.candidates else f"{len(case.candidates)} different candidates"
                evidence.append(f"  {why}: a person must ask the vendor for its registered tax id")
                continue
            corrections[vendor_id] = {"before": vendor.tax_id, "after": correction, "country": case.country,
                                      "problem": case.problem,
                                      "sources": case.candidates[compact_tax_id(correction, case.country)].sources}
            change = VendorField(vendor=vendor_id, field="tax_id", before=vendor.tax_id, after=correction)
            for inv in self._stopped(ctx, vendor_id):
                after = ctx.simulate(inv, [change])
                if after.status == Status.VALIDATED:
                    redrive.append(inv.id)
                    evidence.append(f"  {inv.invoice_number} (client {inv.client_id}) is {inv.status}; passes once "
                                    "corrected: re-driven after approval")
                else:
                    stops = sorted({f.rule for f in after.findings if str(f.severity) in ("block", "hold")})
                    evidence.append(f"  {inv.invoice_number} (client {inv.client_id}) is {inv.status}; still "
                                    f"{after.status} once corrected ({', '.join(stops)}): left as it is")
        if not corrections:
            return Diagnosis("no vendor named here has an invalid tax id with exactly one valid correction", evidence,
                             applicable=False)
        summary = (f"propose correcting the tax id of vendor(s) {', '.join(sorted(corrections))} in the vendor "
                   f"master; {len(redrive)} invoice(s) pass once corrected. They stay blocked until a person "
                   "approves the correction (it changes the vendor master)")
        return Diagnosis(summary, evidence, invoice_ids=redrive, facts={"corrections": corrections})

    def plan(self, ctx: Context, diagnosis: Diagnosis) -> Plan | None:
        fixes: list[Change] = []
        for vendor_id, fix in sorted((diagnosis.facts.get("corrections") or {}).items()):
            vendor = ctx.session.get(Vendor, vendor_id)
            if vendor is None or vendor.tax_id != fix["before"]:
                continue
            fixes.append(VendorField(vendor=vendor_id, field="tax_id", before=fix["before"], after=fix["after"]))
        if not fixes:
            return None
        redrives: list[Change] = []
        for invoice_id in diagnosis.invoice_ids:
            inv = ctx.session.get(Invoice, invoice_id)
            if inv is None or inv.status not in STOPPED:
                continue
            after = ctx.simulate(inv, fixes)
            if after.status == Status.VALIDATED:
                redrives.append(InvoiceStatus(invoice=inv.id, number=inv.invoice_number, before=inv.status,
                                              after=after.status, revalidate=True,
                                              reason=f"re-driven: vendor {inv.vendor_id}'s tax id corrected"))
        return Plan(f"correct {len(fixes)} vendor tax id(s) in the vendor master and re-drive {len(redrives)} "
                    "invoice(s) that then pass", fixes + redrives,
                    [c.invoice_id for c in redrives if c.invoice_id is not None],
                    expected="each vendor's tax id valid for its country; each re-driven invoice VALIDATED")

    def verify(self, ctx: Context, plan: Plan) -> list[Check]:
        checks = []
        for change in plan.changes:
            if isinstance(change, VendorField):
                vendor = ctx.session.get(Vendor, change.vendor)
                if vendor is None:
                    checks.append(Check(f"{change.subject} tax id valid", False, "missing"))
                    continue
                problem = tax_id_problem(vendor.country, vendor.tax_id)
                ok = vendor.tax_id == change.after and problem is None
                checks.append(Check(f"{change.subject} tax id valid", ok, problem or vendor.tax_id))
            elif isinstance(change, InvoiceStatus):
                inv = ctx.session.get(Invoice, change.invoice)
                status = inv.status if inv is not None else "missing"
                ok = status in (Status.VALIDATED, Status.SCHEDULED, Status.PAID)
                checks.append(Check(f"{change.subject} VALIDATED", ok, status))
        return checks

"""The changes a plan is made of: each one field of one thing, from a value to a value.

Every change can say where it stands (`state`: still `pending`, already `done`, or
`conflict` when the thing holds neither value, i.e. someone changed it since the plan),
apply itself, revert itself, and simulate itself on copies for the dry run. Applying
checks the state first, so a change applied twice is applied once; the runner commits
each change with its audit entry in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import FxRate, Invoice, InvoiceEvent, ReferenceVersion, Vendor, VendorChange
from payables.canonical import Status
from payables.clock import Clock
from payables.reference.lookup import VendorRef
from payables.revalidate import Adjustments, redrive, revalidate
from payables.rules.registry import RuleSet

if TYPE_CHECKING:
    from models import Ticket
    from playbooks.ports import Notifier

PENDING, DONE, CONFLICT = "pending", "done", "conflict"
PAYABLE = {Status.VALIDATED, Status.SCHEDULED, Status.PAID}


class ChangeConflict(Exception):
    """The thing a change acts on is no longer as the plan found it."""


@dataclass
class ApplyContext:
    session: Session
    clock: Clock
    actor: str
    proposal_id: int
    ticket: Ticket | None
    notifier: Notifier
    ruleset: RuleSet


_KINDS: dict[str, type[Change]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    return value


@dataclass
class Change:
    """Base of every change; `kind` names it in a stored plan."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            _KINDS[cls.kind] = cls

    # -- what it is ----------------------------------------------------------------------

    # A change whose dataclass fields are named `before`, `after` (and `field`, `invoice`)
    # needs no more than its `subject`; others override these.

    @property
    def subject(self) -> str:
        raise NotImplementedError

    @property
    def field_name(self) -> str:
        return str(getattr(self, "field"))  # noqa: B009 (a subclass field)

    @property
    def before_value(self) -> Any:
        return getattr(self, "before")  # noqa: B009 (a subclass field)

    @property
    def after_value(self) -> Any:
        return getattr(self, "after")  # noqa: B009 (a subclass field)

    @property
    def moves_money(self) -> bool:
        """True when it lets money go out (an invoice becomes payable) or changes where to."""
        return False

    @property
    def changes_bank_data(self) -> bool:
        return False

    @property
    def changes_vendor_master(self) -> bool:
        return False

    @property
    def invoice_id(self) -> int | None:
        return getattr(self, "invoice", None)

    def describe(self) -> dict[str, Any]:
        """One line of the plan's diff."""
        return {"kind": self.kind, "subject": self.subject, "field": self.field_name,
                "before": _plain(self.before_value), "after": _plain(self.after_value)}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **{f.name: _plain(getattr(self, f.name)) for f in fields(self)}}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Change:
        cls = _KINDS[data["kind"]]
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        return cls._typed(values)

    @classmethod
    def _typed(cls, values: dict[str, Any]) -> Change:
        return cls(**values)

    # -- what it does ----------------------------------------------------------------------

    def current(self, session: Session) -> Any:
        raise NotImplementedError

    def state(self, session: Session) -> str:
        now = self.current(session)
        if now == self.after_value:
            return DONE
        if now == self.before_value:
            return PENDING
        return CONFLICT

    def apply(self, run: ApplyContext) -> None:
        raise NotImplementedError

    def revert(self, run: ApplyContext) -> None:
        raise NotImplementedError

    def simulate(self, session: Session, invoice: Invoice, adjust: Adjustments) -> Adjustments:
        """`adjust` plus this change, as the dry run of `invoice` should see it."""
        return adjust

    def conflict(self, session: Session) -> ChangeConflict:
        return ChangeConflict(f"{self.subject} {self.field_name} is {_plain(self.current(session))!r}; the plan "
                              f"expected {_plain(self.before_value)!r} (or {_plain(self.after_value)!r} once done): "
                              "it was changed since the plan was made")


def _invoice(session: Session, invoice_id: int) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise ChangeConflict(f"invoice id {invoice_id} no longer exists")
    return invoice


@dataclass
class InvoiceStatus(Change):
    """Move an invoice to another status, with an invoice event saying who and why.

    `revalidate`: judge it under today's rules first (recorded), and only move it when the
    engine's verdict is `after` (a re-drive); otherwise the change is refused.
    """

    kind: ClassVar[str] = "invoice_status"
    invoice: int
    number: str
    before: str
    after: str
    reason: str
    revalidate: bool = False

    @property
    def subject(self) -> str:
        return f"invoice {self.number}"

    @property
    def field_name(self) -> str:
        return "status"




    @property
    def moves_money(self) -> bool:
        return self.after in PAYABLE and self.before not in PAYABLE or self.after == Status.SCHEDULED

    def current(self, session: Session) -> Any:
        return _invoice(session, self.invoice).status

    def _move(self, run: ApplyContext, to: str, reason: str, *, restoring: bool = False) -> None:
        inv = _invoice(run.session, self.invoice)
        now = run.clock()
        if to == Status.SCHEDULED:
            # Put back where it was, the time it was scheduled is the one SLA-01 judges.
            earlier = run.session.scalar(select(func.max(InvoiceEvent.at)).where(
                InvoiceEvent.invoice_id == inv.id, InvoiceEvent.to_status == Status.SCHEDULED)) if restoring else None
            inv.scheduled_at = earlier or now
        elif inv.status == Status.SCHEDULED:
            inv.scheduled_at = None
        run.session.add(InvoiceEvent(invoice_id=inv.id, at=now, from_status=inv.status, to_status=to,
                                     reason=reason, actor=run.actor[:64]))
        inv.status, inv.updated_at = to, now

    def apply(self, run: ApplyContext) -> None:
        if self.revalidate:
            inv = _invoice(run.session, self.invoice)
            result = revalidate(run.session, inv, ruleset=run.ruleset, clock=run.clock)
            if result.now.status != self.after:
                rules = ", ".join(sorted({f.rule for f in result.blocking})) or "none"
                raise ChangeConflict(f"invoice {self.number}: the engine now says {result.now.status} "
                                     f"(blocking: {rules}), not {self.after} as the dry run did")
            if not redrive(run.session, result, actor=run.actor[:64], clock=run.clock):
                self._move(run, self.after, self.reason)
            return
        self._move(run, self.after, self.reason)

    def revert(self, run: ApplyContext) -> None:
        self._move(run, self.before, f"rolled back: {self.reason}", restoring=True)
        if self.revalidate:
            # The re-drive recorded a verdict; record today's again so that the invoice's
            # findings match the status it is back in (answers read them).
            revalidate(run.session, _invoice(run.session, self.invoice), ruleset=run.ruleset, clock=run.clock)

    def simulate(self, session: Session, invoice: Invoice, adjust: Adjustments) -> Adjustments:
        # The invoice judged is its own subject (excluded from duplicate checks); any other
        # moved by the plan is seen in its new status.
        return replace(adjust, statuses={**adjust.statuses, self.invoice: self.after})


INVOICE_FIELDS = ("po_number", "payment_lane", "vendor_tax_id", "vendor_iban")


@dataclass
class InvoiceField(Change):
    """Change one field of an invoice (its PO number, its payment lane, ...)."""

    kind: ClassVar[str] = "invoice_field"
    invoice: int
    number: str
    field: str
    before: str
    after: str

    def __post_init__(self) -> None:
        if self.field not in INVOICE_FIELDS:
            raise ValueError(f"a playbook may not change invoice field {self.field!r} (allowed: {INVOICE_FIELDS})")

    @property
    def subject(self) -> str:
        return f"invoice {self.number}"





    @property
    def changes_bank_data(self) -> bool:
        return self.field == "vendor_iban"

    @property
    def moves_money(self) -> bool:
        return self.field == "vendor_iban"

    def current(self, session: Session) -> Any:
        return getattr(_invoice(session, self.invoice), self.field)

    def _set(self, run: ApplyContext, value: str) -> None:
        inv = _invoice(run.session, self.invoice)
        setattr(inv, self.field, value)
        inv.updated_at = run.clock()

    def apply(self, run: ApplyContext) -> None:
        self._set(run, self.after)

    def revert(self, run: ApplyContext) -> None:
        self._set(run, self.before)

    def simulate(self, session: Session, invoice: Invoice, adjust: Adjustments) -> Adjustments:
        if invoice.id != self.invoice or self.field == "payment_lane":
            return adjust
        return replace(adjust, invoice_fields={**adjust.invoice_fields, self.field: self.after})


VENDOR_FIELDS = ("tax_id", "iban", "status", "name")


def _reference_version(run: ApplyContext, kind: str, what: dict[str, Any]) -> int:
    """A reference-data version for a change made by a playbook (answers quote versions)."""
    text = json.dumps(what, sort_keys=True, default=str)
    version = ReferenceVersion(loaded_at=run.clock(), kind=kind, source=f"playbook proposal {run.proposal_id} "
                               f"({run.actor})"[:500], sha256=hashlib.sha256(text.encode()).hexdigest(),
                               rows_loaded=1, rows_changed=1)
    run.session.add(version)
    run.session.flush()
    return version.id


@dataclass
class VendorField(Change):
    """Change one field of a vendor master record; kept in the vendor's change history."""

    kind: ClassVar[str] = "vendor_field"
    vendor: str
    field: str
    before: str
    after: str

    def __post_init__(self) -> None:
        if self.field not in VENDOR_FIELDS:
            raise ValueError(f"a playbook may not change vendor field {self.field!r} (allowed: {VENDOR_FIELDS})")

    @property
    def subject(self) -> str:
        return f"vendor {self.vendor}"




    @property
    def changes_bank_data(self) -> bool:
        return self.field == "iban"

    @property
    def moves_money(self) -> bool:
        return self.field == "iban"

    @property
    def changes_vendor_master(self) -> bool:
        return True

    def _row(self, session: Session) -> Vendor:
        row = session.get(Vendor, self.vendor)
        if row is None:
            raise ChangeConflict(f"vendor {self.vendor} is not in the vendor master")
        return row

    def current(self, session: Session) -> Any:
        return getattr(self._row(session), self.field)

    def _set(self, run: ApplyContext, old: str, new: str) -> None:
        row = self._row(run.session)
        version = _reference_version(run, "vendors", {"vendor": self.vendor, self.field: new})
        setattr(row, self.field, new)
        row.reference_version, row.updated_at = version, run.clock()
        run.session.add(VendorChange(vendor_id=self.vendor, reference_version=version, field=self.field,
                                     old_value=old, new_value=new, changed_at=run.clock()))

    def apply(self, run: ApplyContext) -> None:
        self._set(run, self.before, self.after)

    def revert(self, run: ApplyContext) -> None:
        self._set(run, self.after, self.before)

    def simulate(self, session: Session, invoice: Invoice, adjust: Adjustments) -> Adjustments:
        if invoice.vendor_id != self.vendor:
            return adjust
        base = next((v for v in adjust.vendors if v.vendor_id == self.vendor), None)
        if base is None:
            row = session.get(Vendor, self.vendor)
            if row is None:
                return adjust
            base = VendorRef(row.vendor_id, row.name, row.country, row.tax_id, row.iban, row.status)
        changed = replace(base, **{self.field: self.after})
        others = tuple(v for v in adjust.vendors if v.vendor_id != self.vendor)
        return replace(adjust, vendors=(*others, changed))


@dataclass
class FxRateAdd(Change):
    """Add the missing exchange rate for a currency and day, from the rate source."""

    kind: ClassVar[str] = "fx_rate"
    currency: str
    day: date
    rate: Decimal
    source: str

    @classmethod
    def _typed(cls, values: dict[str, Any]) -> Change:
        return cls(**{**values, "day": date.fromisoformat(str(values["day"])), "rate": Decimal(str(values["rate"]))})

    @property
    def subject(self) -> str:
        return f"FX rate {self.currency} {self.day.isoformat()}"

    @property
    def field_name(self) -> str:
        return "rate_to_usd"

    @property
    def before_value(self) -> Any:
        return None

    @property
    def after_value(self) -> Any:
        return self.rate

    @property
    def moves_money(self) -> bool:
        return True  # amounts in USD, and so limits such as CORP-01, depend on it

    def current(self, session: Session) -> Any:
        row = session.get(FxRate, (self.currency, self.day))
        return None if row is None else row.rate_to_usd

    def apply(self, run: ApplyContext) -> None:
        version = _reference_version(run, "fx_rates", {"currency": self.currency, "date": self.day,
                                                       "rate": self.rate, "source": self.source})
        run.session.add(FxRate(currency=self.currency, date=self.day, rate_to_usd=self.rate, reference_version=version))

    def revert(self, run: ApplyContext) -> None:
        run.session.execute(delete(FxRate).where(FxRate.currency == self.currency, FxRate.date == self.day))

    def simulate(self, session: Session, invoice: Invoice, adjust: Adjustments) -> Adjustments:
        return replace(adjust, fx_rates={**adjust.fx_rates, (self.currency, self.day): self.rate})


@dataclass
class Notice(Change):
    """A message a playbook sends (page on-call, tell the vendor contact, route to the
    buyer). It cannot be unsent: reverting it does nothing."""

    kind: ClassVar[str] = "notice"
    audience: str  # oncall_page, vendor_contact, buyer, customer, oncall
    text: str
    key: str = ""

    @property
    def subject(self) -> str:
        return f"message to {self.audience.replace('_', ' ')}"

    @property
    def field_name(self) -> str:
        return "sent"

    @property
    def before_value(self) -> Any:
        return False

    @property
    def after_value(self) -> Any:
        return True

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "text": self.text}

    def _key(self, proposal_id: int) -> str:
        digest = hashlib.sha1(f"{self.audience}:{self.text}".encode()).hexdigest()[:8]
        return f"playbook:{proposal_id}:{self.audience}:{self.key or digest}"

    def current(self, session: Session) -> Any:
        raise NotImplementedError("a notice's state depends on its proposal: use state_for")

    def state_for(self, session: Session, notifier: Notifier, proposal_id: int) -> str:
        return DONE if notifier.has_notice(session, self._key(proposal_id)) else PENDING

    def apply(self, run: ApplyContext) -> None:
        run.notifier.notice(run.session, proposal_id=run.proposal_id, ticket=run.ticket,
                            key=self._key(run.proposal_id), audience=self.audience, text=self.text)

    def revert(self, run: ApplyContext) -> None:
        return None


def vendor_ref(session: Session, vendor_id: str) -> VendorRef | None:
    row = session.scalar(select(Vendor).where(Vendor.vendor_id == vendor_id))
    return None if row is None else VendorRef(row.vendor_id, row.name, row.country, row.tax_id, row.iban, row.status)


def as_json(value: Any) -> Any:
    """`value` as JSON keeps it: decimals and dates as text."""
    return json.loads(json.dumps(value, default=str))

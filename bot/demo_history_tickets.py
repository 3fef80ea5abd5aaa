"""What eight weeks of the demo's tickets say, who sent them, and who closed them when.

Customers ask about the history's own invoices (payops answers those), monitoring cuts
rule alarms, people ask for data fixes and configuration changes, and three recurring
problems that fit no known root cause keep coming back (remittance advice copies,
supplier-portal passwords, tax forms), worded differently each time. Pure data: the
invoices to write about are handed in.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

PEOPLE = ("Priya Raman", "Tomás Ortega", "Grace Okafor", "Jonas Weber")  # the support engineers
RECURRING = ("remittance_copy", "portal_password", "tax_form")
# How a ticket's kind is drawn on a weekday; the portal resets grow after week 3 (a new
# supplier portal went live), which the recurrence report's weekly trend should show.
KIND_WEIGHTS = {"inquiry": 34, "alarm": 9, "data_fix": 14, "config_change": 7, "remittance_copy": 9,
                "portal_password": 6, "tax_form": 7, "one_off": 6}
# (least, most) minutes until a person resolves a ticket of the kind they had to handle.
RESOLVE_MINUTES = {"alarm": (25, 120), "data_fix": (120, 480), "config_change": (600, 2880),
                   "remittance_copy": (40, 240), "portal_password": (15, 90), "tax_form": (60, 360),
                   "one_off": (10, 120), "inquiry": (60, 300)}


@dataclass(frozen=True)
class Known:
    """A stored history invoice a ticket may be about."""

    number: str
    client_id: str
    vendor_id: str
    vendor_name: str
    status: str
    rules: tuple[str, ...]  # rules that stopped it (block or hold)
    po_number: str
    ingested_at: datetime


@dataclass(frozen=True)
class PlannedTicket:
    at: datetime
    kind: str
    title: str
    body: str
    reporter: str
    origin: str  # ask, alarm, ticket
    resolver: str
    resolve_after: timedelta
    resolution: str


def ticket_days(days: list[date], rng: random.Random) -> list[tuple[date, int]]:
    """How many tickets each day: 8-15 on weekdays, 0-3 on weekends."""
    return [(d, rng.randint(8, 15) if d.weekday() < 5 else rng.randint(0, 3)) for d in days]


def plan_tickets(rng: random.Random, days: list[date], invoices: list[Known], *, until: datetime,
                 avoid_client: str) -> list[PlannedTicket]:
    """The history's tickets, oldest first, none at or after `until`."""
    pool = sorted((k for k in invoices if k.client_id != avoid_client), key=lambda k: k.ingested_at)
    arrivals = [k.ingested_at for k in pool]
    first = days[0]
    planned: list[PlannedTicket] = []
    for day, count in ticket_days(days, rng):
        week = (day - first).days // 7
        weights = dict(KIND_WEIGHTS)
        weights["portal_password"] = weights["portal_password"] * (1 if week < 3 else 2 + week // 2)
        for _ in range(count):
            start, span = (7, 11) if day.weekday() < 5 else (9, 6)
            at = datetime.combine(day, time(start), tzinfo=UTC) + timedelta(seconds=rng.randint(0, span * 3600))
            if at >= until:
                continue
            kind = rng.choices(list(weights), weights=list(weights.values()))[0]
            recent = pool[bisect_left(arrivals, at - timedelta(days=12)):bisect_right(arrivals, at - timedelta(minutes=30))]
            made = _make(rng, kind, at, recent)
            if made is not None:
                planned.append(made)
    planned.sort(key=lambda p: p.at)
    return planned


def _make(rng: random.Random, kind: str, at: datetime, recent: list[Known]) -> PlannedTicket | None:
    low, high = RESOLVE_MINUTES[kind]
    after = timedelta(minutes=rng.randint(low, high))
    person = rng.choice(PEOPLE)
    if kind == "inquiry":
        return _inquiry(rng, at, recent, person, after)
    if kind == "alarm":
        return _alarm(rng, at, recent, person, after)
    if kind == "data_fix":
        return _data_fix(rng, at, recent, person, after)
    texts = {"config_change": CONFIG_CHANGES, "remittance_copy": REMITTANCE, "portal_password": PORTAL,
             "tax_form": TAX_FORMS, "one_off": ONE_OFFS}[kind]
    title, body, note = rng.choice(texts)
    known = rng.choice(recent) if recent else None
    fields = {"vendor": known.vendor_name if known else "our vendor", "vid": known.vendor_id if known else "",
              "client": known.client_id if known else "C001", "day": f"{at - timedelta(days=rng.randint(3, 9)):%d %b}"}
    reporter = f"client:{fields['client']}" if kind in RECURRING else f"{person.split()[0]} ({_team(rng)})"
    if kind in RECURRING or kind == "config_change":
        reporter = rng.choice((reporter, f"{_first_name(rng)} (AP, {fields['client']})"))
    return PlannedTicket(at, kind, title.format(**fields), body.format(**fields), reporter,
                         "ticket", person, after, note)


def _inquiry(rng: random.Random, at: datetime, recent: list[Known], person: str,
             after: timedelta) -> PlannedTicket | None:
    wanted = rng.choices(("REJECTED", "ON_HOLD", "VALIDATED"), weights=(45, 20, 35))[0]
    fits = [k for k in recent if k.status == wanted] or recent
    if not fits:
        return None
    k = rng.choice(fits)
    title, body = rng.choice(INQUIRIES)
    fields = {"n": k.number, "vendor": k.vendor_name}
    return PlannedTicket(at, "inquiry", title.format(**fields), body.format(**fields), f"client:{k.client_id}",
                         "ask", person, after, "answered the customer by hand")


def _alarm(rng: random.Random, at: datetime, recent: list[Known], person: str,
           after: timedelta) -> PlannedTicket | None:
    failing = [(k, rule) for k in recent for rule in k.rules if rule in ALARM_RULES]
    if not failing:
        return None
    k, rule = rng.choice(failing)
    count = sum(1 for o in recent if o.client_id == k.client_id and rule in o.rules) + rng.randint(3, 30)
    name = f"{rule.lower().replace('-', '')}-{ALARM_RULES[rule]}-{k.client_id}"
    stamp = f"{at:%A %d %B, %Y %H:%M:%S} UTC"
    body = (f'You are receiving this email because your Amazon CloudWatch Alarm "{name}" in the EU (Ireland) '
            f'region has entered the ALARM state, because "Threshold Crossed: 1 out of the last 1 datapoints '
            f'[{count}.0] was greater than the threshold (10.0)." at "{stamp}".\n\nAlarm Details:\n'
            f"- Name: {name}\n- Description: transitions with rule_id={rule} for client {k.client_id}\n"
            f"- State Change: OK -> ALARM\n- Timestamp: {stamp}\n\nMonitored Metric:\n"
            f"- MetricNamespace: payops/validation\n- Dimensions: [client_id = {k.client_id}] [rule_id = {rule}]\n"
            f"- Sample: invoice {k.number} vendor {k.vendor_id}")
    note = f"looked at the {rule} {ALARM_RULES[rule]}s of {k.client_id}: vendor data issue, vendor management told"
    return PlannedTicket(at, "alarm", f'ALARM: "{name}" in EU (Ireland)', body, "monitoring", "alarm",
                         person, after, note)


def _data_fix(rng: random.Random, at: datetime, recent: list[Known], person: str,
              after: timedelta) -> PlannedTicket | None:
    options = [(k, rule) for k in recent for rule in k.rules if rule in DATA_FIXES]
    if not options:
        return None
    k, rule = rng.choice(options)
    title, body, note = rng.choice(DATA_FIXES[rule])
    fields = {"n": k.number, "vendor": k.vendor_name, "vid": k.vendor_id, "po": k.po_number or "the PO"}
    reporter = f"{_first_name(rng)} ({_team(rng)})"
    return PlannedTicket(at, "data_fix", title.format(**fields), body.format(**fields), reporter, "ticket",
                         person, after, note)


def _first_name(rng: random.Random) -> str:
    return rng.choice(("Maria", "Sam", "Lee", "Aisha", "Chen", "Olga", "Rafael", "Nina", "Kofi", "Hannah"))


def _team(rng: random.Random) -> str:
    return rng.choice(("vendor management", "controllership", "client finance", "AP team", "procurement"))


ALARM_RULES = {"TAX-01": "reject-rate", "BANK-01": "reject-rate", "DUP-02": "hold-rate", "PO-01": "reject-rate",
               "PO-02": "hold-rate", "VM-02": "hold-rate"}

INQUIRIES = (
    ("Invoice {n} not paid", "Hi team, our vendor {vendor} is chasing payment of invoice {n}. "
                             "Why wasn't it paid? Thanks, AP team"),
    ("Status of {n}?", "Can you tell me the status of invoice {n} from {vendor}?"),
    ("When will {n} be paid?", "When will invoice {n} be paid? {vendor} is asking for a date."),
    ("{n} on hold?", "Hello, invoice {n} from {vendor} shows on hold in our report. What is holding it "
                     "and what do we need to do?"),
    ("payment status {n}", "hi, vendor says invoice {n} is overdue, can you check why it is not paid yet"),
)

DATA_FIXES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "DUP-02": (
        ("{n} is not a duplicate", "Hi, invoice {n} from {vendor} is held as a duplicate but it is a separate "
                                   "delivery with the same amount. Please release it.",
         "compared with the candidate: separate delivery, released"),
        ("Release hold on {n}", "Please release invoice {n} ({vendor}); the vendor confirmed it is not a "
                                "resend, two shipments on the same day.", "released after checking the PO lines"),
    ),
    "PO-02": (
        ("Re-match {n} after PO change", "PO {po} was increased by the buyer yesterday. Invoice {n} from "
                                         "{vendor} is on hold for the PO amount, please re-match it.",
         "re-matched after the PO update"),
    ),
    "PO-01": (
        ("PO reopened for {n}", "The buyer reopened the PO for invoice {n} ({vendor}). Can you re-run it "
                                "against the PO?", "PO reopened, invoice re-driven"),
    ),
    "TAX-01": (
        ("Correct tax id for vendor {vid}", "Vendor {vendor} ({vid}) sent their correct VAT number; the one in "
                                            "the master has a typo. Invoice {n} was rejected for it. Please fix.",
         "vendor master corrected by vendor management, invoice resubmitted"),
    ),
    "BANK-01": (
        ("New bank details for {vid}", "{vendor} ({vid}) changed banks. Invoice {n} was rejected because the "
                                       "IBAN is invalid. Signed letter with the new IBAN attached.",
         "new IBAN verified by call-back and updated in the master"),
    ),
}

CONFIG_CHANGES = (
    ("Raise PO tolerance for RETAIL to 3%", "Could we change the PO amount tolerance for RETAIL from 2% to 3%? "
                                            "Freight surcharges keep tripping PO-02.", "change approved by "
                                            "controllership, rolled out with the next rules version"),
    ("Onboard new feed for {client}", "{client} is moving to a new ERP and will send a JSON Lines feed from "
                                      "next month. Please set up the mapping.", "mapping added and tested"),
    ("Add Swiss VAT rule", "We start paying Swiss vendors next quarter. Please add the CH VAT checks to the "
                           "rule pack.", "rule pack change scheduled"),
    ("Change cut-off for EOM terms", "Finance asks to move the EOM payment cut-off from the last calendar day "
                                     "to the last business day.", "terms config updated"),
)

REMITTANCE = (
    ("Remittance advice copy for {vendor}", "Hello, {vendor} asks for a copy of the remittance advice for "
                                            "last week's payment. Can you send it again?",
     "re-sent the remittance advice from the bank portal"),
    ("remittance advice missing", "Hi, our supplier {vendor} ({vid}) never received the remittance advice "
                                  "for the payment on {day}. Could you forward it?",
     "remittance advice exported and mailed to the vendor"),
    ("Please resend payment advice", "Vendor is asking which invoices the payment on {day} covered. They need "
                                     "the payment advice / remittance to reconcile.",
     "payment advice re-sent"),
    ("Copy of remittance for {vid}", "Could someone send {vendor} a copy of their remittance? Their AR team "
                                     "cannot match our payment.", "remittance re-sent"),
)

PORTAL = (
    ("Cannot log in to supplier portal", "{vendor} says their user is locked out of the supplier portal "
                                         "after the upgrade. Can you reset the password?",
     "portal password reset, user unlocked"),
    ("Supplier portal password reset", "Hi, please reset the supplier portal password for {vendor} ({vid}); "
                                       "the reset e-mail never arrives.", "reset by hand in the portal admin"),
    ("locked out of vendor portal", "Our contact at {vendor} tried three times and is now locked out of the "
                                    "vendor portal. They need access to upload invoices today.",
     "account unlocked, MFA re-enrolled"),
    ("Portal login not working", "Vendor {vid} reports the portal login page says 'invalid credentials' since "
                                 "{day}. Password reset please.", "password reset"),
)

TAX_FORMS = (
    ("W-9 request from {vendor}", "{vendor} asks for our W-9 so they can set us up. Who can send it?",
     "sent the current W-9"),
    ("Need current W-9 on file", "Please send a current W-9 for vendor {vid}; ours on file is from 2022 and "
                                 "the tax team flagged it.", "requested and filed the new W-9"),
    ("Which tax form for foreign vendor", "{vendor} is asking whether they should submit a W-8BEN-E or a W-9. "
                                          "Can you advise?", "told them W-8BEN-E, form received"),
    ("tax form request", "Hi, vendor {vid} wants a copy of the tax form we hold for them for their audit.",
     "tax form copy sent"),
)

ONE_OFFS = (
    ("Thanks!", "Thanks for sorting this out so quickly, much appreciated.", "nothing to do"),
    ("Access to payops dashboard", "Please give our new analyst access to the payops dashboard.",
     "access granted"),
    ("Holiday payment calendar", "Is there a payment run on the public holiday next week?",
     "answered: runs the day before"),
    ("Out of office", "I am out of the office until Monday with limited access to e-mail.", "closed"),
)

"""EN 16931 VAT category rules for UBL documents: BR-S, BR-Z, BR-E, BR-AE, BR-IC, BR-G, BR-O,
BR-AF (IGIC) and BR-AG (IPSI).

Each rule is the Python reading of the XPath test of the same id in the CEN schematron
(CEN-EN16931-UBL.sch, validation 1.3.16), with its context: the document level rules (-01 to
-04, BR-IC-11/12, BR-O-11 to -14) run once per Invoice or CreditNote; -05 once per invoiced
item VAT category of a line; -06 and -07 once per VAT category of an allowance or a charge;
-08 to -10 once per VAT breakdown (/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory) of the
family's category. So a rule firing on three lines gives three findings, as the validator does.

The tests differ from family to family, and those differences are kept: e.g. BR-S-01 counts
categories whatever their tax scheme while BR-Z-01 only counts VAT ones and wants exactly one
breakdown; BR-S-08, BR-AF-08 and BR-AG-08 compare per rate within 1.00 where BR-Z-08 and the
others want equality; BR-G-02 wants a seller VAT identifier (VAT scheme) where BR-E-02 takes any
seller tax registration. What every rule reads is collected once per document by
payables.rules.packs._vat_breakdown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import NS
from payables.rules.base import Check, Problem, RuleContext, RulePack, Severity
from payables.rules.packs._vat_breakdown import (
    AllowanceCharge,
    Breakdown,
    Category,
    Line,
    VatFacts,
    untyped_number,
    vat_facts,
)
from payables.rules.packs.en16931_totals import xpath_round2

PACK = RulePack(
    "en16931-vat",
    "1.3.16",
    source="EN16931",
    description="EN 16931 VAT category rules (BR-S, -Z, -E, -AE, -IC, -G, -O, -AF, -AG) for UBL "
    "invoices and credit notes",
)

# VAT category code (UNCL5305) -> (rule family, name in the standard)
CATEGORIES: dict[str, tuple[str, str]] = {
    "S": ("BR-S", "Standard rated"),
    "Z": ("BR-Z", "Zero rated"),
    "E": ("BR-E", "Exempt from VAT"),
    "AE": ("BR-AE", "Reverse charge"),
    "K": ("BR-IC", "Intra-community supply"),
    "G": ("BR-G", "Export outside the EU"),
    "O": ("BR-O", "Not subject to VAT"),
    "L": ("BR-AF", "IGIC (Canary Islands)"),
    "M": ("BR-AG", "IPSI (Ceuta and Melilla)"),
}
_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_CORRECTED = "Ask the vendor for a corrected invoice; it cannot be paid as sent."

DocCheck = Callable[[VatFacts], Problem | None]
EachCheck = Callable[[VatFacts], Iterator[Problem]]


def _name(code: str) -> str:
    return f'{code} ("{CATEGORIES[code][1]}")'


def _amount(value: Decimal | None, currency: str) -> str:
    if value is None:
        return "nothing"
    return f"{value} {currency}".strip()


# VAT category code -> (rule id, check, whether the check also takes the invoice) of the rules
# that only run on documents stating that category (every rule of this pack): filled in by
# _register / _register_doc, read by all_findings.
_BY_CODE: dict[str, list[tuple[str, Callable[..., Problem | Iterator[Problem] | None], bool]]] = {}


def all_findings(inv: CanonicalInvoice, ctx: RuleContext) -> dict[str, tuple[Problem, ...]]:
    """Every rule of the pack at once (the rule set's group call): the document's VAT facts are
    read once, and only the families of the categories the document states are run (each rule
    returns nothing on a document without its category, as its own check does)."""
    doc = inv.ubl
    if doc is None:
        return {}
    facts = vat_facts(doc)
    found: dict[str, tuple[Problem, ...]] = {}
    for code in facts.codes:
        for rule_id, check, with_invoice in _BY_CODE.get(code, ()):
            result = check(facts, inv) if with_invoice else check(facts)
            if result is None:
                continue
            problems = (result,) if isinstance(result, Problem) else tuple(result)
            if problems:
                found[rule_id] = problems
    return found


def _register(
    rule_id: str, code: str, check: Callable[[VatFacts], Problem | Iterator[Problem] | None]
) -> None:
    """Register `check` as rule `rule_id`; it only runs on documents that state VAT category `code`."""

    def run(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | Iterator[Problem] | None:
        doc = inv.ubl
        if doc is None:
            return None
        facts = vat_facts(doc)
        if code not in facts.codes:
            return None
        return check(facts)

    run.__name__ = run.__qualname__ = "check_" + rule_id.replace("-", "_").lower()
    run.__doc__ = TITLES[rule_id]
    rule_check: Check = run
    _BY_CODE.setdefault(code, []).append((rule_id, check, False))
    PACK.rule(rule_id, Severity.BLOCK, TITLES[rule_id], ubl_only=True, group=all_findings)(
        rule_check
    )


# -- -01: a category used on lines, allowances or charges has its VAT breakdown ---------------


def _uses(facts: VatFacts, code: str) -> list[str]:
    """Where the document uses `code` (VAT scheme), for the messages."""
    found = [
        line.describe()
        for line in facts.lines
        for c in line.categories
        if c.vat and code in c.codes
    ]
    found += [
        ac.describe(True in ac.indicators)
        for ac in facts.allowance_charges
        for c in ac.categories
        if c.vat and code in c.codes
    ]
    return found


def _subject(uses: list[str]) -> str:
    """'invoice line 1 (line 20) is', 'invoice line 1 (line 20), ... are', or a fallback."""
    if not uses:  # a category outside lines, allowances and charges
        return "a VAT category element of the document is"
    return f"{_listing(uses)} {'is' if len(uses) == 1 else 'are'}"


def _listing(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _presence_exactly_one(code: str) -> DocCheck:
    """BR-Z/E/AE/IC/G/O-01: //TaxCategory or //ClassifiedTaxCategory (VAT) in `code` -> exactly one breakdown."""

    def check(facts: VatFacts) -> Problem | None:
        used = any(c.vat and code in c.codes for c in facts.tax_categories) or any(
            c.vat and code in c.codes for c in facts.classified
        )
        if not used:
            return None
        # count(.../TaxCategory[VAT]/cbc:ID[normalize-space(.) = code]): the IDs, not the categories
        count = sum(b.category.codes.count(code) for b in facts.breakdowns if b.category.vat)
        if count == 1:
            return None
        uses = _uses(facts, code)
        if count == 0:
            return Problem(
                f"{_subject(uses)} in VAT category {_name(code)}, "
                f"but the VAT breakdown (TaxTotal/TaxSubtotal) has no category {code}",
                f"Ask the vendor for a corrected invoice with one VAT breakdown for category {code}.",
            )
        where = ", ".join(
            str(b.subtotal_line) for b in facts.breakdowns if code in b.category.codes
        )
        return Problem(
            f"the document has {count} VAT breakdowns for category {_name(code)} (TaxSubtotal at "
            f"lines {where}); there must be exactly one",
            f"Ask the vendor for a corrected invoice with a single VAT breakdown for category {code}.",
        )

    return check


def _presence_standard(facts: VatFacts) -> Problem | None:
    """BR-S-01: counts //AllowanceCharge/TaxCategory and //ClassifiedTaxCategory 'S' (any scheme)."""
    used = sum(1 for ac in facts.allowance_charges for c in ac.categories if c.code == "S") + sum(
        1 for c in facts.classified if c.code == "S"
    )
    in_breakdown = sum(1 for b in facts.breakdowns if b.category.code == "S")
    if (used > 0) == (in_breakdown > 0):
        return None
    if used:
        uses = [line.describe() for line in facts.lines for c in line.categories if c.code == "S"]
        uses += [
            ac.describe(True in ac.indicators)
            for ac in facts.allowance_charges
            for c in ac.categories
            if c.code == "S"
        ]
        return Problem(
            f"{_subject(uses)} in VAT category {_name('S')}, but "
            "the VAT breakdown (TaxTotal/TaxSubtotal) has no category S",
            "Ask the vendor for a corrected invoice with a VAT breakdown for each standard rate used.",
        )
    where = ", ".join(b.describe() for b in facts.breakdowns if b.category.code == "S")
    return Problem(
        f"{where} is for category {_name('S')}, but no invoice line, allowance or charge is in "
        "category S",
        "Ask the vendor for a corrected invoice whose VAT breakdown only has the categories of its "
        "lines, allowances and charges.",
    )


def _presence_canary(code: str) -> DocCheck:
    """BR-AF-01 (L) / BR-AG-01 (M): count-based, with the unnormalized `cbc:ID = 'L'` of the test."""

    def check(facts: VatFacts) -> Problem | None:
        used = sum(
            1 for ac in facts.allowance_charges for c in ac.categories if c.vat and c.code == code
        ) + sum(1 for c in facts.classified if c.vat and c.code == code)
        # first branch: TaxCategory[cbc:ID = 'L'] (BR-AF-01, any scheme) / [cbc:ID = 'M'][VAT] (BR-AG-01)
        raw = sum(
            1
            for b in facts.breakdowns
            if code in b.category.raw_ids and (code == "L" or b.category.vat)
        )
        normal = sum(1 for b in facts.breakdowns if b.category.vat and b.category.code == code)
        if (used > 0 and raw > 0) or (used == 0 and normal == 0):
            return None
        if used:
            uses = _uses(facts, code)
            return Problem(
                f"{_subject(uses)} in VAT category {_name(code)}, "
                f"but the VAT breakdown (TaxTotal/TaxSubtotal) has no category {code}",
                f"Ask the vendor for a corrected invoice with a VAT breakdown for category {code}.",
            )
        where = ", ".join(b.describe() for b in facts.breakdowns if b.category.code == code)
        return Problem(
            f"{where} is for category {_name(code)}, but no invoice line, allowance or charge is in "
            f"category {code}",
            "Ask the vendor for a corrected invoice whose VAT breakdown only has the categories of "
            "its lines, allowances and charges.",
        )

    return check


# -- -02 to -04: the VAT identifiers a category requires (or, for O, forbids) -----------------

_SELLER_ANY = "a seller VAT identifier or tax registration identifier (AccountingSupplierParty/Party/PartyTaxScheme/CompanyID, BT-31/BT-32)"
_SELLER_VAT = "a seller VAT identifier (AccountingSupplierParty/Party/PartyTaxScheme/CompanyID with tax scheme VAT, BT-31)"
_REP = (
    "a tax representative VAT identifier (TaxRepresentativeParty/PartyTaxScheme/CompanyID, BT-63)"
)
_BUYER_VAT = "a buyer VAT identifier (AccountingCustomerParty/Party/PartyTaxScheme/CompanyID with tax scheme VAT, BT-48)"
_BUYER_LEGAL = "a buyer legal registration identifier (AccountingCustomerParty/Party/PartyLegalEntity/CompanyID, BT-47)"


def _missing_ids(code: str, facts: VatFacts) -> list[str] | None:
    """What the family requires that the document lacks (None: nothing lacks)."""
    missing = []
    if code in ("S", "Z", "E", "AE", "L", "M"):
        if not (facts.seller_company_id or facts.tax_representative_vat_id):
            missing.append(f"{_SELLER_ANY} or {_REP}")
    elif code in ("K", "G") and not (facts.seller_vat_id or facts.tax_representative_vat_id):
        missing.append(f"{_SELLER_VAT} or {_REP}")
    if code == "AE" and not (facts.buyer_vat_id or facts.buyer_legal_id):
        missing.append(f"{_BUYER_VAT} or {_BUYER_LEGAL}")
    if code == "K" and not facts.buyer_vat_id:
        missing.append(_BUYER_VAT)
    return missing or None


def _forbidden_ids(facts: VatFacts) -> list[str] | None:
    present = []
    if facts.seller_vat_id:
        present.append(_SELLER_VAT)
    if facts.tax_representative_vat_id:
        present.append(_REP)
    if facts.buyer_vat_id:
        present.append(_BUYER_VAT)
    return present or None


def _party_rule(code: str, where: str) -> DocCheck:
    """-02 (where='line'), -03 ('allowance'), -04 ('charge')."""

    def used(facts: VatFacts, strict_code: bool = True) -> list[Line | AllowanceCharge]:
        if where == "line":
            return [
                line
                for line in facts.lines
                for c in line.categories
                if c.code == code and (c.vat or (code == "S" and not strict_code))
            ]
        charge = where == "charge"
        return [
            ac
            for ac in facts.allowance_charges
            if charge in ac.indicators and (ac.document_level or code != "O")
            for c in ac.categories
            if c.vat and (code in c.raw_ids if (code, where) == ("L", "charge") else c.code == code)
        ]

    def described(items: list[Line | AllowanceCharge]) -> list[str]:
        return [
            i.describe() if isinstance(i, Line) else i.describe(where == "charge") for i in items
        ]

    def check(facts: VatFacts) -> Problem | None:
        if code == "S" and where == "line":
            # BR-S-02: fires on any ClassifiedTaxCategory 'S'; passes only with a VAT one and the ids
            anywhere = used(facts, strict_code=False)
            if not anywhere:
                return None
            if used(facts) and _missing_ids(code, facts) is None:
                return None
            uses = described(anywhere)
            lacking = _missing_ids(code, facts) or [
                "an invoiced item VAT category S with tax scheme VAT"
            ]
        else:
            found = used(facts)
            if not found:
                return None
            if code == "O":
                present = _forbidden_ids(facts)
                if present is None:
                    return None
                uses = described(found)
                return Problem(
                    f"{_subject(uses)} in VAT category "
                    f"{_name('O')}, yet the document has {' and '.join(present)}",
                    "Ask the vendor which is right: a supply not subject to VAT carries no VAT "
                    "identifiers, otherwise the VAT category is wrong. Either way, a corrected "
                    "invoice is needed.",
                )
            lacking = _missing_ids(code, facts) or []
            if not lacking:
                return None
            uses = described(found)
        return Problem(
            f"{_subject(uses)} in VAT category {_name(code)}, "
            f"but the document lacks {' and '.join(lacking)}",
            "Ask the vendor for a corrected invoice that states the missing VAT identifier.",
        )

    return check


# -- -05 to -07: the rate of a line, allowance or charge in the category -----------------------


def _rate_ok(code: str, cat: Category) -> bool:
    if code == "O":
        return not cat.has_percent  # not(cbc:Percent)
    if code in ("S", "L", "M"):  # (cbc:Percent) > 0 / >= 0, untyped compared as a number
        values = [untyped_number(p) for p in cat.percents]
        if code == "S":
            return any(v is not None and v > 0 for v in values)
        return any(v is not None and v >= 0 for v in values)
    return cat.percent is not None and cat.percent == 0  # xs:decimal(cbc:Percent) = 0


def _rate_wanted(code: str) -> str:
    if code == "O":
        return "must not have a VAT rate (cbc:Percent)"
    if code == "S":
        return "must have a VAT rate (cbc:Percent) greater than zero"
    if code in ("L", "M"):
        return "must have a VAT rate (cbc:Percent) of zero or more"
    return "must have a VAT rate (cbc:Percent) of 0"


def _rate_stated(cat: Category) -> str:
    if not cat.has_percent:
        return "states no rate"
    return f"states {cat.percent_text() or 'an empty rate'}" + (" %" if cat.percent_text() else "")


def _rate_rule(code: str, where: str) -> EachCheck:
    def check(facts: VatFacts) -> Iterator[Problem]:
        items: list[tuple[Line | AllowanceCharge, Category]]
        charge = where == "charge"
        if where == "line":
            items = [
                (line, c)
                for line in facts.lines
                for c in line.categories
                if c.vat and c.code == code
            ]
        else:
            items = [
                (ac, c)
                for ac in facts.allowance_charges
                if charge in ac.indicators
                for c in ac.categories
                if c.vat and c.code == code
            ]
        tag = "ClassifiedTaxCategory" if where == "line" else "TaxCategory"
        for owner, cat in items:
            if _rate_ok(code, cat):
                continue
            what = owner.describe() if isinstance(owner, Line) else owner.describe(charge)
            yield Problem(
                f"{what} is in VAT category {_name(code)} and its {tag} {_rate_stated(cat)}"
                + (f" (line {cat.line})" if cat.line != owner.line else "")
                + f"; an item in category {code} {_rate_wanted(code)}",
                "Ask the vendor for a corrected invoice with the right VAT category and rate on "
                "that item.",
            )

    return check


# -- -08 to -10: the VAT breakdown of the category ---------------------------------------------


def _breakdowns(facts: VatFacts, code: str) -> list[Breakdown]:
    return [b for b in facts.breakdowns if b.category.vat and b.category.code == code]


def _base(facts: VatFacts, code: str, credit_note: bool, rate: Decimal | None = None) -> Decimal:
    """Σ lines + Σ charges - Σ allowances in `code` (at `rate`), as the -08 tests add them up."""
    total = _ZERO
    for line in facts.lines:
        if not line.top_level or line.credit_note != credit_note or line.amount is None:
            continue
        if _in(line.categories, code, rate):
            total += line.amount
    for ac in facts.allowance_charges:
        if not ac.document_level or ac.amount is None or not _in(ac.categories, code, rate):
            continue
        if True in ac.indicators:
            total += ac.amount
        if False in ac.indicators:
            total -= ac.amount
    return total


def _in(cats: tuple[Category, ...], code: str, rate: Decimal | None) -> bool:
    # [.../normalize-space(cbc:ID)=code][.../xs:decimal(cbc:Percent) = $rate]: two separate predicates
    return any(c.code == code for c in cats) and (
        rate is None or any(c.percent is not None and c.percent == rate for c in cats)
    )


def _base_message(b: Breakdown, code: str, expected: list[Decimal], within: bool, cur: str) -> str:
    rate = f" at {b.category.percent_text()} %" if within else ""
    sums = " or ".join(_amount(e, cur) for e in dict.fromkeys(expected))
    return (
        f"{b.describe()} has a taxable amount (BT-116) of {_amount(b.taxable, cur)}, but the "
        f"invoice lines, charges and allowances in category {code}{rate} come to {sums}"
        + (" (the two may differ by less than 1.00)" if within else "")
    )


def _taxable_exact(code: str) -> EachCheck:
    """BR-Z/E/AE/IC/G/O-08: TaxableAmount = Σ lines + Σ charges - Σ allowances in the category."""

    def check(facts: VatFacts) -> Iterator[Problem]:
        for b in _breakdowns(facts, code):
            cur = b.currency or facts.currency
            branches = []
            if facts.has_invoice_lines:
                branches.append(_base(facts, code, credit_note=False))
            if facts.has_credit_note_lines:
                branches.append(_base(facts, code, credit_note=True))
            if b.taxable is not None and any(b.taxable == e for e in branches):
                continue
            if not branches:
                message = f"{b.describe()} cannot be checked: the document has no invoice lines"
            else:
                message = _base_message(b, code, branches, False, cur)
            yield Problem(message, _CORRECTED)

    return check


def _taxable_per_rate(code: str) -> EachCheck:
    """BR-S/AF/AG-08: per rate, TaxableAmount within 1 of Σ lines + Σ charges - Σ allowances."""

    def check(facts: VatFacts) -> Iterator[Problem]:
        for b in _breakdowns(facts, code):
            rate = b.category.percent
            if rate is None:
                continue  # every $rate in (): nothing to check
            cur = b.currency or facts.currency
            branches: list[tuple[bool, bool]] = []
            if code == "S":  # exists(//InvoiceLine[S][rate]) or exists(//AllowanceCharge[S][rate])
                ac_used = any(_in(ac.categories, code, rate) for ac in facts.allowance_charges)
                branches = [
                    (
                        cn,
                        ac_used
                        or any(
                            line.credit_note == cn and _in(line.categories, code, rate)
                            for line in facts.lines
                        ),
                    )
                    for cn in (False, True)
                ]
            else:  # exists(//InvoiceLine) / exists(//CreditNoteLine)
                branches = [(False, facts.has_invoice_lines), (True, facts.has_credit_note_lines)]
            expected = [_base(facts, code, cn, rate) for cn, live in branches if live]
            taxable = b.taxable
            if taxable is not None and any(taxable - _ONE < e < taxable + _ONE for e in expected):
                continue
            if not expected:
                what = (
                    f"no invoice line, allowance or charge is in category {code} at "
                    f"{b.category.percent_text()} %"
                    if code == "S"
                    else "the document has no invoice lines"
                )
                message = f"{b.describe()} has no counterpart: {what}"
            else:
                message = _base_message(b, code, expected, True, cur)
            yield Problem(message, _CORRECTED)

    return check


def _tax_zero(code: str) -> EachCheck:
    """-09 for Z/E/AE/K/G/O: xs:decimal(../cbc:TaxAmount) = 0."""

    def check(facts: VatFacts) -> Iterator[Problem]:
        for b in _breakdowns(facts, code):
            if b.tax is not None and b.tax == 0:
                continue
            stated = (
                "has no readable VAT amount (TaxAmount, BT-117)"
                if b.tax is None
                else (
                    f"has a VAT amount (BT-117) of {_amount(b.tax, b.currency or facts.currency)}"
                )
            )
            yield Problem(
                f"{b.describe()} {stated}; in category {_name(code)} the VAT amount must be 0",
                _CORRECTED,
            )

    return check


def _tax_computed(code: str) -> EachCheck:
    """-09 for S/L/M: |TaxAmount| within 1 of round(|TaxableAmount| × Percent / 100, 2)."""

    def check(facts: VatFacts) -> Iterator[Problem]:
        for b in _breakdowns(facts, code):
            rate, taxable, tax = b.category.percent, b.taxable, b.tax
            cur = b.currency or facts.currency
            if rate is not None and taxable is not None and tax is not None:
                expected = xpath_round2(abs(taxable) * (rate / _HUNDRED))
                if abs(tax) - _ONE < expected < abs(tax) + _ONE:
                    continue
                message = (
                    f"{b.describe()} has a VAT amount (BT-117) of {_amount(tax, cur)}, but "
                    f"{b.category.percent_text()} % of the taxable amount {_amount(taxable, cur)} is "
                    f"{_amount(expected, cur)} (the two may differ by less than 1.00)"
                )
            else:
                missing = [
                    name
                    for name, value in (
                        ("VAT rate (Percent, BT-119)", rate),
                        ("taxable amount (TaxableAmount, BT-116)", taxable),
                        ("VAT amount (TaxAmount, BT-117)", tax),
                    )
                    if value is None
                ]
                message = f"{b.describe()} cannot be checked: it has no readable {' and no '.join(missing)}"
            yield Problem(message, _CORRECTED)

    return check


def _exemption(code: str, required: bool) -> EachCheck:
    def check(facts: VatFacts) -> Iterator[Problem]:
        for b in _breakdowns(facts, code):
            if b.category.has_exemption_reason == required:
                continue
            if required:
                yield Problem(
                    f"{b.describe()} has no VAT exemption reason (TaxExemptionReason, BT-120, or "
                    f"TaxExemptionReasonCode, BT-121); category {_name(code)} must say why no VAT is "
                    "charged",
                    "Ask the vendor for a corrected invoice that gives the exemption reason text or "
                    "code for this VAT breakdown.",
                )
            else:
                yield Problem(
                    f"{b.describe()} has a VAT exemption reason (TaxExemptionReason or "
                    f"TaxExemptionReasonCode), which category {_name(code)} must not have "
                    f"(line {b.category.line})",
                    "Ask the vendor which is right: VAT is charged (drop the exemption reason) or it is "
                    "not (then the VAT category is wrong). A corrected invoice is needed.",
                )

    return check


# -- BR-IC-11/12 and BR-O-11 to -14 ------------------------------------------------------------


def _ic_delivery(date_or_period: bool) -> Callable[[VatFacts, CanonicalInvoice], Problem | None]:
    def check(facts: VatFacts, inv: CanonicalInvoice) -> Problem | None:
        ic = _breakdowns(facts, "K")
        if not ic:
            return None
        root = inv.ubl.root if inv.ubl is not None else None
        if root is None:
            return None
        where = ic[0].describe()
        if date_or_period:
            node = root.find("cac:Delivery/cbc:ActualDeliveryDate", NS)
            if (node is not None and len("".join(node.itertext())) > 1) or any(
                isinstance(child.tag, str)
                for period in root.iterfind("cac:InvoicePeriod", NS)
                for child in period
            ):
                return None
            return Problem(
                f"{where} is for category {_name('K')}, but the document has neither an actual "
                "delivery date (Delivery/ActualDeliveryDate, BT-72) nor an invoicing period "
                "(InvoicePeriod, BG-14)",
                "Ask the vendor for a corrected invoice that states when the goods were delivered or "
                "the services rendered.",
            )
        node = root.find(
            "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode", NS
        )
        if node is not None and len("".join(node.itertext())) > 1:
            return None
        return Problem(
            f"{where} is for category {_name('K')}, but the document has no deliver-to country "
            "code (Delivery/DeliveryLocation/Address/Country/IdentificationCode, BT-80)",
            "Ask the vendor for a corrected invoice that states the country the goods were "
            "delivered to.",
        )

    return check


def _only_o(which: str) -> DocCheck:
    """BR-O-11 (breakdowns), -12 (line items), -13 (allowances), -14 (charges)."""

    def check(facts: VatFacts) -> Problem | None:
        o = _breakdowns(facts, "O")
        if not o:
            return None
        others: list[str]
        if which == "breakdown":
            others = [
                b.describe() for b in facts.breakdowns if b.category.vat and b.category.code != "O"
            ]
            kind = "VAT breakdowns"
        elif which == "line":
            by_node = {id(c.node): line for line in facts.lines for c in line.categories}
            others = []
            for c in facts.classified:
                if c.vat and c.code != "O":
                    line = by_node.get(id(c.node))
                    where = line.describe() if line else f"an item VAT category (line {c.line})"
                    others.append(f"{where} in category {c.code or '(none)'}")
            kind = "invoice lines"
        else:
            charge = which == "charge"
            others = [
                f"{ac.describe(charge)} in category {c.code or '(none)'}"
                for ac in facts.allowance_charges
                if charge in ac.indicators
                for c in ac.categories
                if c.vat and c.code != "O"
            ]
            kind = "document level charges" if charge else "document level allowances"
        if not others:
            return None
        return Problem(
            f"{o[0].describe()} is for category {_name('O')}, so the invoice may have no {kind} in "
            f"another VAT category, but it has {_listing(others)}",
            "Ask the vendor for a corrected invoice: a supply not subject to VAT cannot be mixed "
            "with other VAT categories on one invoice.",
        )

    return check


def _register_all() -> None:
    for code, (family, _) in CATEGORIES.items():
        if code == "S":
            _register("BR-S-01", code, _presence_standard)
        elif code in ("L", "M"):
            _register(f"{family}-01", code, _presence_canary(code))
        else:
            _register(f"{family}-01", code, _presence_exactly_one(code))
        for number, where in ((2, "line"), (3, "allowance"), (4, "charge")):
            _register(f"{family}-0{number}", code, _party_rule(code, where))
        for number, where in ((5, "line"), (6, "allowance"), (7, "charge")):
            _register(f"{family}-0{number}", code, _rate_rule(code, where))
        per_rate = code in ("S", "L", "M")
        _register(
            f"{family}-08", code, _taxable_per_rate(code) if per_rate else _taxable_exact(code)
        )
        _register(f"{family}-09", code, _tax_computed(code) if per_rate else _tax_zero(code))
        _register(
            f"{family}-10", code, _exemption(code, required=code in ("E", "AE", "K", "G", "O"))
        )
        if code == "K":
            for number, flag in ((11, True), (12, False)):
                ic = _ic_delivery(flag)
                _register_doc(f"BR-IC-{number}", code, ic)
        if code == "O":
            for number, which in (
                (11, "breakdown"),
                (12, "line"),
                (13, "allowance"),
                (14, "charge"),
            ):
                _register(f"BR-O-{number}", code, _only_o(which))


def _register_doc(
    rule_id: str, code: str, check: Callable[[VatFacts, CanonicalInvoice], Problem | None]
) -> None:
    def run(inv: CanonicalInvoice, ctx: RuleContext) -> Problem | None:
        doc = inv.ubl
        if doc is None:
            return None
        facts = vat_facts(doc)
        if code not in facts.codes:
            return None
        return check(facts, inv)

    run.__name__ = run.__qualname__ = "check_" + rule_id.replace("-", "_").lower()
    run.__doc__ = TITLES[rule_id]
    _BY_CODE.setdefault(code, []).append((rule_id, check, True))
    PACK.rule(rule_id, Severity.BLOCK, TITLES[rule_id], ubl_only=True, group=all_findings)(run)


TITLES = {
    "BR-AE-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "Reverse charge" shall contain in the VAT Breakdown (BG-23) exactly one VAT category code (BT-118) equal with "VAT reverse charge".',
    "BR-AE-02": 'An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Reverse charge" shall contain the Seller VAT Identifier (BT-31), the Seller Tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48) and/or the Buyer legal registration identifier (BT-47).',
    "BR-AE-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Reverse charge" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48) and/or the Buyer legal registration identifier (BT-47).',
    "BR-AE-04": 'An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Reverse charge" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48) and/or the Buyer legal registration identifier (BT-47).',
    "BR-AE-05": 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Reverse charge" the Invoiced item VAT rate (BT-152) shall be 0 (zero).',
    "BR-AE-06": 'In a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Reverse charge" the Document level allowance VAT rate (BT-96) shall be 0 (zero).',
    "BR-AE-07": 'In a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Reverse charge" the Document level charge VAT rate (BT-103) shall be 0 (zero).',
    "BR-AE-08": 'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Reverse charge" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95, BT-102) are "Reverse charge".',
    "BR-AE-09": 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Reverse charge" shall be 0 (zero).',
    "BR-AE-10": 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "Reverse charge" shall have a VAT exemption reason code (BT-121), meaning "Reverse charge" or the VAT exemption reason text (BT-120) "Reverse charge" (or the equivalent standard text in another language).',
    "BR-AF-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "IGIC" shall contain in the VAT breakdown (BG-23) at least one VAT category code (BT-118) equal with "IGIC".',
    "BR-AF-02": 'An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "IGIC" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-AF-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "IGIC" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-AF-04": 'An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "IGIC" shall contain the Seller VAT Identifier (BT-31), the Seller Tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-AF-05": 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "IGIC" the invoiced item VAT rate (BT-152) shall be 0 (zero) or greater than zero.',
    "BR-AF-06": 'In a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "IGIC" the Document level allowance VAT rate (BT-96) shall be 0 (zero) or greater than zero.',
    "BR-AF-07": 'In a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "IGIC" the Document level charge VAT rate (BT-103) shall be 0 (zero) or greater than zero.',
    "BR-AF-08": 'For each different value of VAT category rate (BT-119) where the VAT category code (BT-118) is "IGIC", the VAT category taxable amount (BT-116) in a VAT breakdown (BG-23) shall equal the sum of Invoice line net amounts (BT-131) plus the sum of document level charge amounts (BT-99) minus the sum of document level allowance amounts (BT-92) where the VAT category code (BT-151, BT-102, BT-95) is "IGIC" and the VAT rate (BT-152, BT-103, BT-96) equals the VAT category rate (BT-119).',
    "BR-AF-09": 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is "IGIC" shall equal the VAT category taxable amount (BT-116) multiplied by the VAT category rate (BT-119).',
    "BR-AF-10": 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "IGIC" shall not have a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).',
    "BR-AG-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "IPSI" shall contain in the VAT breakdown (BG-23) at least one VAT category code (BT-118) equal with "IPSI".',
    "BR-AG-02": 'An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "IPSI" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-AG-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "IPSI" shall contain the Seller VAT Identifier (BT-31), the Seller Tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-AG-04": 'An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "IPSI" shall contain the Seller VAT Identifier (BT-31), the Seller Tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-AG-05": 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "IPSI" the Invoiced item VAT rate (BT-152) shall be 0 (zero) or greater than zero.',
    "BR-AG-06": 'In a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "IPSI" the Document level allowance VAT rate (BT-96) shall be 0 (zero) or greater than zero.',
    "BR-AG-07": 'In a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "IPSI" the Document level charge VAT rate (BT-103) shall be 0 (zero) or greater than zero.',
    "BR-AG-08": 'For each different value of VAT category rate (BT-119) where the VAT category code (BT-118) is "IPSI", the VAT category taxable amount (BT-116) in a VAT breakdown (BG-23) shall equal the sum of Invoice line net amounts (BT-131) plus the sum of document level charge amounts (BT-99) minus the sum of document level allowance amounts (BT-92) where the VAT category code (BT-151, BT-102, BT-95) is "IPSI" and the VAT rate (BT-152, BT-103, BT-96) equals the VAT category rate (BT-119).',
    "BR-AG-09": 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is "IPSI" shall equal the VAT category taxable amount (BT-116) multiplied by the VAT category rate (BT-119).',
    "BR-AG-10": 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "IPSI" shall not have a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).',
    "BR-E-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "Exempt from VAT" shall contain exactly one VAT breakdown (BG-23) with the VAT category code (BT-118) equal to "Exempt from VAT".',
    "BR-E-02": 'An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Exempt from VAT" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-E-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Exempt from VAT" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-E-04": 'An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Exempt from VAT" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-E-05": 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Exempt from VAT", the Invoiced item VAT rate (BT-152) shall be 0 (zero).',
    "BR-E-06": 'In a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Exempt from VAT", the Document level allowance VAT rate (BT-96) shall be 0 (zero).',
    "BR-E-07": 'In a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Exempt from VAT", the Document level charge VAT rate (BT-103) shall be 0 (zero).',
    "BR-E-08": 'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Exempt from VAT" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95, BT-102) are "Exempt from VAT".',
    "BR-E-09": 'The VAT category tax amount (BT-117) In a VAT breakdown (BG-23) where the VAT category code (BT-118) equals "Exempt from VAT" shall equal 0 (zero).',
    "BR-E-10": 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "Exempt from VAT" shall have a VAT exemption reason code (BT-121) or a VAT exemption reason text (BT-120).',
    "BR-G-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "Export outside the EU" shall contain in the VAT breakdown (BG-23) exactly one VAT category code (BT-118) equal with "Export outside the EU".',
    "BR-G-02": 'An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Export outside the EU" shall contain the Seller VAT Identifier (BT-31) or the Seller tax representative VAT identifier (BT-63).',
    "BR-G-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Export outside the EU" shall contain the Seller VAT Identifier (BT-31) or the Seller tax representative VAT identifier (BT-63).',
    "BR-G-04": 'An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Export outside the EU" shall contain the Seller VAT Identifier (BT-31) or the Seller tax representative VAT identifier (BT-63).',
    "BR-G-05": 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Export outside the EU" the Invoiced item VAT rate (BT-152) shall be 0 (zero).',
    "BR-G-06": 'In a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Export outside the EU" the Document level allowance VAT rate (BT-96) shall be 0 (zero).',
    "BR-G-07": 'In a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Export outside the EU" the Document level charge VAT rate (BT-103) shall be 0 (zero).',
    "BR-G-08": 'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Export outside the EU" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95, BT-102) are "Export outside the EU".',
    "BR-G-09": 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Export outside the EU" shall be 0 (zero).',
    "BR-G-10": 'A VAT breakdown (BG-23) with the VAT Category code (BT-118) "Export outside the EU" shall have a VAT exemption reason code (BT-121), meaning "Export outside the EU" or the VAT exemption reason text (BT-120) "Export outside the EU" (or the equivalent standard text in another language).',
    "BR-IC-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "Intra-community supply" shall contain in the VAT breakdown (BG-23) exactly one VAT category code (BT-118) equal with "Intra-community supply".',
    "BR-IC-02": 'An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Intra-community supply" shall contain the Seller VAT Identifier (BT-31) or the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48).',
    "BR-IC-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Intra-community supply" shall contain the Seller VAT Identifier (BT-31) or the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48).',
    "BR-IC-04": 'An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Intra-community supply" shall contain the Seller VAT Identifier (BT-31) or the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48).',
    "BR-IC-05": 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Intracommunity supply" the Invoiced item VAT rate (BT-152) shall be 0 (zero).',
    "BR-IC-06": 'In a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Intra-community supply" the Document level allowance VAT rate (BT-96) shall be 0 (zero).',
    "BR-IC-07": 'In a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Intra-community supply" the Document level charge VAT rate (BT-103) shall be 0 (zero).',
    "BR-IC-08": 'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Intra-community supply" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95, BT-102) are "Intra-community supply".',
    "BR-IC-09": 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Intra-community supply" shall be 0 (zero).',
    "BR-IC-10": 'A VAT breakdown (BG-23) with the VAT Category code (BT-118) "Intra-community supply" shall have a VAT exemption reason code (BT-121), meaning "Intra-community supply" or the VAT exemption reason text (BT-120) "Intra-community supply" (or the equivalent standard text in another language).',
    "BR-IC-11": 'In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Intra-community supply" the Actual delivery date (BT-72) or the Invoicing period (BG-14) shall not be blank.',
    "BR-IC-12": 'In an Invoice with a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Intra-community supply" the Deliver to country code (BT-80) shall not be blank.',
    "BR-O-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "Not subject to VAT" shall contain exactly one VAT breakdown group (BG-23) with the VAT category code (BT-118) equal to "Not subject to VAT".',
    "BR-O-02": 'An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Not subject to VAT" shall not contain the Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) or the Buyer VAT identifier (BT-48).',
    "BR-O-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Not subject to VAT" shall not contain the Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) or the Buyer VAT identifier (BT-48).',
    "BR-O-04": 'An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Not subject to VAT" shall not contain the Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) or the Buyer VAT identifier (BT-48).',
    "BR-O-05": 'An Invoice line (BG-25) where the VAT category code (BT-151) is "Not subject to VAT" shall not contain an Invoiced item VAT rate (BT-152).',
    "BR-O-06": 'A Document level allowance (BG-20) where VAT category code (BT-95) is "Not subject to VAT" shall not contain a Document level allowance VAT rate (BT-96).',
    "BR-O-07": 'A Document level charge (BG-21) where the VAT category code (BT-102) is "Not subject to VAT" shall not contain a Document level charge VAT rate (BT-103).',
    "BR-O-08": 'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is " Not subject to VAT" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95, BT-102) are "Not subject to VAT".',
    "BR-O-09": 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Not subject to VAT" shall be 0 (zero).',
    "BR-O-10": 'A VAT breakdown (BG-23) with VAT Category code (BT-118) " Not subject to VAT" shall have a VAT exemption reason code (BT-121), meaning " Not subject to VAT" or a VAT exemption reason text (BT-120) " Not subject to VAT" (or the equivalent standard text in another language).',
    "BR-O-11": 'An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) "Not subject to VAT" shall not contain other VAT breakdown groups (BG-23).',
    "BR-O-12": 'An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) "Not subject to VAT" shall not contain an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is not "Not subject to VAT".',
    "BR-O-13": 'An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) "Not subject to VAT" shall not contain Document level allowances (BG-20) where Document level allowance VAT category code (BT-95) is not "Not subject to VAT".',
    "BR-O-14": 'An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) "Not subject to VAT" shall not contain Document level charges (BG-21) where Document level charge VAT category code (BT-102) is not "Not subject to VAT".',
    "BR-S-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "Standard rated" shall contain in the VAT breakdown (BG-23) at least one VAT category code (BT-118) equal with "Standard rated".',
    "BR-S-02": 'An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Standard rated" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-S-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Standard rated" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-S-04": 'An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Standard rated" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-S-05": 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Standard rated" the Invoiced item VAT rate (BT-152) shall be greater than zero.',
    "BR-S-06": 'In a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Standard rated" the Document level allowance VAT rate (BT-96) shall be greater than zero.',
    "BR-S-07": 'In a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Standard rated" the Document level charge VAT rate (BT-103) shall be greater than zero.',
    "BR-S-08": 'For each different value of VAT category rate (BT-119) where the VAT category code (BT-118) is "Standard rated", the VAT category taxable amount (BT-116) in a VAT breakdown (BG-23) shall equal the sum of Invoice line net amounts (BT-131) plus the sum of document level charge amounts (BT-99) minus the sum of document level allowance amounts (BT-92) where the VAT category code (BT-151, BT-102, BT-95) is "Standard rated" and the VAT rate (BT-152, BT-103, BT-96) equals the VAT category rate (BT-119).',
    "BR-S-09": 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is "Standard rated" shall equal the VAT category taxable amount (BT-116) multiplied by the VAT category rate (BT-119).',
    "BR-S-10": 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "Standard rate" shall not have a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).',
    "BR-Z-01": 'An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is "Zero rated" shall contain in the VAT breakdown (BG-23) exactly one VAT category code (BT-118) equal with "Zero rated".',
    "BR-Z-02": 'An Invoice that contains an Invoice line where the Invoiced item VAT category code (BT-151) is "Zero rated" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-Z-03": 'An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Zero rated" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-Z-04": 'An Invoice that contains a Document level charge where the Document level charge VAT category code (BT-102) is "Zero rated" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    "BR-Z-05": 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Zero rated" the Invoiced item VAT rate (BT-152) shall be 0 (zero).',
    "BR-Z-06": 'In a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is "Zero rated" the Document level allowance VAT rate (BT-96) shall be 0 (zero).',
    "BR-Z-07": 'In a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is "Zero rated" the Document level charge VAT rate (BT-103) shall be 0 (zero).',
    "BR-Z-08": 'In a VAT breakdown (BG-23) where VAT category code (BT-118) is "Zero rated" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amount (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95, BT-102) are "Zero rated".',
    "BR-Z-09": 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is "Zero rated" shall equal 0 (zero).',
    "BR-Z-10": 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "Zero rated" shall not have a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).',
}

_register_all()

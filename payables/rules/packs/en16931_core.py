"""EN 16931 core business rules for UBL documents: BR-01 to BR-65 and BR-CO-nn (but BR-CO-10..16).

Each rule is the Python reading of the assert of the same id in the CEN schematron for UBL
(EN16931-UBL-model.sch, validation 1.3.16; the copy in PEPPOL BIS 3.0.19, CEN-EN16931-UBL.sch,
has the same rules and contexts, plus BR-CO-25, taken from there, and minus the 'SEPA'
exception of BR-CO-26, which follows 1.3.16). A rule runs once per node of its schematron
rule context and fires once per node that fails; as in schematron, a node is only checked by
the first rule of the pattern whose context it matches (so BR-29 / BR-CO-19 only see invoice
periods that are not under an invoice line, and an AllowanceCharge whose ChargeIndicator
reads both false and true is only an allowance). XPath semantics are kept where they matter:
`normalize-space(x) != ''` (an element of blanks is as good as absent) against `exists(x)`
(an empty element is there), general comparisons over several nodes (true when any node
matches), untyped values compared with numbers as xs:double, xs:date comparisons, xs:decimal
arithmetic (Decimal, never float) and round() halves towards positive infinity. Where the
schematron would stop with an error (a value that is not a number or not a date where it
must be one), the rule fires.

Not here: BR-CO-10..16 (en16931_totals.py), BR-DEC-nn (en16931_decimals.py), BR-66 and
BR-67 (outside BR-01..65), and the ids the UBL schematron has no assert for (BR-34, 35, 39,
40, 58, 59, 60, BR-CO-01, BR-CO-02). BR-CO-05..08 are registered but never fire: their
schematron test is true() (whether a reason code and a reason mean the same cannot be checked).

Speed: the context nodes are collected in one pass over the document (`Index`), every rule
of this module and of en16931_decimals.py is evaluated once per document (`findings`; each
rule's check only looks its result up), results are kept for the last document only (keyed
by the identity of its root, which the cache holds, so nothing leaks to another document),
and each context's XPath tests are precompiled and tried together first (`XTest`,
`node_rule(fast=...)`): only a node on which they are not all true is checked rule by rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import TypeAlias

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.ubl_model import CAC_NS, CBC_NS, CREDIT_NOTE_NS, INVOICE_NS
from payables.rules.base import Problem, RuleContext, RulePack, Severity
from payables.rules.packs.en16931_totals import xpath_round2

PACK = RulePack(
    "en16931-core",
    "1.3.16",
    source="EN16931",
    description="EN 16931 core business rules (BR-01..BR-65, BR-CO-nn) for UBL invoices and credit notes",
)

Element: TypeAlias = etree._Element


def _cac(local: str) -> str:
    return f"{{{CAC_NS}}}{local}"


def _cbc(local: str) -> str:
    return f"{{{CBC_NS}}}{local}"


_TAX_CURRENCY = _cbc("TaxCurrencyCode")
_NS = {"cac": CAC_NS, "cbc": CBC_NS}
INVOICE_ROOT = f"{{{INVOICE_NS}}}Invoice"
CREDIT_NOTE_ROOT = f"{{{CREDIT_NOTE_NS}}}CreditNote"
LINE_TAGS = (_cac("InvoiceLine"), _cac("CreditNoteLine"))
_XML_WS = re.compile(r"[ \t\r\n]+")
_XS_DOUBLE = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|NaN")
_XS_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_XS_DATE = re.compile(r"(-?\d{4,})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?")
_HALF = Decimal("0.5")

# --- XPath helpers -----------------------------------------------------------------------------


def string_value(node: Element | None) -> str:
    """The XPath string value of an element (its text, comments left out), unchanged."""
    if node is None:
        return ""
    if len(node) == 0:
        return node.text or ""
    return "".join(node.itertext())


def normalize_space(text: str) -> str:
    return _XML_WS.sub(" ", text).strip(" ")


def filled(node: Element | None) -> bool:
    """`normalize-space(x) != ''`."""
    return node is not None and normalize_space(string_value(node)) != ""


def xs_double(text: str) -> float | None:
    """An untyped value cast to xs:double (None when it is not one: the validator would stop)."""
    text = text.strip(" \t\r\n")
    if not _XS_DOUBLE.fullmatch(text):
        return None
    return float(text.replace("INF", "inf"))


def xs_decimal(node: Element | None) -> Decimal | None:
    if node is None:
        return None
    text = string_value(node).strip(" \t\r\n")
    if not _XS_DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern only lets decimals through
        return None


def xpath_round(value: Decimal) -> Decimal:
    """XPath 2.0 round() of an xs:decimal: to an integer, halves towards positive infinity."""
    return (value + _HALF).to_integral_value(rounding=ROUND_FLOOR)


def xs_boolean(node: Element) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get(
        string_value(node).strip(" \t\r\n")
    )


def xs_date(node: Element | None) -> datetime | None:
    """cbc:...Date cast to xs:date, as the instant it starts (no time zone: UTC)."""
    if node is None:
        return None
    match = _XS_DATE.fullmatch(string_value(node).strip(" \t\r\n"))
    if match is None:
        return None
    year, month, day, zone = match.groups()
    try:
        day_start = date(int(year), int(month), int(day))
    except ValueError:
        return None
    tz = UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return datetime(day_start.year, day_start.month, day_start.day, tzinfo=tz)


_PREFIX = {CAC_NS: "cac", CBC_NS: "cbc"}
_PATHS: dict[tuple[str, ...], etree.XPath] = {}


def _steps(path: tuple[str, ...]) -> str:
    """('{cac-ns}Item', '{cbc-ns}Name') -> 'cac:Item/cbc:Name'."""
    return "/".join(
        f"{_PREFIX[etree.QName(t).namespace or '']}:{etree.QName(t).localname}" for t in path
    )


def _compiled(path: tuple[str, ...]) -> etree.XPath:
    """The XPath for a path of Clark names, compiled once (paths are fixed in the rules)."""
    xpath = _PATHS.get(path)
    if xpath is None:
        xpath = _PATHS[path] = etree.XPath(_steps(path), namespaces=_NS)
    return xpath


def children(node: Element, *path: str) -> list[Element]:
    """The nodes at `path` below `node` (each step a Clark name), in document order."""
    if len(path) == 1:
        return list(node.iterchildren(path[0]))
    return _compiled(path)(node)  # type: ignore[return-value]


# `[cac:TaxScheme/normalize-space(upper-case(cbc:ID))='VAT']` in XPath 1.0 (lxml): only 'v', 'a'
# and 't' upper-case to 'V', 'A' and 'T', so translating those three is upper-case() here.
VAT = "[cac:TaxScheme[normalize-space(translate(cbc:ID, 'vat', 'VAT')) = 'VAT']]"


class XTest:
    """A precompiled XPath 1.0 test on a context node; `expression` lets several tests on the
    same nodes be tried at once (see `findings`)."""

    __slots__ = ("expression", "_xpath")

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self._xpath = etree.XPath(f"boolean({expression})", namespaces=_NS)

    def __call__(self, node: Element) -> bool:
        return bool(self._xpath(node))


def xbool(expression: str) -> XTest:
    return XTest(expression)


def xnodes(expression: str) -> Callable[[Element], list[Element]]:
    xpath = etree.XPath(expression, namespaces=_NS)

    def select(node: Element) -> list[Element]:
        return xpath(node)  # type: ignore[return-value]

    return select


_is_vat_scheme = xbool(f"self::*{VAT}")


# --- where things are --------------------------------------------------------------------------


def _local(node: Element) -> str:
    return etree.QName(node).localname


def where(node: Element) -> str:
    """'InvoiceLine 3 / AllowanceCharge 2 (line 130)': the path from the document, with the
    position of an element among its namesakes where there are several, and the source line."""
    steps = []
    current: Element | None = node
    while current is not None and current.getparent() is not None:
        parent = current.getparent()
        assert parent is not None
        local = _local(current)
        same = [c for c in parent.iterchildren(current.tag)]
        if len(same) > 1 or current.tag in LINE_TAGS:
            local = f"{local} {same.index(current) + 1}"
            if current.tag in LINE_TAGS:
                line_id = normalize_space(string_value(current.find(_cbc("ID"))))
                if line_id:
                    local += f" (ID '{line_id}')"
        steps.append(local)
        current = parent
    path = " / ".join(reversed(steps)) or _local(node)
    return f"{path} (line {node.sourceline})" if node.sourceline else path


def shown(node: Element | None) -> str:
    """A value as the document gives it, quoted, for messages."""
    if node is None:
        return "absent"
    text = string_value(node)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'"


# --- the nodes the rules look at, collected once per document ----------------------------------

_AC = _cac("AllowanceCharge")
_CHARGE_INDICATOR = _cbc("ChargeIndicator")
_LMT = _cac("LegalMonetaryTotal")
_PAYABLE = _cbc("PayableAmount")
_PERIOD = _cac("InvoicePeriod")
_ITEM_PROPERTY = _cac("AdditionalItemProperty")
_CLASSIFICATION_CODE = _cbc("ItemClassificationCode")
_STANDARD_ID = _cac("StandardItemIdentification")
_ID = _cbc("ID")
_PAYEE = _cac("PayeeParty")
_MEANS = _cac("PaymentMeans")
_MEANS_CODE = _cbc("PaymentMeansCode")
_PAYEE_ACCOUNT = _cac("PayeeFinancialAccount")
_CARD_NUMBER = _cbc("PrimaryAccountNumberID")
_BILLING = _cac("BillingReference")
_ADDITIONAL_DOC = _cac("AdditionalDocumentReference")
_SUPPLIER = _cac("AccountingSupplierParty")
_CUSTOMER = _cac("AccountingCustomerParty")
_PARTY = _cac("Party")
_ENDPOINT = _cbc("EndpointID")
_POSTAL = _cac("PostalAddress")
_ADDRESS = _cac("Address")
_TAX_REP = _cac("TaxRepresentativeParty")
_TAX_TOTAL = _cac("TaxTotal")
_TAX_SUBTOTAL = _cac("TaxSubtotal")
_PARTY_TAX_SCHEME = _cac("PartyTaxScheme")
# Every element a rule context ends on (or starts from), collected in one pass.
_TAGS = (
    _AC, _LMT, *LINE_TAGS, _PERIOD, _ITEM_PROPERTY, _CLASSIFICATION_CODE, _STANDARD_ID, _PAYEE,
    _MEANS, _PAYEE_ACCOUNT, _CARD_NUMBER, _BILLING, _ADDITIONAL_DOC, _SUPPLIER, _ENDPOINT,
    _POSTAL, _ADDRESS, _TAX_REP, _TAX_SUBTOTAL, _PARTY_TAX_SCHEME,
)  # fmt: skip


def _under(node: Element, *ancestors: str | tuple[str, ...]) -> bool:
    """Whether the parent of `node` has the first tag (or one of the first tags), its parent
    the second, and so on: the steps of a relative schematron context."""
    current: Element | None = node
    for tags in ancestors:
        current = current.getparent() if current is not None else None
        if current is None:
            return False
        if current.tag != tags if isinstance(tags, str) else current.tag not in tags:
            return False
    return True


class Index:
    """The context nodes of the EN 16931 UBL rules in one document."""

    __slots__ = (
        "root",
        "is_invoice",
        "roots",
        "nothing",
        "payable_amounts",
        "doc_allowances",
        "doc_charges",
        "monetary_totals",
        "lines",
        "line_allowances",
        "line_charges",
        "line_periods",
        "periods",
        "item_properties",
        "classification_codes",
        "standard_item_ids",
        "payee_parties",
        "payment_means",
        "payee_accounts_30_58",
        "card_numbers",
        "billing_references",
        "additional_documents",
        "supplier_parties",
        "supplier_endpoints",
        "supplier_addresses",
        "customer_endpoints",
        "customer_addresses",
        "delivery_addresses",
        "tax_representatives",
        "tax_representative_addresses",
        "tax_subtotals",
        "vat_party_schemes",
    )

    def __init__(self, root: Element) -> None:
        self.root = root
        self.is_invoice = root.tag == INVOICE_ROOT
        is_doc = root.tag in (INVOICE_ROOT, CREDIT_NOTE_ROOT)
        self.roots = [root] if is_doc else []
        self.nothing: list[Element] = []
        found: dict[str, list[Element]] = {}
        for el in root.iter(*_TAGS):
            found.setdefault(el.tag, []).append(el)
        get = found.get
        empty: list[Element] = []

        self.doc_allowances: list[Element] = []
        self.doc_charges: list[Element] = []
        self.line_allowances: list[Element] = []
        self.line_charges: list[Element] = []
        for ac in get(_AC, empty):
            parent = ac.getparent()
            if parent is root and is_doc:
                allowances, charges = self.doc_allowances, self.doc_charges
            elif parent is not None and parent.tag in LINE_TAGS:
                allowances, charges = self.line_allowances, self.line_charges
            else:
                continue
            flags = [xs_boolean(i) for i in ac.iterchildren(_CHARGE_INDICATOR)]
            if False in flags:  # a node of both contexts goes to the first rule only
                allowances.append(ac)
            elif True in flags:
                charges.append(ac)
        self.monetary_totals = get(_LMT, empty)
        self.payable_amounts = (
            [
                amount
                for total in self.monetary_totals
                if total.getparent() is root
                for amount in total.iterchildren(_PAYABLE)
            ]
            if self.is_invoice
            else []
        )
        invoice_lines, credit_lines = get(LINE_TAGS[0], empty), get(LINE_TAGS[1], empty)
        if invoice_lines and credit_lines:  # both kinds: in document order
            self.lines = list(root.iter(*LINE_TAGS))
        else:
            self.lines = invoice_lines or credit_lines
        self.line_periods: list[Element] = []
        self.periods: list[Element] = []
        for period in get(_PERIOD, empty):
            (self.line_periods if _under(period, LINE_TAGS) else self.periods).append(period)
        self.item_properties = get(_ITEM_PROPERTY, empty)
        self.classification_codes = [
            code
            for code in get(_CLASSIFICATION_CODE, empty)
            if _under(code, _cac("CommodityClassification"), _cac("Item"), LINE_TAGS)
        ]
        self.standard_item_ids = [
            ident
            for standard in get(_STANDARD_ID, empty)
            if _under(standard, _cac("Item"), LINE_TAGS)
            for ident in standard.iterchildren(_ID)
        ]
        self.payee_parties = get(_PAYEE, empty)
        self.payment_means = get(_MEANS, empty)
        self.payee_accounts_30_58 = [
            account
            for account in get(_PAYEE_ACCOUNT, empty)
            if _under(account, _MEANS)
            and any(
                string_value(c) in ("30", "58")
                for c in account.getparent().iterchildren(_MEANS_CODE)  # type: ignore[union-attr]
            )
        ]
        self.card_numbers = [
            n for n in get(_CARD_NUMBER, empty) if _under(n, _cac("CardAccount"), _MEANS)
        ]
        self.billing_references = get(_BILLING, empty)
        self.additional_documents = get(_ADDITIONAL_DOC, empty)
        self.supplier_parties = get(_SUPPLIER, empty)
        endpoints, addresses = get(_ENDPOINT, empty), get(_POSTAL, empty)
        self.supplier_endpoints = [e for e in endpoints if _under(e, _PARTY, _SUPPLIER)]
        self.customer_endpoints = [e for e in endpoints if _under(e, _PARTY, _CUSTOMER)]
        self.supplier_addresses = [a for a in addresses if _under(a, _PARTY, _SUPPLIER)]
        self.customer_addresses = [a for a in addresses if _under(a, _PARTY, _CUSTOMER)]
        self.tax_representative_addresses = [a for a in addresses if _under(a, _TAX_REP)]
        self.delivery_addresses = [
            a
            for a in get(_ADDRESS, empty)
            if _under(a, _cac("DeliveryLocation"), _cac("Delivery"))
        ]
        self.tax_representatives = get(_TAX_REP, empty)
        self.tax_subtotals = [s for s in get(_TAX_SUBTOTAL, empty) if _under(s, _TAX_TOTAL)]
        self.vat_party_schemes = [s for s in get(_PARTY_TAX_SCHEME, empty) if _is_vat_scheme(s)]


# --- registering rules -------------------------------------------------------------------------

Ok = Callable[[Element], bool]
Message = Callable[[Element], str]
Action = str | Callable[[Element], str]
# Per Index attribute (the rule context), the rules checked on each of its nodes, with, where
# the rule has one, an XPath 1.0 expression that is true only when the rule passes.
_SPECS: dict[str, list[tuple[str, Ok, Message, Action, str | None]]] = {}
# Per Index attribute: one XPath test for all the rules with an expression (when it is true on a
# node, none of them fires there), those rules, and the other rules.
_Group = tuple[XTest | None, list[tuple[str, Ok, Message, Action]], list[tuple[str, Ok, Message, Action]]]
_groups: dict[str, _Group] | None = None
_last: tuple[object, Element, dict[str, list[Problem]]] | None = None


def _build_groups() -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    for attribute, specs in _SPECS.items():
        fast = [spec[:4] for spec in specs if spec[4] is not None]
        slow = [spec[:4] for spec in specs if spec[4] is None]
        expression = " and ".join(f"({spec[4]})" for spec in specs if spec[4] is not None)
        groups[attribute] = (XTest(expression) if fast else None, fast, slow)
    return groups


def findings(root: Element, owner: object = None) -> dict[str, list[Problem]]:
    """Every rule of this module (and en16931_decimals.py) on the document whose root is `root`:
    the problems per rule id, computed once for all the rules and kept for the last document
    only, recognised by the identity of `root` and of `owner` (the UblDocument read from it:
    a tree changed and read again is checked again)."""
    global _last, _groups
    last = _last
    if last is not None and last[0] is owner and last[1] is root:
        return last[2]
    groups = _groups
    if groups is None:
        groups = _groups = _build_groups()
    idx = Index(root)
    found: dict[str, list[Problem]] = {}
    for attribute, (all_pass, fast, slow) in groups.items():
        nodes = getattr(idx, attribute)
        if not nodes:
            continue
        for node in nodes:
            specs = slow if all_pass is not None and all_pass(node) else fast + slow
            for rule_id, ok, message, action in specs:
                if not ok(node):
                    found.setdefault(rule_id, []).append(
                        Problem(message(node), action(node) if callable(action) else action)
                    )
    _last = (owner, root, found)
    return found


def node_rule(
    pack: RulePack,
    rule_id: str,
    title: str,
    contexts: str,
    ok: Ok,
    message: Message,
    action: Action,
    severity: Severity = Severity.BLOCK,
    fast: str | None = None,
) -> None:
    """Register a rule that checks `ok` on every node of the Index attribute `contexts` (its
    schematron rule context) and fires once per failing node. `fast`, when given, is an XPath
    1.0 expression that is only true when `ok` is (an XTest `ok` is its own)."""
    global _groups
    if not hasattr(Index, contexts):
        raise ValueError(f"{rule_id}: no rule context {contexts!r}")
    if ok is not _never:
        if fast is None and isinstance(ok, XTest):
            fast = ok.expression
        _SPECS.setdefault(contexts, []).append((rule_id, ok, message, action, fast))
        _groups = None

    def check(inv: CanonicalInvoice, ctx: RuleContext) -> list[Problem] | None:
        doc = inv.ubl
        if doc is None:
            return None
        return findings(doc.root, doc).get(rule_id)

    check.__name__ = check.__qualname__ = "check_" + rule_id.replace("-", "_").lower()
    pack.rule(rule_id, severity, title, ubl_only=True, group=all_findings)(check)


def all_findings(inv: CanonicalInvoice, ctx: RuleContext) -> dict[str, list[Problem]]:
    """Every rule of this module and en16931_decimals.py at once (the rule set's group call)."""
    doc = inv.ubl
    return {} if doc is None else findings(doc.root, doc)


def _never(node: Element) -> bool:
    return True


def _ask(what: str) -> str:
    return f"Ask the vendor for a corrected e-invoice {what}; the document cannot be processed as sent."


def _child(node: Element, *path: str) -> Element | None:
    found = children(node, *path)
    return found[0] if found else None


def _has(*path: str) -> XTest:
    """`exists(path)`."""
    return xbool(_steps(path))


def _has_filled(*path: str) -> XTest:
    """`normalize-space(path) != ''` (XPath 1.0 normalize-space() takes the first node, as the
    validator does when there is one; it stops on several)."""
    return xbool(f"normalize-space({_steps(path)}) != ''")


_has_reason = xbool("cbc:AllowanceChargeReason or cbc:AllowanceChargeReasonCode")


_has_vat_category_id = xbool(f"cac:TaxCategory{VAT}/cbc:ID")


def _kind(idx_root: Element) -> str:
    return "credit note" if idx_root.tag == CREDIT_NOTE_ROOT else "invoice"


def _missing(what: str, element: str) -> Callable[[Element], str]:
    def message(node: Element) -> str:
        return f"{where(node)} has no {what} ({element})"

    return message


def _blank(what: str, element: str, *path: str) -> Callable[[Element], str]:
    def message(node: Element) -> str:
        child = _child(node, *path)
        state = "is absent" if child is None else f"is empty ({shown(child)})"
        return f"{where(node)}: the {what} is missing: {element} {state}"

    return message


# --- the document (BR-01 to BR-16, BR-53, BR-CO-03, BR-CO-18) ----------------------------------

_ROOT_FILLED = (
    ("BR-01", "Specification identifier (BT-24)", "cbc:CustomizationID", (_cbc("CustomizationID"),)),
    ("BR-02", "Invoice number (BT-1)", "cbc:ID", (_cbc("ID"),)),
    ("BR-03", "Invoice issue date (BT-2)", "cbc:IssueDate", (_cbc("IssueDate"),)),
    ("BR-05", "Invoice currency code (BT-5)", "cbc:DocumentCurrencyCode", (_cbc("DocumentCurrencyCode"),)),
    (
        "BR-06",
        "Seller name (BT-27)",
        "AccountingSupplierParty/Party/PartyLegalEntity/cbc:RegistrationName",
        (_cac("AccountingSupplierParty"), _cac("Party"), _cac("PartyLegalEntity"), _cbc("RegistrationName")),
    ),
    (
        "BR-07",
        "Buyer name (BT-44)",
        "AccountingCustomerParty/Party/PartyLegalEntity/cbc:RegistrationName",
        (_cac("AccountingCustomerParty"), _cac("Party"), _cac("PartyLegalEntity"), _cbc("RegistrationName")),
    ),
)

for _id, _what, _element, _path in _ROOT_FILLED:
    node_rule(
        PACK,
        _id,
        f"An Invoice shall have the {_what}",
        "roots",
        _has_filled(*_path),
        _blank(_what, _element, *_path),
        _ask(f"that gives the {_what} in {_element}"),
    )


_type_code_ok = xbool(
    "normalize-space(cbc:InvoiceTypeCode) != '' or normalize-space(cbc:CreditNoteTypeCode) != ''"
)


node_rule(
    PACK,
    "BR-04",
    "An Invoice shall have an Invoice type code (BT-3)",
    "roots",
    _type_code_ok,
    lambda n: f"the {_kind(n)} has no Invoice type code (BT-3): cbc:InvoiceTypeCode and "
    "cbc:CreditNoteTypeCode are both absent or empty",
    _ask("with its type code (BT-3), e.g. 380 for an invoice or 381 for a credit note"),
)

def _no_party_address(party: str, bg: str) -> Callable[[Element], str]:
    def message(node: Element) -> str:
        return f"the {_kind(node)} has no {bg}: {party}/Party/PostalAddress is absent"

    return message


for _id, _party, _bg in (
    ("BR-08", "AccountingSupplierParty", "Seller postal address (BG-5)"),
    ("BR-10", "AccountingCustomerParty", "Buyer postal address (BG-8)"),
):
    node_rule(
        PACK,
        _id,
        f"An Invoice shall contain the {_bg}",
        "roots",
        _has(_cac(_party), _cac("Party"), _cac("PostalAddress")),
        _no_party_address(_party, _bg),
        _ask(f"with the {_bg} ({_party}/Party/PostalAddress)"),
    )

node_rule(
    PACK,
    "BR-16",
    "An Invoice shall have at least one Invoice line (BG-25)",
    "roots",
    xbool("cac:InvoiceLine or cac:CreditNoteLine"),
    lambda n: f"the {_kind(n)} has no lines (no cac:InvoiceLine or cac:CreditNoteLine)",
    _ask("with at least one line (BG-25)"),
)


def _missing_tax_currencies(root: Element) -> list[str]:
    if root.find(_TAX_CURRENCY) is None:
        return []
    amounts = {
        a.get("currencyID")
        for total in root.iter(_cac("TaxTotal"))
        for a in total.iterchildren(_cbc("TaxAmount"))
    }
    return [
        string_value(c)
        for c in root.iterchildren(_cbc("TaxCurrencyCode"))
        if string_value(c) not in amounts
    ]


node_rule(
    PACK,
    "BR-53",
    "If the VAT accounting currency code (BT-6) is present, the total VAT amount in accounting currency (BT-111) shall be provided",
    "roots",
    lambda n: not _missing_tax_currencies(n),
    lambda n: "the VAT accounting currency (TaxCurrencyCode, BT-6) is "
    + ", ".join(f"'{c}'" for c in _missing_tax_currencies(n))
    + ", but no TaxTotal/TaxAmount has that currencyID (BT-111)",
    _ask("with a TaxTotal whose TaxAmount gives the VAT in the VAT accounting currency (BT-111)"),
    fast="not(cbc:TaxCurrencyCode)",
)


_tax_point_ok = xbool("not(cbc:TaxPointDate and cac:InvoicePeriod/cbc:DescriptionCode)")


node_rule(
    PACK,
    "BR-CO-03",
    "Value added tax point date (BT-7) and Value added tax point date code (BT-8) are mutually exclusive",
    "roots",
    _tax_point_ok,
    lambda n: f"the {_kind(n)} gives both a VAT point date (TaxPointDate {shown(n.find(_cbc('TaxPointDate')))}, "
    f"BT-7) and a VAT point date code (InvoicePeriod/DescriptionCode "
    f"{shown(_child(n, _cac('InvoicePeriod'), _cbc('DescriptionCode')))}, BT-8); only one is allowed",
    _ask("with either the VAT point date (BT-7) or its code (BT-8), not both"),
)

node_rule(
    PACK,
    "BR-CO-18",
    "An Invoice shall at least have one VAT breakdown group (BG-23)",
    "roots",
    _has(_cac("TaxTotal"), _cac("TaxSubtotal")),
    lambda n: f"the {_kind(n)} has no VAT breakdown (no TaxTotal/TaxSubtotal, BG-23)",
    _ask("with a VAT breakdown (TaxTotal/TaxSubtotal) for each VAT category used"),
)

# --- parties (BR-09, 11, 17-20, 56, 57, 62, 63, BR-CO-09, BR-CO-26) ----------------------------

for _id, _ctx, _who, _bt in (
    ("BR-09", "supplier_addresses", "Seller", "BT-40"),
    ("BR-11", "customer_addresses", "Buyer", "BT-55"),
    ("BR-20", "tax_representative_addresses", "Seller tax representative", "BT-69"),
):
    node_rule(
        PACK,
        _id,
        f"The {_who} postal address shall contain a {_who} country code ({_bt})",
        _ctx,
        _has_filled(_cac("Country"), _cbc("IdentificationCode")),
        _blank(f"{_who} country code ({_bt})", "Country/cbc:IdentificationCode", _cac("Country"), _cbc("IdentificationCode")),
        _ask(f"with the {_who} country code ({_bt}) in the postal address, e.g. 'DE'"),
    )

node_rule(
    PACK,
    "BR-57",
    "Each Deliver to address (BG-15) shall contain a Deliver to country code (BT-80)",
    "delivery_addresses",
    _has(_cac("Country"), _cbc("IdentificationCode")),
    _missing("Deliver to country code", "BT-80, Country/cbc:IdentificationCode"),
    _ask("with the country code (BT-80) in the delivery address"),
)

def _no_scheme(who: str, bt: str) -> Callable[[Element], str]:
    def message(node: Element) -> str:
        return f"{where(node)}: the {who} electronic address ({bt}) {shown(node)} has no schemeID"

    return message


for _id, _ctx, _who, _bt in (
    ("BR-62", "supplier_endpoints", "Seller", "BT-34"),
    ("BR-63", "customer_endpoints", "Buyer", "BT-49"),
):
    node_rule(
        PACK,
        _id,
        f"The {_who} electronic address ({_bt}) shall have a Scheme identifier",
        _ctx,
        lambda n: n.get("schemeID") is not None,
        _no_scheme(_who, _bt),
        _ask(f"whose {_who} EndpointID ({_bt}) has a schemeID (e.g. 0088 for a GLN)"),
    )


def _payee_ok(node: Element) -> bool:
    names = children(node, _cac("PartyName"), _cbc("Name"))
    if not names:
        return False
    parent = node.getparent()
    seller_parties = (
        children(parent, _cac("AccountingSupplierParty"), _cac("Party")) if parent is not None else []
    )
    seller_names = {string_value(n) for p in seller_parties for n in children(p, _cac("PartyName"), _cbc("Name"))}
    seller_ids = {
        string_value(n) for p in seller_parties for n in children(p, _cac("PartyIdentification"), _cbc("ID"))
    }
    payee_ids = {string_value(n) for n in children(node, _cac("PartyIdentification"), _cbc("ID"))}
    return not ({string_value(n) for n in names} & seller_names) and not (payee_ids & seller_ids)


def _payee_message(node: Element) -> str:
    names = children(node, _cac("PartyName"), _cbc("Name"))
    if not names:
        return f"{where(node)}: the Payee (BG-10) has no name (PartyName/cbc:Name, BT-59)"
    return (
        f"{where(node)}: the Payee {shown(names[0])} has the same name or identifier as the Seller; "
        "a Payee (BG-10) may only be given when it is a party other than the Seller"
    )


node_rule(
    PACK,
    "BR-17",
    "The Payee name (BT-59) shall be provided in the Invoice, if the Payee (BG-10) is different from the Seller (BG-4)",
    "payee_parties",
    _payee_ok,
    _payee_message,
    _ask("that either leaves out the Payee (when it is the Seller) or names a Payee other than the Seller"),
)

node_rule(
    PACK,
    "BR-18",
    "The Seller tax representative name (BT-62) shall be provided if the Seller has a tax representative",
    "tax_representatives",
    _has_filled(_cac("PartyName"), _cbc("Name")),
    _blank("Seller tax representative name (BT-62)", "PartyName/cbc:Name", _cac("PartyName"), _cbc("Name")),
    _ask("with the name of the Seller's tax representative (BT-62)"),
)
node_rule(
    PACK,
    "BR-19",
    "The Seller tax representative postal address (BG-12) shall be provided if the Seller has a tax representative",
    "tax_representatives",
    _has(_cac("PostalAddress")),
    _missing("postal address", "BG-12, cac:PostalAddress"),
    _ask("with the postal address of the Seller's tax representative (BG-12)"),
)
node_rule(
    PACK,
    "BR-56",
    "Each Seller tax representative party (BG-11) shall have a Seller tax representative VAT identifier (BT-63)",
    "tax_representatives",
    xbool(f"cac:PartyTaxScheme{VAT}/cbc:CompanyID"),
    _missing("VAT identifier", "BT-63, PartyTaxScheme[TaxScheme/ID='VAT']/cbc:CompanyID"),
    _ask("with the VAT identifier of the Seller's tax representative (BT-63)"),
)

_COUNTRY_PREFIXES = (
    " 1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS "
    "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH "
    "EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT "
    "HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT "
    "LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO "
    "NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ "
    "SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ "
    "VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW "
)


_vat_prefix_ok = xbool(f"contains('{_COUNTRY_PREFIXES}', substring(cbc:CompanyID, 1, 2))")


node_rule(
    PACK,
    "BR-CO-09",
    "VAT identifiers (BT-31, BT-48, BT-63) shall have an ISO 3166-1 alpha-2 country prefix (Greece may use 'EL')",
    "vat_party_schemes",
    _vat_prefix_ok,
    lambda n: f"{where(n)}: the VAT identifier {shown(n.find(_cbc('CompanyID')))} does not start with "
    "a two-letter country code (ISO 3166-1 alpha-2, e.g. 'DE', or 'EL' for Greece)",
    _ask("whose VAT identifiers start with the country code of the country that issued them"),
)


# BR-CO-26 as EN 16931 validation 1.3.16 has it: a Seller identifier with schemeID 'SEPA' (a SEPA
# creditor identifier) does not identify the Seller (the copy in PEPPOL BIS 3.0.19 still counts it).
_seller_ids = xbool(
    f"cac:Party/cac:PartyTaxScheme{VAT}/cbc:CompanyID"
    " or cac:Party/cac:PartyIdentification/cbc:ID[not(@schemeID = 'SEPA')]"
    " or cac:Party/cac:PartyLegalEntity/cbc:CompanyID"
)


node_rule(
    PACK,
    "BR-CO-26",
    "The Seller identifier (BT-29), the Seller legal registration identifier (BT-30) and/or the Seller VAT identifier (BT-31) shall be present",
    "supplier_parties",
    _seller_ids,
    lambda n: f"{where(n)}: the Seller has no identifier: none of Seller identifier (BT-29, "
    "PartyIdentification/ID), legal registration identifier (BT-30, PartyLegalEntity/CompanyID) or "
    "VAT identifier (BT-31, PartyTaxScheme/CompanyID) is given",
    _ask("that identifies the Seller by an identifier, a legal registration number or a VAT number"),
)

# --- totals (BR-12 to BR-15, BR-CO-25) ---------------------------------------------------------

for _id, _local_name, _bt, _what in (
    ("BR-12", "LineExtensionAmount", "BT-106", "Sum of Invoice line net amount"),
    ("BR-13", "TaxExclusiveAmount", "BT-109", "Invoice total amount without VAT"),
    ("BR-14", "TaxInclusiveAmount", "BT-112", "Invoice total amount with VAT"),
    ("BR-15", "PayableAmount", "BT-115", "Amount due for payment"),
):
    node_rule(
        PACK,
        _id,
        f"An Invoice shall have the {_what} ({_bt})",
        "monetary_totals",
        _has(_cbc(_local_name)),
        _missing(f"{_what}", f"{_bt}, cbc:{_local_name}"),
        _ask(f"with the {_what} ({_bt}, LegalMonetaryTotal/cbc:{_local_name})"),
    )


def _due_terms_ok(node: Element) -> bool:
    value = xs_double(string_value(node))
    if value is None:
        return False
    if value <= 0:
        return True
    if value > 0:
        return _due_date_or_terms(node)
    return False  # NaN


_due_date_or_terms = xbool("//cbc:DueDate or //cac:PaymentTerms/cbc:Note")


node_rule(
    PACK,
    "BR-CO-25",
    "In case the Amount due for payment (BT-115) is positive, either the Payment due date (BT-9) or the Payment terms (BT-20) shall be present",
    "payable_amounts",
    _due_terms_ok,
    lambda n: f"{where(n)}: the amount due is {shown(n)}, but the invoice gives neither a payment due "
    "date (cbc:DueDate, BT-9) nor payment terms (PaymentTerms/cbc:Note, BT-20)"
    if xs_double(string_value(n)) is not None
    else f"{where(n)}: the amount due {shown(n)} is not a number",
    _ask("with a payment due date (BT-9) or payment terms (BT-20)"),
    # XPath 1.0 reads fewer numbers than xs:double (no 'INF', no '+5'); where it reads one, the same.
    fast="number(.) <= 0 or (number(.) > 0 and (//cbc:DueDate or //cac:PaymentTerms/cbc:Note))",
)

# --- lines (BR-21 to BR-28, BR-CO-04, BR-64, BR-65) --------------------------------------------


node_rule(
    PACK,
    "BR-21",
    "Each Invoice line (BG-25) shall have an Invoice line identifier (BT-126)",
    "lines",
    _has_filled(_cbc("ID")),
    _blank("line identifier (BT-126)", "cbc:ID", _cbc("ID")),
    _ask("where every line has an identifier (BT-126)"),
)
node_rule(
    PACK,
    "BR-22",
    "Each Invoice line (BG-25) shall have an Invoiced quantity (BT-129)",
    "lines",
    xbool("cbc:InvoicedQuantity or cbc:CreditedQuantity"),
    _missing("quantity", "BT-129, cbc:InvoicedQuantity or cbc:CreditedQuantity"),
    _ask("where every line states the quantity invoiced (BT-129)"),
)


node_rule(
    PACK,
    "BR-23",
    "An Invoice line (BG-25) shall have an Invoiced quantity unit of measure code (BT-130)",
    "lines",
    xbool("cbc:InvoicedQuantity/@unitCode or cbc:CreditedQuantity/@unitCode"),
    _missing("unit of measure for its quantity", "BT-130, the unitCode of cbc:InvoicedQuantity"),
    _ask("where every line's quantity has a unitCode (BT-130), e.g. C62 for 'one' or HUR for hours"),
)
node_rule(
    PACK,
    "BR-24",
    "Each Invoice line (BG-25) shall have an Invoice line net amount (BT-131)",
    "lines",
    _has(_cbc("LineExtensionAmount")),
    _missing("net amount", "BT-131, cbc:LineExtensionAmount"),
    _ask("where every line has its net amount (BT-131)"),
)
node_rule(
    PACK,
    "BR-25",
    "Each Invoice line (BG-25) shall contain the Item name (BT-153)",
    "lines",
    _has_filled(_cac("Item"), _cbc("Name")),
    _blank("item name (BT-153)", "Item/cbc:Name", _cac("Item"), _cbc("Name")),
    _ask("where every line names the item (BT-153)"),
)
node_rule(
    PACK,
    "BR-26",
    "Each Invoice line (BG-25) shall contain the Item net price (BT-146)",
    "lines",
    _has(_cac("Price"), _cbc("PriceAmount")),
    _missing("item net price", "BT-146, Price/cbc:PriceAmount"),
    _ask("where every line gives the item net price (BT-146)"),
)


def _not_negative(values: list[Element]) -> bool:
    """`(nodes) >= 0` over untyped values: true when any of them is a number >= 0."""
    for node in values:
        value = xs_double(string_value(node))
        if value is not None and value >= 0:
            return True
    return False


node_rule(
    PACK,
    "BR-27",
    "The Item net price (BT-146) shall NOT be negative",
    "lines",
    lambda n: _not_negative(children(n, _cac("Price"), _cbc("PriceAmount"))),
    lambda n: f"{where(n)}: the item net price (BT-146, Price/cbc:PriceAmount) is "
    f"{shown(_child(n, _cac('Price'), _cbc('PriceAmount')))}; it must be a number that is not negative",
    _ask("whose line prices are not negative (a reduction belongs in a line allowance or a credit note)"),
    # XPath 1.0 reads fewer numbers (no 'INF', no '+5'): where it finds one >= 0, so does BR-27.
    fast="cac:Price/cbc:PriceAmount >= 0",
)


def _gross_price_ok(node: Element) -> bool:
    bases = children(node, _cac("Price"), _cac("AllowanceCharge"), _cbc("BaseAmount"))
    return not bases or _not_negative(bases)


node_rule(
    PACK,
    "BR-28",
    "The Item gross price (BT-148) shall NOT be negative",
    "lines",
    _gross_price_ok,
    lambda n: f"{where(n)}: the item gross price (BT-148, Price/AllowanceCharge/cbc:BaseAmount) is "
    f"{shown(_child(n, _cac('Price'), _cac('AllowanceCharge'), _cbc('BaseAmount')))}; it must not be negative",
    _ask("whose item gross prices are not negative"),
    fast="not(cac:Price/cac:AllowanceCharge/cbc:BaseAmount) or cac:Price/cac:AllowanceCharge/cbc:BaseAmount >= 0",
)
node_rule(
    PACK,
    "BR-CO-04",
    "Each Invoice line (BG-25) shall be categorized with an Invoiced item VAT category code (BT-151)",
    "lines",
    xbool(f"cac:Item/cac:ClassifiedTaxCategory{VAT}/cbc:ID"),
    _missing("VAT category code", "BT-151, Item/ClassifiedTaxCategory[TaxScheme/ID='VAT']/cbc:ID"),
    _ask("where every line gives the VAT category of its item (BT-151)"),
)
node_rule(
    PACK,
    "BR-64",
    "The Item standard identifier (BT-157) shall have a Scheme identifier",
    "standard_item_ids",
    lambda n: n.get("schemeID") is not None,
    lambda n: f"{where(n)}: the item standard identifier {shown(n)} (BT-157) has no schemeID",
    _ask("whose item standard identifiers have a schemeID (e.g. 0160 for a GTIN)"),
)
node_rule(
    PACK,
    "BR-65",
    "The Item classification identifier (BT-158) shall have a Scheme identifier",
    "classification_codes",
    lambda n: n.get("listID") is not None,
    lambda n: f"{where(n)}: the item classification code {shown(n)} (BT-158) has no listID",
    _ask("whose item classification codes have a listID (e.g. STI or MP)"),
)
node_rule(
    PACK,
    "BR-54",
    "Each Item attribute (BG-32) shall contain an Item attribute name (BT-160) and an Item attribute value (BT-161)",
    "item_properties",
    xbool("cbc:Name and cbc:Value"),
    lambda n: f"{where(n)}: the item attribute has "
    + (
        "neither a name (cbc:Name, BT-160) nor a value (cbc:Value, BT-161)"
        if n.find(_cbc("Name")) is None and n.find(_cbc("Value")) is None
        else "no name (cbc:Name, BT-160)"
        if n.find(_cbc("Name")) is None
        else f"the name {shown(n.find(_cbc('Name')))} but no value (cbc:Value, BT-161)"
    ),
    _ask("where every item attribute has both a name and a value"),
)

# --- periods (BR-29, BR-30, BR-CO-19, BR-CO-20) ------------------------------------------------


def _period_ok(node: Element) -> bool:
    start, end = node.find(_cbc("StartDate")), node.find(_cbc("EndDate"))
    if start is None or end is None:
        return True
    s, e = xs_date(start), xs_date(end)
    return s is not None and e is not None and e >= s


def _period_message(node: Element) -> str:
    start, end = node.find(_cbc("StartDate")), node.find(_cbc("EndDate"))
    return f"{where(node)}: the period ends ({shown(end)}) before it starts ({shown(start)}), or a date is not a valid date"


node_rule(
    PACK,
    "BR-29",
    "If both Invoicing period start date (BT-73) and end date (BT-74) are given then the end date shall be later or equal to the start date",
    "periods",
    _period_ok,
    _period_message,
    _ask("whose invoicing period (BG-14) ends on or after its start date"),
    fast="not(cbc:StartDate) or not(cbc:EndDate)",
)
node_rule(
    PACK,
    "BR-30",
    "If both Invoice line period start date (BT-134) and end date (BT-135) are given then the end date shall be later or equal to the start date",
    "line_periods",
    _period_ok,
    _period_message,
    _ask("whose line periods (BG-26) end on or after their start date"),
    fast="not(cbc:StartDate) or not(cbc:EndDate)",
)
node_rule(
    PACK,
    "BR-CO-19",
    "If Invoicing period (BG-14) is used, the start date (BT-73) or the end date (BT-74) shall be filled, or both",
    "periods",
    xbool("cbc:StartDate or cbc:EndDate or cbc:DescriptionCode"),
    _missing("start date, end date or description code", "cbc:StartDate, cbc:EndDate, cbc:DescriptionCode"),
    _ask("whose invoicing period (BG-14) gives a start date, an end date or both"),
)
node_rule(
    PACK,
    "BR-CO-20",
    "If Invoice line period (BG-26) is used, the start date (BT-134) or the end date (BT-135) shall be filled, or both",
    "line_periods",
    xbool("cbc:StartDate or cbc:EndDate"),
    _missing("start date or end date", "cbc:StartDate, cbc:EndDate"),
    _ask("whose line periods (BG-26) give a start date, an end date or both"),
)

# --- allowances and charges (BR-31 to BR-33, BR-36 to BR-38, BR-41 to BR-44, BR-CO-05..08, 21..24)

_AC_KINDS = (
    # ids: amount, VAT category (None on lines), reason, reason-code/reason (always true), reason (CO)
    ("document level allowance", "BG-20", "doc_allowances", ("BR-31", "BR-32", "BR-33", "BR-CO-05", "BR-CO-21"), ("BT-92", "BT-95", "BT-97", "BT-98")),
    ("document level charge", "BG-21", "doc_charges", ("BR-36", "BR-37", "BR-38", "BR-CO-06", "BR-CO-22"), ("BT-99", "BT-102", "BT-104", "BT-105")),
    ("invoice line allowance", "BG-27", "line_allowances", ("BR-41", None, "BR-42", "BR-CO-07", "BR-CO-23"), ("BT-136", None, "BT-139", "BT-140")),
    ("invoice line charge", "BG-28", "line_charges", ("BR-43", None, "BR-44", "BR-CO-08", "BR-CO-24"), ("BT-141", None, "BT-144", "BT-145")),
)

for _what, _bg, _ctx, _ids, _bts in _AC_KINDS:
    amount_id, vat_id, reason_id, both_id, co_reason_id = _ids
    amount_bt, vat_bt, reason_bt, code_bt = _bts
    assert amount_id and reason_id and both_id and co_reason_id
    node_rule(
        PACK,
        amount_id,
        f"Each {_what} ({_bg}) shall have an amount ({amount_bt})",
        _ctx,
        _has(_cbc("Amount")),
        _missing(f"{_what} amount", f"{amount_bt}, cbc:Amount"),
        _ask(f"where every {_what} has its amount ({amount_bt})"),
    )
    if vat_id:
        node_rule(
            PACK,
            vat_id,
            f"Each {_what} ({_bg}) shall have a VAT category code ({vat_bt})",
            _ctx,
            _has_vat_category_id,
            _missing("VAT category code", f"{vat_bt}, TaxCategory[TaxScheme/ID='VAT']/cbc:ID"),
            _ask(f"where every {_what} gives its VAT category ({vat_bt})"),
        )
    for _rid in (reason_id, co_reason_id):
        node_rule(
            PACK,
            _rid,
            f"Each {_what} ({_bg}) shall have a reason ({reason_bt}) or a reason code ({code_bt})",
            _ctx,
            _has_reason,
            _missing(
                "reason or reason code",
                f"{reason_bt} cbc:AllowanceChargeReason, {code_bt} cbc:AllowanceChargeReasonCode",
            ),
            _ask(f"where every {_what} gives its reason ({reason_bt}) or reason code ({code_bt})"),
        )
    node_rule(
        PACK,
        both_id,
        f"The {_what} reason code ({code_bt}) and reason ({reason_bt}) shall indicate the same type of {_what.split()[-1]}",
        _ctx,
        _never,  # the schematron test is true(): the rule cannot be checked mechanically
        lambda n: "",
        "",
    )

# --- VAT breakdown (BR-45 to BR-48, BR-CO-17) --------------------------------------------------


for _id, _local_name, _bt, _what in (
    ("BR-45", "TaxableAmount", "BT-116", "VAT category taxable amount"),
    ("BR-46", "TaxAmount", "BT-117", "VAT category tax amount"),
):
    node_rule(
        PACK,
        _id,
        f"Each VAT breakdown (BG-23) shall have a {_what} ({_bt})",
        "tax_subtotals",
        _has(_cbc(_local_name)),
        _missing(_what, f"{_bt}, cbc:{_local_name}"),
        _ask(f"where every VAT breakdown has its {_what} ({_bt})"),
    )

node_rule(
    PACK,
    "BR-47",
    "Each VAT breakdown (BG-23) shall be defined through a VAT category code (BT-118)",
    "tax_subtotals",
    _has_vat_category_id,
    _missing("VAT category code", "BT-118, TaxCategory[TaxScheme/ID='VAT']/cbc:ID"),
    _ask("where every VAT breakdown gives its VAT category (BT-118)"),
)


_rate_ok = xbool(
    f"cac:TaxCategory{VAT}/cbc:Percent or cac:TaxCategory{VAT}[normalize-space(cbc:ID) = 'O']"
)


node_rule(
    PACK,
    "BR-48",
    "Each VAT breakdown (BG-23) shall have a VAT category rate (BT-119), except if the Invoice is not subject to VAT",
    "tax_subtotals",
    _rate_ok,
    lambda n: f"{where(n)}: the VAT breakdown of category "
    f"{shown(_child(n, _cac('TaxCategory'), _cbc('ID')))} has no VAT rate (BT-119, TaxCategory/cbc:Percent); "
    "only category 'O' (not subject to VAT) may leave it out",
    _ask("where every VAT breakdown gives its VAT rate (BT-119)"),
)


_VAT_SIDES = xnodes(f"cbc:TaxableAmount | cbc:TaxAmount | cac:TaxCategory{VAT}/cbc:Percent")
_TAXABLE, _TAX_AMOUNT, _PERCENT = _cbc("TaxableAmount"), _cbc("TaxAmount"), _cbc("Percent")


def _vat_sides(node: Element) -> tuple[Decimal | None, Decimal | None, Decimal | None, bool]:
    """(rate, taxable amount, tax amount, whether a VAT category states a rate); the first of
    each, as the validator reads them when there is one."""
    first: dict[str, Element] = {}
    for el in _VAT_SIDES(node):
        first.setdefault(el.tag, el)
    percent = first.get(_PERCENT)
    return (
        xs_decimal(percent),
        xs_decimal(first.get(_TAXABLE)),
        xs_decimal(first.get(_TAX_AMOUNT)),
        percent is not None,
    )


def _vat_amount_ok(node: Element) -> bool:
    rate, taxable, tax, has_rate = _vat_sides(node)
    if tax is None:
        return False
    if rate is not None:
        if xpath_round(rate) == 0:
            return xpath_round(tax) == 0
        if taxable is None:
            return False
        expected = xpath_round2(abs(taxable) * (rate / 100))
        return abs(tax) - 1 < expected < abs(tax) + 1
    return not has_rate and xpath_round(tax) == 0


def _vat_amount_message(node: Element) -> str:
    rate, taxable, tax, _ = _vat_sides(node)
    tax_text = shown(node.find(_cbc("TaxAmount")))
    if rate is None:
        return (
            f"{where(node)}: the VAT breakdown has no readable VAT rate (BT-119), so its tax amount "
            f"(BT-117) must round to 0, but it is {tax_text}"
        )
    if tax is not None and xpath_round(rate) == 0:
        return (
            f"{where(node)}: the VAT rate {rate} % rounds to 0, so the VAT category tax amount "
            f"(BT-117) must round to 0 too, but it is {tax}"
        )
    if taxable is None or tax is None:
        return (
            f"{where(node)}: the VAT breakdown's tax amount (BT-117, {tax_text}) cannot be checked against "
            f"taxable amount (BT-116, {shown(node.find(_cbc('TaxableAmount')))}) x rate {rate} %"
        )
    expected = xpath_round2(abs(taxable) * (rate / 100))
    return (
        f"{where(node)}: taxable amount {taxable} x VAT rate {rate} % = {expected}, but the VAT "
        f"category tax amount (BT-117) is {tax} (more than 1 off)"
    )


node_rule(
    PACK,
    "BR-CO-17",
    "VAT category tax amount (BT-117) = VAT category taxable amount (BT-116) x (VAT category rate (BT-119) / 100), rounded to two decimals",
    "tax_subtotals",
    _vat_amount_ok,
    _vat_amount_message,
    _ask("whose VAT breakdown tax amounts match taxable amount x rate"),
)

# --- payment (BR-49, BR-50, BR-51, BR-61) ------------------------------------------------------

node_rule(
    PACK,
    "BR-49",
    "A Payment instruction (BG-16) shall specify the Payment means type code (BT-81)",
    "payment_means",
    _has(_cbc("PaymentMeansCode")),
    _missing("payment means type code", "BT-81, cbc:PaymentMeansCode"),
    _ask("whose payment instructions give the payment means code (BT-81), e.g. 30 or 58 for a credit transfer"),
)
node_rule(
    PACK,
    "BR-50",
    "A Payment account identifier (BT-84) shall be present if Credit transfer (BG-17) information is provided",
    "payee_accounts_30_58",
    _has_filled(_cbc("ID")),
    _blank("payment account identifier (BT-84)", "cbc:ID", _cbc("ID")),
    _ask("with the account (IBAN) to pay into (BT-84); do not pay to an account taken from elsewhere"),
)
node_rule(
    PACK,
    "BR-51",
    "In accordance with card payments security standards an invoice should never include a full card primary account number (BT-87)",
    "card_numbers",
    lambda n: len(normalize_space(string_value(n))) <= 10,
    lambda n: f"{where(n)}: the card account number is {len(normalize_space(string_value(n)))} characters "
    "long; an invoice should only give the last 4 to 6 digits of a card number (BT-87)",
    "Do not store or forward the full card number; ask the vendor to send only its last 4 to 6 digits.",
    Severity.WARN,
)


_credit_transfer_ok = xbool(
    "not(normalize-space(cbc:PaymentMeansCode) = '30' or normalize-space(cbc:PaymentMeansCode) = '58')"
    " or cac:PayeeFinancialAccount/cbc:ID"
)


node_rule(
    PACK,
    "BR-61",
    "If the Payment means type code (BT-81) means SEPA credit transfer, Local credit transfer or Non-SEPA international credit transfer, the Payment account identifier (BT-84) shall be present",
    "payment_means",
    _credit_transfer_ok,
    lambda n: f"{where(n)}: the payment means code is "
    f"{shown(n.find(_cbc('PaymentMeansCode')))} (credit transfer), but no account to pay into is given "
    "(PayeeFinancialAccount/cbc:ID, BT-84)",
    _ask("with the account (IBAN) to pay into (BT-84); do not pay to an account taken from elsewhere"),
)

# --- references (BR-52, BR-55) -----------------------------------------------------------------

node_rule(
    PACK,
    "BR-52",
    "Each Additional supporting document (BG-24) shall contain a Supporting document reference (BT-122)",
    "additional_documents",
    _has_filled(_cbc("ID")),
    _blank("supporting document reference (BT-122)", "cbc:ID", _cbc("ID")),
    _ask("where every additional document reference has an identifier (BT-122)"),
)
node_rule(
    PACK,
    "BR-55",
    "Each Preceding Invoice reference (BG-3) shall contain a Preceding Invoice reference (BT-25)",
    "billing_references",
    _has(_cac("InvoiceDocumentReference"), _cbc("ID")),
    _missing("preceding invoice number", "BT-25, InvoiceDocumentReference/cbc:ID"),
    _ask("whose billing references give the number of the preceding invoice (BT-25)"),
)

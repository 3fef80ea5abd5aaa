"""UBL 2.1 Invoice and CreditNote documents (PEPPOL BIS Billing 3.0) as canonical invoices.

One document is one record. `read_ubl` quarantines what cannot become an invoice (not XML,
refused by safe_xml, not a UBL Invoice/CreditNote, no invoice number, or an amount or date
that is present but unreadable), naming the line and the element. `invoice_from_ubl` maps a
document as far as it goes: a fragment (the conformance unit tests are fragments) becomes an
invoice whose missing values are empty or None, never an exception.

A CreditNote reduces what is payable: its net, tax and total are negated in the canonical
invoice (the UblDocument keeps the document's own values for the EN 16931 rules).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal

from lxml import etree

from payables.canonical import CanonicalInvoice
from payables.formats.records import SourceRecord
from payables.formats.safe_xml import XmlRejected, parse_xml
from payables.formats.ubl_model import (
    CREDIT_NOTE_NS,
    INVOICE_NS,
    NS,
    DocumentKind,
    UblDocument,
    clark,
    read_ubl_document,
    value_text,
)

__all__ = ["invoice_from_ubl", "read_ubl", "ubl_record"]

SELLER = "cac:AccountingSupplierParty/cac:Party"
BUYER = "cac:AccountingCustomerParty/cac:Party"
# Days from issue to due date -> payment terms; beyond the last, NET90.
_TERMS_BY_DAYS = ((15, "NET15"), (30, "NET30"), (45, "NET45"), (60, "NET60"))
_NO_DUE_DATE_TERMS = "NET30"


def read_ubl(data: bytes, defaults: Mapping[str, str] | None = None) -> Iterator[SourceRecord]:
    """The one record of a UBL document: an invoice, or the reason it is quarantined."""
    yield ubl_record(data, defaults)


def ubl_record(data: bytes, defaults: Mapping[str, str] | None = None) -> SourceRecord:
    try:
        root = parse_xml(data)
    except XmlRejected as exc:
        return SourceRecord(1, _decode(data, None), error=str(exc))
    raw = _decode(data, root)
    doc = read_ubl_document(root)
    if doc is None:
        return SourceRecord(1, raw, error=_not_ubl(root))
    problems = _problems(doc)
    if problems:
        return SourceRecord(1, raw, error="; ".join(problems))
    return SourceRecord(1, raw, invoice=invoice_from_ubl(doc, defaults))


def _decode(data: bytes, root: etree._Element | None) -> str:
    """The document as text, in its declared encoding where it parsed (else UTF-8)."""
    encoding = root.getroottree().docinfo.encoding if root is not None else None
    try:
        return data.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _not_ubl(root: etree._Element) -> str:
    if not isinstance(root.tag, str):
        return "the document has no element at its root"
    name = etree.QName(root)
    found = f"<{name.localname}>" + (
        f" in namespace {name.namespace}" if name.namespace else " (no namespace)"
    )
    return (
        f"line {root.sourceline}: the root element is {found}, not a UBL 2.1 Invoice ({INVOICE_NS}) "
        f"or CreditNote ({CREDIT_NOTE_NS}); payops reads UBL 2.1 / PEPPOL BIS Billing 3.0 XML only. "
        "Ask the sender for the invoice in that format."
    )


def _problems(doc: UblDocument) -> list[str]:
    """Why the document cannot become an invoice: no invoice number, unreadable values."""
    problems: list[str] = []
    root = doc.root
    id_node = root.find("cbc:ID", NS)
    if id_node is None or not value_text(id_node):
        state = (
            "has no cbc:ID"
            if id_node is None
            else f"has an empty cbc:ID (line {id_node.sourceline})"
        )
        problems.append(
            f"line {root.sourceline}: the {doc.kind} {state}, the invoice number (BT-1), so it cannot "
            "be identified; ask the sender for a complete document"
        )
    problems.extend(doc.unreadable)
    for path in ("cbc:IssueDate", "cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate"):
        node = root.find(path, NS)
        if node is not None and _iso_date(value_text(node)) is None:
            problems.append(
                f"line {node.sourceline}: {path.split('/')[-1]} '{value_text(node)}' is not an ISO date "
                "(YYYY-MM-DD)"
            )
    return problems


def _iso_date(text: str) -> date | None:
    """An xs:date (YYYY-MM-DD, optionally with a time zone) as a date, or None."""
    if len(text) < 10:
        return None
    zone = text[10:]
    if zone not in ("", "Z") and not (len(zone) == 6 and zone[0] in "+-" and zone[3] == ":"):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _text(parent: etree._Element | None, path: str) -> str:
    if parent is None:
        return ""
    return value_text(parent.find(clark(path)))


def _first(parent: etree._Element | None, *paths: str) -> str:
    """The first non-empty value among `paths`, in order."""
    for path in paths:
        value = _text(parent, path)
        if value:
            return value
    return ""


def _seller_tax_id(seller: etree._Element | None) -> str:
    """BT-31 (the CompanyID of the VAT scheme), else any PartyTaxScheme CompanyID (BT-32)."""
    schemes = [] if seller is None else seller.findall("cac:PartyTaxScheme", NS)
    ids = [(_text(s, "cac:TaxScheme/cbc:ID").upper(), _text(s, "cbc:CompanyID")) for s in schemes]
    vat = [company for scheme, company in ids if scheme == "VAT" and company]
    return next(iter(vat), next((company for _, company in ids if company), ""))


def _document_tax(doc: UblDocument) -> Decimal:
    """BT-110: the TaxTotal/TaxAmount in the document currency (0 when there is none)."""
    stated = [(t.currency, t.tax_amount) for t in doc.tax_totals if t.tax_amount is not None]
    if not doc.document_currency:  # a fragment without a currency: its first tax amount
        return stated[0][1] if stated else Decimal(0)
    return next((amount for cur, amount in stated if cur == doc.document_currency), Decimal(0))


def _payment_terms(root: etree._Element, issued: date | None) -> str:
    due = _iso_date(_first(root, "cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate"))
    if due is None or issued is None:
        return _NO_DUE_DATE_TERMS
    days = (due - issued).days
    return next((terms for limit, terms in _TERMS_BY_DAYS if days <= limit), "NET90")


def _negated(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else Decimal(0) - amount


def _client_id(root: etree._Element, defaults: Mapping[str, str]) -> str:
    if defaults.get("client_id"):
        return defaults["client_id"]
    buyer = root.find(BUYER, NS)
    return _first(buyer, "cac:PartyIdentification/cbc:ID", "cbc:EndpointID") or _text(
        root, "cbc:BuyerReference"
    )


def _require_ubl(root: etree._Element) -> UblDocument:
    doc = read_ubl_document(root)
    if doc is None:
        raise ValueError(_not_ubl(root))
    return doc


def invoice_from_ubl(
    source: UblDocument | etree._Element, defaults: Mapping[str, str] | None = None
) -> CanonicalInvoice:
    """The canonical invoice of a UBL Invoice/CreditNote, as far as the document goes.

    `defaults` may give client_id, business_line, payment_terms (and geography, used only
    when neither seller nor buyer states a country). Raises ValueError only for a root that
    is not a UBL Invoice or CreditNote.
    """
    doc = source if isinstance(source, UblDocument) else _require_ubl(source)
    defaults = defaults or {}
    root = doc.root
    seller, buyer = root.find(SELLER, NS), root.find(BUYER, NS)
    issued = _iso_date(_text(root, "cbc:IssueDate"))
    totals = doc.monetary_total
    net = totals.tax_exclusive_amount if totals else None
    total = totals.tax_inclusive_amount if totals else None
    tax: Decimal | None = _document_tax(doc)
    credit = doc.kind == DocumentKind.CREDIT_NOTE
    if credit:
        net, tax, total = _negated(net), _negated(tax), _negated(total)
    country = "cac:PostalAddress/cac:Country/cbc:IdentificationCode"
    return CanonicalInvoice(
        client_id=_client_id(root, defaults),
        business_line=defaults.get("business_line", ""),
        geography=(
            _text(seller, country) or _text(buyer, country) or defaults.get("geography", "")
        ).upper(),
        vendor_id=_first(
            seller,
            "cac:PartyIdentification/cbc:ID",
            "cbc:EndpointID",
            "cac:PartyLegalEntity/cbc:CompanyID",
        ),
        invoice_number=_text(root, "cbc:ID"),
        invoice_date=issued,
        currency=(doc.document_currency or "").upper(),
        net_amount=net,
        tax_amount=tax,
        total_amount=total,
        payment_terms=defaults.get("payment_terms") or _payment_terms(root, issued),
        vendor_name=_first(
            seller, "cac:PartyName/cbc:Name", "cac:PartyLegalEntity/cbc:RegistrationName"
        ),
        vendor_tax_id=_seller_tax_id(seller),
        vendor_iban=_text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
        po_number=_text(root, "cac:OrderReference/cbc:ID"),
        document_type="credit_note" if credit else "invoice",
        ubl=doc,
    )

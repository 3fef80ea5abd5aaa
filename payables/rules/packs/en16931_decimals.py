"""EN 16931 decimal rules for UBL documents: BR-DEC-nn, at most two decimals in amounts.

Each rule is the assert of the same id in the CEN schematron for UBL (validation 1.3.16):
`string-length(substring-after(cbc:X, '.')) <= 2` on the element's text as written (so
'100.000' has three decimals, and so has '1.00 ' with a trailing blank), once per context node
(see en16931_core.py, whose document index these rules share).

BR-DEC-13 and BR-DEC-15 are kept as the schematron has them: their tests look for
`cbc:TaxAmount[@currencyID = cbc:DocumentCurrencyCode]`, where cbc:DocumentCurrencyCode is
read below the TaxAmount, finds nothing there, and so they are always true: they never fire
(and the official unit tests have no case for them). The UBL schematron has no assert for
BR-DEC-03, 04, 07, 08, 21, 22 and 26 (their amounts are not in the UBL binding of the model
as checked), so they are not here either.
"""

from __future__ import annotations

from collections.abc import Callable

from payables.rules.base import RulePack
from payables.rules.packs.en16931_core import (
    Element,
    _ask,
    _cbc,
    _never,
    node_rule,
    string_value,
    where,
)

PACK = RulePack(
    "en16931-decimals",
    "1.3.16",
    source="EN16931",
    description="EN 16931 decimal rules (BR-DEC-nn) for UBL invoices and credit notes",
)


def _decimals(node: Element | None) -> int:
    text = string_value(node)
    return len(text.partition(".")[2]) if "." in text else 0


def _at_most_two(local: str) -> Callable[[Element], bool]:
    tag = _cbc(local)

    def ok(node: Element) -> bool:
        return _decimals(node.find(tag)) <= 2

    return ok


def _too_many(local: str, what: str, bt: str) -> Callable[[Element], str]:
    tag = _cbc(local)

    def message(node: Element) -> str:
        amount = node.find(tag)
        return (
            f"{where(node)}: the {what} ({bt}, cbc:{local}) is '{string_value(amount)}', with "
            f"{_decimals(amount)} decimals; at most 2 are allowed"
        )

    return message


_RULES: tuple[tuple[str, str, str, str, str], ...] = (
    ("BR-DEC-01", "doc_allowances", "Amount", "Document level allowance amount", "BT-92"),
    ("BR-DEC-02", "doc_allowances", "BaseAmount", "Document level allowance base amount", "BT-93"),
    ("BR-DEC-05", "doc_charges", "Amount", "Document level charge amount", "BT-99"),
    ("BR-DEC-06", "doc_charges", "BaseAmount", "Document level charge base amount", "BT-100"),
    ("BR-DEC-09", "monetary_totals", "LineExtensionAmount", "Sum of Invoice line net amount", "BT-106"),
    ("BR-DEC-10", "monetary_totals", "AllowanceTotalAmount", "Sum of allowances on document level", "BT-107"),
    ("BR-DEC-11", "monetary_totals", "ChargeTotalAmount", "Sum of charges on document level", "BT-108"),
    ("BR-DEC-12", "monetary_totals", "TaxExclusiveAmount", "Invoice total amount without VAT", "BT-109"),
    ("BR-DEC-14", "monetary_totals", "TaxInclusiveAmount", "Invoice total amount with VAT", "BT-112"),
    ("BR-DEC-16", "monetary_totals", "PrepaidAmount", "Paid amount", "BT-113"),
    ("BR-DEC-17", "monetary_totals", "PayableRoundingAmount", "Rounding amount", "BT-114"),
    ("BR-DEC-18", "monetary_totals", "PayableAmount", "Amount due for payment", "BT-115"),
    ("BR-DEC-19", "tax_subtotals", "TaxableAmount", "VAT category taxable amount", "BT-116"),
    ("BR-DEC-20", "tax_subtotals", "TaxAmount", "VAT category tax amount", "BT-117"),
    ("BR-DEC-23", "lines", "LineExtensionAmount", "Invoice line net amount", "BT-131"),
    ("BR-DEC-24", "line_allowances", "Amount", "Invoice line allowance amount", "BT-136"),
    ("BR-DEC-25", "line_allowances", "BaseAmount", "Invoice line allowance base amount", "BT-137"),
    ("BR-DEC-27", "line_charges", "Amount", "Invoice line charge amount", "BT-141"),
    ("BR-DEC-28", "line_charges", "BaseAmount", "Invoice line charge base amount", "BT-142"),
)

for _id, _contexts, _local, _what, _bt in _RULES:
    node_rule(
        PACK,
        _id,
        f"The allowed maximum number of decimals for the {_what} ({_bt}) is 2",
        _contexts,
        _at_most_two(_local),
        _too_many(_local, _what, _bt),
        _ask(f"with the {_what} ({_bt}) given to at most 2 decimals"),
        fast=f"string-length(substring-after(cbc:{_local}, '.')) <= 2",
    )

for _id, _bt in (("BR-DEC-13", "BT-110"), ("BR-DEC-15", "BT-111")):
    node_rule(
        PACK,
        _id,
        f"The allowed maximum number of decimals for the Invoice total VAT amount ({_bt}) is 2",
        "nothing",
        _never,  # always true as the schematron states it (see the module's docstring)
        lambda n: "",
        "",
    )

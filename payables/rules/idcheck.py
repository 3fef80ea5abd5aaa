"""Tax id and IBAN checks with real check digits, per country (python-stdnum, schwifty).

Results are cached: a batch names the same vendors over and over, and these checks are
the dearest part of validating an invoice.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from types import ModuleType
from typing import Any

from schwifty import IBAN
from schwifty import exceptions as iban_errors
from schwifty.registry import get_iban_spec
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError

_KINDS = ("vat", "gstin", "tin", "nif", "cnpj", "abn", "bn", "rfc", "cn", "uid")
_SEPARATORS = re.compile(r"[\s.\-/]")
_IBAN_REASONS = {
    iban_errors.InvalidChecksumDigits: "its check digits are wrong",
    iban_errors.InvalidLength: "its length is wrong for the country",
    iban_errors.InvalidCountryCode: "it does not start with a known IBAN country code",
    iban_errors.InvalidStructure: "its characters do not follow the country's IBAN layout",
    iban_errors.InvalidBBANChecksum: "the national account check digits inside it are wrong",
}


@lru_cache(maxsize=256)
def tax_id_module(country: str) -> Any:
    """The python-stdnum module that checks tax ids of `country`, if there is one."""
    for kind in _KINDS:
        module = get_cc_module(country.lower(), kind)
        if module is not None:
            return module
    return None


@lru_cache(maxsize=65536)
def tax_id_problem(country: str, tax_id: str) -> str | None:
    """Why `tax_id` is not a valid tax id of `country`; None when it is (or cannot be checked)."""
    module = tax_id_module(country)
    if module is None:
        return None
    try:
        module.validate(tax_id)
    except ValidationError as exc:
        reason = str(exc).rstrip(".")
        return f"{reason[0].lower()}{reason[1:]} (checked as {module_label(module)})"
    return None


def module_label(module: ModuleType) -> str:
    """The id's name as python-stdnum documents it, e.g. 'GSTIN (Goods and Services Tax ...)'."""
    return (module.__doc__ or module.__name__).strip().splitlines()[0].rstrip(".")


@lru_cache(maxsize=65536)
def compact_tax_id(tax_id: str, country: str = "") -> str:
    """A tax id without separators and without a leading country prefix, for comparison."""
    text = _SEPARATORS.sub("", tax_id).upper()
    prefixes = {country.upper(), "EL" if country.upper() == "GR" else ""} - {""}
    for prefix in prefixes:
        if text.startswith(prefix) and len(text) > len(prefix) + 2:
            return text[len(prefix):]
    return text


@lru_cache(maxsize=65536)
def compact_iban(iban: str) -> str:
    return re.sub(r"\s", "", iban).upper()


@lru_cache(maxsize=256)
def is_iban_country(country: str) -> bool:
    try:
        get_iban_spec(country.upper())
    except iban_errors.InvalidCountryCode:
        return False
    return True


@lru_cache(maxsize=65536)
def iban_problem(iban: str) -> str | None:
    """Why `iban` is not a valid IBAN; None when it is (check digits and national checksum)."""
    try:
        with warnings.catch_warnings():
            # schwifty warns where it has no national checksum (e.g. SE); the IBAN's own
            # check digits are still verified, which is what BANK-01 promises there.
            warnings.simplefilter("ignore")
            IBAN(iban, validate_bban=True)
    except iban_errors.SchwiftyException as exc:
        for kind, reason in _IBAN_REASONS.items():
            if isinstance(exc, kind):
                return reason
        return str(exc)
    return None

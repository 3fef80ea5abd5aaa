"""IBANs with right check digits, national BBAN check digits included, and broken ones.

Banks are real ones (their codes are in schwifty's bank registry), so that the national
checksum method schwifty applies is the one computed here: German accounts use banks
with Bundesbank method 00, the other countries their single national algorithm.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable

from schwifty.exceptions import NationalChecksumNotVerified
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.es import ccc as es_ccc
from stdnum.it import codicefiscale as it_cf

from payables.demo.ids import digits, shift
from payables.rules.idcheck import iban_problem

BbanMaker = Callable[[random.Random, int], str]
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

BANKS: dict[str, tuple[str, ...]] = {
    "DE": ("20050550", "23050101", "12030000", "37050198"),  # all check with method 00
    "FR": ("30004", "30002", "10278", "30066", "20041"),
    "ES": ("2100", "0049", "0182", "0081", "2080"),
    "IT": ("03069", "02008", "05034", "01030", "03062"),
    "BE": ("001", "068", "310", "735", "363"),
    "PL": ("10201026", "11402004", "12401037", "10901014", "10500086"),
    "AT": ("12000", "20111", "32000", "14000"),
    "GB": ("NWBK", "BARC", "LOYD", "HBUK", "MIDL"),
    "IE": ("AIBK", "BOFI", "IPBS"),
    "SE": ("500", "800", "600", "300"),
    "NL": ("ABNA", "INGB", "RABO", "TRIO", "SNSB", "KNAB"),
    "BR": ("00000000", "00360305", "60746948", "60701190", "90400888"),
}
_GB_SORT_PREFIX = {"NWBK": "60", "BARC": "20", "LOYD": "30", "HBUK": "40", "MIDL": "40"}
_IE_SORT_PREFIX = {"AIBK": "93", "BOFI": "90", "IPBS": "99"}


def _de(rng: random.Random, skew: int) -> str:
    body = rng.choice("0123456789") + digits(rng, 8, lead="0123456789")
    return rng.choice(BANKS["DE"]) + body + shift(luhn.calc_check_digit(body), skew)  # method 00


def _fr(rng: random.Random, skew: int) -> str:
    bank, branch, account = rng.choice(BANKS["FR"]), digits(rng, 5, lead="0"), digits(rng, 11, lead="0")
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97  # the RIB key
    return f"{bank}{branch}{account}{(key + skew) % 100:02d}"


def _es(rng: random.Random, skew: int) -> str:
    bank_branch, account = rng.choice(BANKS["ES"]) + digits(rng, 4, lead="0123"), digits(rng, 10)
    check = es_ccc.calc_check_digits(bank_branch + "00" + account)
    return bank_branch + check[0] + shift(check[1], skew) + account


def _it(rng: random.Random, skew: int) -> str:
    rest = rng.choice(BANKS["IT"]) + digits(rng, 5, lead="0123") + digits(rng, 12, lead="0")
    cin = it_cf.calc_check_digit(rest)  # the CIN uses the fiscal-code odd/even tables
    return shift(cin, skew, _UPPER) + rest


def _be(rng: random.Random, skew: int) -> str:
    body = rng.choice(BANKS["BE"]) + digits(rng, 7, lead="0123456789")
    check = int(body) % 97 or 97
    return f"{body}{(check + skew - 1) % 97 + 1:02d}"


def _pl(rng: random.Random, skew: int) -> str:
    return rng.choice(BANKS["PL"]) + digits(rng, 16, lead="0")


def _nl(rng: random.Random, skew: int) -> str:
    while True:  # Dutch account numbers pass the 11-test (elfproef), weights 10..1
        head = digits(rng, 9)
        last = -sum((10 - i) * int(d) for i, d in enumerate(head)) % 11
        if last < 10:
            return rng.choice(BANKS["NL"]) + head + str(last)


def _gb(rng: random.Random, skew: int) -> str:
    bank = rng.choice(BANKS["GB"])
    return bank + _GB_SORT_PREFIX[bank] + digits(rng, 4, lead="0123456789") + digits(rng, 8)


def _ie(rng: random.Random, skew: int) -> str:
    bank = rng.choice(BANKS["IE"])
    return bank + _IE_SORT_PREFIX[bank] + digits(rng, 4, lead="0123456789") + digits(rng, 8)


def _at(rng: random.Random, skew: int) -> str:
    return rng.choice(BANKS["AT"]) + digits(rng, 11, lead="0")


def _se(rng: random.Random, skew: int) -> str:
    return rng.choice(BANKS["SE"]) + digits(rng, 17, lead="0")


def _br(rng: random.Random, skew: int) -> str:
    return rng.choice(BANKS["BR"]) + digits(rng, 5, lead="0") + digits(rng, 10, lead="0") + "C1"


BBAN_MAKERS: dict[str, BbanMaker] = {
    "DE": _de, "FR": _fr, "ES": _es, "IT": _it, "BE": _be, "PL": _pl, "NL": _nl, "GB": _gb,
    "IE": _ie, "AT": _at, "SE": _se, "BR": _br,
}
# Countries whose BBAN carries national check digits that schwifty verifies.
NATIONAL_CHECK = ("DE", "FR", "ES", "IT", "BE")


def iban_from_bban(country: str, bban: str) -> str:
    return country + std_iban.calc_check_digits(country + "00" + bban) + bban


def make_iban(country: str, rng: random.Random, *, broken: str = "") -> str:
    """A valid IBAN of `country`; `broken` "check" spoils its IBAN check digits, "bban" its
    national check digits (the IBAN check digits then being computed over the bad BBAN)."""
    if broken == "bban" and country not in NATIONAL_CHECK:
        raise ValueError(f"{country} BBANs have no national check digits to break")
    bban = BBAN_MAKERS[country](rng, rng.randint(1, 9) if broken == "bban" else 0)
    iban = iban_from_bban(country, bban)
    if broken == "check":
        good = int(iban[2:4])
        iban = f"{iban[:2]}{(good - 2 + rng.randint(1, 9)) % 97 + 2:02d}{iban[4:]}"
    with warnings.catch_warnings():  # SE: schwifty cannot verify national digits, and says so
        warnings.simplefilter("ignore", NationalChecksumNotVerified)
        problem = iban_problem(iban)
    if (problem is None) == bool(broken):
        raise AssertionError(f"demo IBAN {iban} ({country}, broken={broken!r}): {problem or 'valid'}")
    return iban


def printed(iban: str) -> str:
    """The IBAN as printed on paper: groups of four."""
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))

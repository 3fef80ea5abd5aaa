"""Tax ids with real check digits, per country, and deliberately broken ones.

Check digits come from python-stdnum's own helpers where the module has one
(calc_check_digit / calc_check_digits / checksum) and from the published algorithm
otherwise. A broken id is the same construction with its check digit(s) shifted by
`skew`, so it fails exactly on the check digit, as a typo would.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from stdnum import luhn
from stdnum.at import uid as at_uid
from stdnum.au import abn as au_abn
from stdnum.br import cnpj as br_cnpj
from stdnum.es import cif as es_cif
from stdnum.gb import vat as gb_vat
from stdnum.ie import vat as ie_vat
from stdnum.iso7064 import mod_11_10
from stdnum.jp import cn as jp_cn
from stdnum.nl import bsn as nl_bsn
from stdnum.pl import nip as pl_nip

from payables.rules.idcheck import tax_id_problem

TaxIdMaker = Callable[[random.Random, int, str], str]
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_EIN_PREFIXES = ("10", "13", "20", "26", "27", "30", "33", "35", "45", "46", "52", "54", "61",
                 "75", "81", "84", "86", "91", "94", "95")
_GST_STATES = ("27", "29", "07", "33", "24", "36", "19", "06", "09", "32")


def digits(rng: random.Random, n: int, *, lead: str = "123456789") -> str:
    """n random digits, the first one drawn from `lead`."""
    return rng.choice(lead) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def shift(char: str, skew: int, alphabet: str = "0123456789") -> str:
    """`char` moved `skew` places along `alphabet` (skew 0: unchanged)."""
    return alphabet[(alphabet.index(char) + skew) % len(alphabet)]


def _de(rng: random.Random, skew: int, name: str) -> str:
    body = digits(rng, 8)
    return "DE" + body + shift(mod_11_10.calc_check_digit(body), skew)


def _fr(rng: random.Random, skew: int, name: str) -> str:
    head = digits(rng, 8, lead="3456789")
    siren = head + luhn.calc_check_digit(head)
    key = (12 + 3 * (int(siren) % 97)) % 97  # the published TVA key over the SIREN
    return f"FR{(key + skew) % 97:02d}{siren}"


def _gb(rng: random.Random, skew: int, name: str) -> str:
    body = digits(rng, 7, lead="123456789")
    weighted = gb_vat.checksum(body + "00")  # weights 8..2 (and 10, 1 on the check digits)
    check = (-weighted + skew) % 97
    return f"GB{body}{check:02d}"


def _nl(rng: random.Random, skew: int, name: str) -> str:
    while True:
        body = digits(rng, 8)
        check = sum((9 - i) * int(d) for i, d in enumerate(body)) % 11  # the BSN 11-test
        if check < 10:
            break
    number = body + shift(str(check), skew)
    assert skew or nl_bsn.checksum(number) == 0
    return f"NL{number}B{rng.choice(('01', '01', '01', '02'))}"


def _es(rng: random.Random, skew: int, name: str) -> str:
    head = rng.choice("AB") + rng.choice(("08", "28", "46", "41", "48", "15", "29")) + digits(rng, 5, lead="0123456789")
    check = es_cif.calc_check_digits(head)[0]  # A and B companies take the numeric form
    return "ES" + head + shift(check, skew)


def _it(rng: random.Random, skew: int, name: str) -> str:
    body = digits(rng, 7, lead="0123") + rng.choice(("015", "096", "058", "037", "001", "021", "063"))
    if int(body[:7]) == 0:
        body = "1" + body[1:]
    return "IT" + body + shift(luhn.calc_check_digit(body), skew)


def _be(rng: random.Random, skew: int, name: str) -> str:
    body = rng.choice("01") + digits(rng, 7, lead="2345678")
    check = 97 - int(body) % 97
    return f"BE{body}{(check + skew - 1) % 97 + 1:02d}"


def _at(rng: random.Random, skew: int, name: str) -> str:
    body = "U" + digits(rng, 7)
    return "AT" + body + shift(at_uid.calc_check_digit(body), skew)


def _pl(rng: random.Random, skew: int, name: str) -> str:
    while True:
        body = digits(rng, 9)
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body, strict=True)) % 11
        if check < 10:
            break
    number = body + shift(str(check), skew)
    assert skew or pl_nip.checksum(number) == 0
    return "PL" + number


def _se(rng: random.Random, skew: int, name: str) -> str:
    head = rng.choice(("556", "559")) + digits(rng, 6, lead="0123456789")
    return "SE" + head + shift(luhn.calc_check_digit(head), skew) + "01"


def _ie(rng: random.Random, skew: int, name: str) -> str:
    body = digits(rng, 7, lead="3689")
    if rng.random() < 0.4:  # the newer 9-character form ends in H
        return "IE" + body + shift(ie_vat.calc_check_digit(body + "H"), skew, "WABCDEFGHIJKLMNOPQRSTUV") + "H"
    return "IE" + body + shift(ie_vat.calc_check_digit(body), skew, "WABCDEFGHIJKLMNOPQRSTUV")


def _in(rng: random.Random, skew: int, name: str) -> str:
    initial = next((c for c in name.upper() if c in _UPPER), "A")
    pan = "".join(rng.choice(_UPPER) for _ in range(3)) + "C" + initial + digits(rng, 4) + rng.choice(_UPPER)
    head = rng.choice(_GST_STATES) + pan + rng.choice("1112") + "Z"
    return head + shift(luhn.calc_check_digit(head, _ALNUM), skew, _ALNUM)


def _us(rng: random.Random, skew: int, name: str) -> str:
    # An EIN has no check digit: only its campus prefix can be checked, so never "broken".
    return rng.choice(_EIN_PREFIXES) + "-" + digits(rng, 7, lead="0123456789")


def _br(rng: random.Random, skew: int, name: str) -> str:
    head = digits(rng, 8) + "0001"
    check = br_cnpj.calc_check_digits(head)
    return br_cnpj.format(head + check[0] + shift(check[1], skew))


def _jp(rng: random.Random, skew: int, name: str) -> str:
    body = digits(rng, 12)
    return shift(jp_cn.calc_check_digit(body), skew) + body


def _au(rng: random.Random, skew: int, name: str) -> str:
    body = digits(rng, 9)
    check = int(au_abn.calc_check_digits(body))
    check = check if not skew else 10 + (check - 10 + skew) % 90
    return au_abn.format(f"{check:02d}{body}")


TAX_ID_MAKERS: dict[str, TaxIdMaker] = {
    "DE": _de, "FR": _fr, "GB": _gb, "NL": _nl, "ES": _es, "IT": _it, "BE": _be, "AT": _at,
    "PL": _pl, "SE": _se, "IE": _ie, "IN": _in, "US": _us, "BR": _br, "JP": _jp, "AU": _au,
}
# Countries whose tax id has no check digit to get wrong.
NO_CHECK_DIGIT = ("US",)


def make_tax_id(country: str, rng: random.Random, *, name: str = "", broken: bool = False) -> str:
    """A tax id of `country` that validates (or, if `broken`, fails on its check digit)."""
    if broken and country in NO_CHECK_DIGIT:
        raise ValueError(f"{country} tax ids have no check digit to break")
    for _ in range(20):  # a broken id may, rarely, hit another valid form (NL: MOD 97-10)
        skew = rng.randint(1, 9) if broken else 0
        tax_id = TAX_ID_MAKERS[country](rng, skew, name)
        problem = tax_id_problem(country, tax_id)
        if (problem is None) != broken:
            return tax_id
    raise AssertionError(f"demo tax id {tax_id} ({country}, broken={broken}): {problem or 'valid'}")

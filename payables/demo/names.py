"""What the demo world is made of: countries, currencies, names, tax rates, programs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Country:
    name: str
    currency: str
    vendors: int  # how many vendors of this country the vendor master holds
    stems: tuple[str, ...]
    trades: tuple[str, ...]
    suffixes: tuple[str, ...]
    trade_first: bool = False  # "Transports Dupont SAS" rather than "Dupont Transports SAS"
    tax_rates: tuple[str, ...] = ("0",)  # percent, drawn in proportion to how often they occur


def _t(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|"))


COUNTRIES: dict[str, Country] = {
    "DE": Country("Germany", "EUR", 60, _t("Müller|Schmidt|Schneider|Fischer|Weber|Becker|Hoffmann|Schäfer|Koch|Richter|Wolf|Neumann|Krüger|Hartmann|Nordstern|Rhein-Main|Hanse|Elbtal"),
                  _t("Logistik|Verpackung|Elektrotechnik|Maschinenbau|Spedition|Druckerei|Gebäudeservice|Datentechnik|Lagertechnik"),
                  _t("GmbH|GmbH|AG|GmbH & Co. KG|KG"), tax_rates=_t("19|19|19|19|19|19|19|7|7|0")),
    "FR": Country("France", "EUR", 40, _t("Dupont|Lefèvre|Moreau|Laurent|Girard|Bonnet|Mercier|Fournier|Rousseau|Garnier|Atlantique|Provence|Lyonnaise|Bretagne"),
                  _t("Transports|Emballages|Services|Logistique|Informatique|Industries|Distribution|Conseil"),
                  _t("SAS|SAS|SARL|SA"), trade_first=True, tax_rates=_t("20|20|20|20|20|20|20|10|5.5|0")),
    "GB": Country("United Kingdom", "GBP", 45, _t("Harrington|Whitfield|Ashworth|Pennine|Thames|Kingsbridge|Hartley|Caldwell|Northgate|Brightwell|Severn|Cotswold"),
                  _t("Logistics|Packaging|Facilities|Consulting|Supplies|Engineering|Print|Data Services"),
                  _t("Ltd|Ltd|Ltd|plc|LLP"), tax_rates=_t("20|20|20|20|20|20|5|0")),
    "NL": Country("Netherlands", "EUR", 25, _t("de Vries|Jansen|Bakker|Visser|Smit|Meijer|van Dijk|Mulder|Hollandia|Rijnmond|Zeeland"),
                  _t("Transport|Verpakkingen|Techniek|Logistiek|Installatie|Groothandel"),
                  _t("B.V.|B.V.|B.V.|N.V."), tax_rates=_t("21|21|21|21|21|21|9|0")),
    "ES": Country("Spain", "EUR", 25, _t("García|Fernández|López|Martínez|Sánchez|Iberia|Levante|Cantábrica|Castellana|Andaluza"),
                  _t("Transportes|Embalajes|Servicios|Logística|Suministros|Informática"),
                  _t("S.L.|S.L.|S.A."), trade_first=True, tax_rates=_t("21|21|21|21|21|21|10|0")),
    "IT": Country("Italy", "EUR", 25, _t("Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Adriatica|Padana|Tirrenia"),
                  _t("Trasporti|Imballaggi|Servizi|Logistica|Forniture|Impianti"),
                  _t("S.r.l.|S.r.l.|S.p.A."), trade_first=True, tax_rates=_t("22|22|22|22|22|22|10|0")),
    "BE": Country("Belgium", "EUR", 15, _t("Peeters|Janssens|Maes|Jacobs|Mertens|Willems|Dubois|Lambert|Brabant|Schelde"),
                  _t("Logistics|Transport|Verpakking|Services|Techniek"),
                  _t("BV|NV|SA|SRL"), tax_rates=_t("21|21|21|21|21|6|0")),
    "AT": Country("Austria", "EUR", 15, _t("Gruber|Huber|Bauer|Wagner|Pichler|Steiner|Moser|Hofer|Alpen|Donau|Tirol"),
                  _t("Logistik|Technik|Handel|Bau|Transporte"),
                  _t("GmbH|GmbH|AG|KG"), tax_rates=_t("20|20|20|20|20|10|0")),
    "PL": Country("Poland", "PLN", 20, _t("Nowak|Kowalski|Wiśniewski|Wójcik|Kowalczyk|Kamiński|Lewandowski|Zieliński|Mazowsze|Bałtyk|Wisła"),
                  _t("Transport|Logistyka|Opakowania|Usługi|Systemy|Budownictwo"),
                  _t("Sp. z o.o.|Sp. z o.o.|S.A."), tax_rates=_t("23|23|23|23|23|8|0")),
    "SE": Country("Sweden", "SEK", 15, _t("Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Norrland|Göta|Mälardalen"),
                  _t("Logistik|Förpackning|Teknik|Transport|Fastighetsservice"),
                  _t("AB",), tax_rates=_t("25|25|25|25|25|12|0")),
    "IE": Country("Ireland", "EUR", 15, _t("O'Brien|Murphy|Kelly|Byrne|Walsh|Ryan|O'Connor|Liffey|Shannon|Atlantic"),
                  _t("Logistics|Facilities|Print|Consulting|Supplies|Engineering"),
                  _t("Ltd|Ltd|DAC|Unlimited Company"), tax_rates=_t("23|23|23|23|23|13.5|0")),
    "IN": Country("India", "INR", 40, _t("Sharma|Patel|Reddy|Iyer|Gupta|Agarwal|Mehta|Kapoor|Bharat|Deccan|Sahyadri|Ganga"),
                  _t("Logistics|Packaging|Infotech|Engineering|Traders|Freight|Tech Solutions"),
                  _t("Pvt Ltd|Private Limited|LLP|Ltd"), tax_rates=_t("18|18|18|18|18|12|5|28")),
    "US": Country("United States", "USD", 70, _t("Anderson|Whitman|Redwood|Liberty|Summit|Pioneer|Keystone|Lakeshore|Cascade|Bluegrass|Harbor|Prairie"),
                  _t("Logistics|Packaging|Supply|Technologies|Freight|Industrial|Data Systems|Facilities"),
                  _t("Inc.|Inc.|LLC|Corp."), tax_rates=_t("0|0|0|0|0|0|7.25|8.875|6")),
    "BR": Country("Brazil", "BRL", 20, _t("Silva|Santos|Oliveira|Souza|Pereira|Costa|Paulista|Carioca|Amazônia|Cerrado"),
                  _t("Transportes|Embalagens|Serviços|Logística|Tecnologia|Comércio"),
                  _t("Ltda.|Ltda.|S.A."), trade_first=True, tax_rates=_t("5|5|2|0")),
    "JP": Country("Japan", "JPY", 25, _t("Tanaka|Suzuki|Takahashi|Watanabe|Yamamoto|Nakamura|Kobayashi|Sakura|Fuji|Kansai|Nippon"),
                  _t("Logistics|Packaging|Electric|Trading|Systems|Shoji|Seiki"),
                  _t("Co., Ltd.|Co., Ltd.|K.K.|Corporation"), tax_rates=_t("10|10|10|10|8")),
    "AU": Country("Australia", "AUD", 20, _t("Murray|Darling|Coastal|Outback|Southern Cross|Harbourside|Kingsford|Banksia|Wattle"),
                  _t("Logistics|Freight|Packaging|Services|Engineering|Supplies"),
                  _t("Pty Ltd",), tax_rates=_t("10|10|10|10|0")),
}
COUNTRY_CODES = tuple(COUNTRIES)

# Approximate value of one unit in USD, where each currency's rate walk starts.
USD_RATES: dict[str, Decimal] = {
    "USD": Decimal(1), "EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "PLN": Decimal("0.25"),
    "SEK": Decimal("0.095"), "INR": Decimal("0.012"), "BRL": Decimal("0.18"),
    "JPY": Decimal("0.0067"), "AUD": Decimal("0.66"),
}

BUSINESS_LINES = ("RETAIL", "DIGITAL", "LOGISTICS", "CLOUD", "CORPORATE")
PROGRAMS: dict[str, tuple[str, ...]] = {
    "RETAIL": _t("Stores|Marketplace|Grocery|Fashion|Home & Living|Electronics|Outlet|Pharmacy|Books|Sports|Toys|Garden|Beauty|Pet Supplies|Furniture|DIY"),
    "DIGITAL": _t("Streaming|Ads|App Store|Music|Games|E-Books|Podcasts|Subscriptions|Smart Home|Photos|Maps|Video|Devices|Payments|Kids|News"),
    "LOGISTICS": _t("Freight|Last Mile|Fulfilment|Air Cargo|Ocean|Returns|Cross Dock|Linehaul|Customs|Cold Chain|Parcel|Fleet|Warehousing|Rail|Sortation|Yard"),
    "CLOUD": _t("Compute|Storage|Data Centers|Networking|Edge|Databases|Analytics|Security|AI Platform|Backup|CDN|Energy|Hardware|Colocation|Support|Training"),
    "CORPORATE": _t("Facilities|Legal|HR Services|Travel|Finance Ops|Marketing|Procurement|Real Estate|Events|IT Services|Learning|Benefits|Audit|Tax|Communications|Security"),
}

# Median invoice size in USD and its spread (lognormal sigma), per business line.
AMOUNT_PROFILE: dict[str, tuple[int, float]] = {
    "RETAIL": (2500, 1.0), "DIGITAL": (1500, 1.1), "LOGISTICS": (4000, 0.9),
    "CLOUD": (8000, 1.2), "CORPORATE": (3000, 1.3),
}

# Payment terms and how often clients use each.
TERMS = ("NET30", "NET45", "NET60", "NET15", "EOM", "NET90", "IMMEDIATE")
TERM_WEIGHTS = (34, 15, 14, 10, 10, 5, 12)

INVOICE_STYLES = ("INV-{n:06d}", "{year}-{n:05d}", "RE-{yy}{n:05d}", "F{year}/{n:05d}", "{tag}{n:07d}",
                  "{tag}-{yy}-{n:04d}")

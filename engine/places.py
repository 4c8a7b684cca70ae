"""Port and place equivalence: one canonical name per place, whatever way a document writes it.

A credit says ROTTERDAM, the bill of lading says "PORT OF ROTTERDAM, NETHERLANDS" or the
UN/LOCODE NLRTM: the same port (ISBP 821 E6 accepts the port named by its name or its code).
The table below is a small built-in list of major ports and their usual alternative names;
it is data we wrote (port names and UN/LOCODEs are public facts), not a copy of UN/LOCODE.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein
from unidecode import unidecode

# canonical name -> (ISO 3166 alpha-2 country, UN/LOCODE, other names as written on documents)
PORTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ROTTERDAM": ("NL", "NLRTM", ("EUROPOORT",)),
    "AMSTERDAM": ("NL", "NLAMS", ()),
    "ANTWERP": ("BE", "BEANR", ("ANTWERPEN", "ANVERS")),
    "HAMBURG": ("DE", "DEHAM", ()),
    "BREMERHAVEN": ("DE", "DEBRV", ()),
    "LE HAVRE": ("FR", "FRLEH", ("HAVRE",)),
    "MARSEILLE": ("FR", "FRMRS", ("MARSEILLES", "FOS SUR MER")),
    "FELIXSTOWE": ("GB", "GBFXT", ()),
    "SOUTHAMPTON": ("GB", "GBSOU", ()),
    "LONDON GATEWAY": ("GB", "GBLGP", ()),
    "ALGECIRAS": ("ES", "ESALG", ()),
    "VALENCIA": ("ES", "ESVLC", ()),
    "BARCELONA": ("ES", "ESBCN", ()),
    "GENOA": ("IT", "ITGOA", ("GENOVA",)),
    "LA SPEZIA": ("IT", "ITSPE", ()),
    "PIRAEUS": ("GR", "GRPIR", ()),
    "GDANSK": ("PL", "PLGDN", ("DANZIG",)),
    "GOTHENBURG": ("SE", "SEGOT", ("GOTEBORG", "GOETEBORG")),
    "ISTANBUL": ("TR", "TRIST", ("AMBARLI",)),
    "MERSIN": ("TR", "TRMER", ()),
    "SHANGHAI": ("CN", "CNSHA", ("YANGSHAN",)),
    "NINGBO": ("CN", "CNNGB", ("NINGBO ZHOUSHAN", "BEILUN")),
    "SHENZHEN": ("CN", "CNSZX", ("YANTIAN", "SHEKOU", "CHIWAN")),
    "GUANGZHOU": ("CN", "CNCAN", ("NANSHA", "HUANGPU", "CANTON")),
    "QINGDAO": ("CN", "CNTAO", ("TSINGTAO",)),
    "TIANJIN": ("CN", "CNTSN", ("XINGANG", "TIANJIN XINGANG")),
    "XIAMEN": ("CN", "CNXMN", ("AMOY",)),
    "DALIAN": ("CN", "CNDLC", ()),
    "HONG KONG": ("HK", "HKHKG", ("HONGKONG",)),
    "KAOHSIUNG": ("TW", "TWKHH", ()),
    "KEELUNG": ("TW", "TWKEL", ("CHILUNG",)),
    "BUSAN": ("KR", "KRPUS", ("PUSAN",)),
    "INCHEON": ("KR", "KRINC", ("INCHON",)),
    "TOKYO": ("JP", "JPTYO", ()),
    "YOKOHAMA": ("JP", "JPYOK", ()),
    "KOBE": ("JP", "JPUKB", ()),
    "NAGOYA": ("JP", "JPNGO", ()),
    "OSAKA": ("JP", "JPOSA", ()),
    "SINGAPORE": ("SG", "SGSIN", ()),
    "PORT KLANG": ("MY", "MYPKG", ("KLANG", "PORT KELANG")),
    "TANJUNG PELEPAS": ("MY", "MYTPP", ()),
    "PENANG": ("MY", "MYPEN", ("GEORGE TOWN PENANG",)),
    "LAEM CHABANG": ("TH", "THLCH", ()),
    "BANGKOK": ("TH", "THBKK", ()),
    "HO CHI MINH CITY": ("VN", "VNSGN", ("SAIGON", "HO CHI MINH", "HCMC", "CAT LAI")),
    "HAIPHONG": ("VN", "VNHPH", ("HAI PHONG",)),
    "JAKARTA": ("ID", "IDJKT", ("TANJUNG PRIOK",)),
    "SURABAYA": ("ID", "IDSUB", ("TANJUNG PERAK",)),
    "MANILA": ("PH", "PHMNL", ()),
    "CHITTAGONG": ("BD", "BDCGP", ("CHATTOGRAM",)),
    "COLOMBO": ("LK", "LKCMB", ()),
    "NHAVA SHEVA": ("IN", "INNSA", ("JAWAHARLAL NEHRU", "JNPT", "JAWAHARLAL NEHRU PORT")),
    "MUMBAI": ("IN", "INBOM", ("BOMBAY",)),
    "CHENNAI": ("IN", "INMAA", ("MADRAS",)),
    "KOLKATA": ("IN", "INCCU", ("CALCUTTA",)),
    "MUNDRA": ("IN", "INMUN", ()),
    "KARACHI": ("PK", "PKKHI", ()),
    "JEBEL ALI": ("AE", "AEJEA", ()),
    "DUBAI": ("AE", "AEDXB", ()),
    "JEDDAH": ("SA", "SAJED", ("JIDDAH",)),
    "DAMMAM": ("SA", "SADMM", ()),
    "PORT SAID": ("EG", "EGPSD", ()),
    "ALEXANDRIA": ("EG", "EGALY", ()),
    "DURBAN": ("ZA", "ZADUR", ()),
    "CAPE TOWN": ("ZA", "ZACPT", ()),
    "MOMBASA": ("KE", "KEMBA", ()),
    "DAR ES SALAAM": ("TZ", "TZDAR", ()),
    "LAGOS": ("NG", "NGLOS", ("APAPA", "TIN CAN ISLAND")),
    "TEMA": ("GH", "GHTEM", ()),
    "ABIDJAN": ("CI", "CIABJ", ()),
    "TANGIER": ("MA", "MAPTM", ("TANGER MED", "TANGIER MED")),
    "NEW YORK": ("US", "USNYC", ("NEW YORK NEW JERSEY", "NEW YORK NJ", "NEWARK")),
    "LOS ANGELES": ("US", "USLAX", ()),
    "LONG BEACH": ("US", "USLGB", ()),
    "SAVANNAH": ("US", "USSAV", ()),
    "HOUSTON": ("US", "USHOU", ()),
    "SEATTLE": ("US", "USSEA", ()),
    "OAKLAND": ("US", "USOAK", ()),
    "VANCOUVER": ("CA", "CAVAN", ()),
    "MONTREAL": ("CA", "CAMTR", ()),
    "SANTOS": ("BR", "BRSSZ", ()),
    "BUENOS AIRES": ("AR", "ARBUE", ()),
    "CALLAO": ("PE", "PECLL", ()),
    "VALPARAISO": ("CL", "CLVAP", ()),
    "SAN ANTONIO": ("CL", "CLSAI", ()),
    "MANZANILLO": ("MX", "MXZLO", ()),
    "VERACRUZ": ("MX", "MXVER", ()),
    "CARTAGENA": ("CO", "COCTG", ()),
    "COLON": ("PA", "PAONX", ("MANZANILLO INTERNATIONAL TERMINAL",)),
    "SYDNEY": ("AU", "AUSYD", ("PORT BOTANY", "BOTANY")),
    "MELBOURNE": ("AU", "AUMEL", ()),
    "AUCKLAND": ("NZ", "NZAKL", ()),
}

# Country names as they appear after a port name ("ROTTERDAM, NETHERLANDS"); stripped before comparing.
COUNTRY_NAMES: dict[str, str] = {
    "AFGHANISTAN": "AF", "ALBANIA": "AL", "ALGERIA": "DZ", "ANGOLA": "AO", "ARGENTINA": "AR",
    "ARMENIA": "AM", "AUSTRALIA": "AU", "AUSTRIA": "AT", "AZERBAIJAN": "AZ", "BAHRAIN": "BH",
    "BANGLADESH": "BD", "BELARUS": "BY", "BELGIUM": "BE", "BOLIVIA": "BO", "BRAZIL": "BR",
    "BULGARIA": "BG", "CAMBODIA": "KH", "CAMEROON": "CM", "CANADA": "CA", "CHILE": "CL",
    "CHINA": "CN", "PEOPLES REPUBLIC OF CHINA": "CN", "P R CHINA": "CN", "PR CHINA": "CN", "PRC": "CN",
    "COLOMBIA": "CO", "COSTA RICA": "CR", "COTE D IVOIRE": "CI", "IVORY COAST": "CI", "CROATIA": "HR",
    "CUBA": "CU", "CYPRUS": "CY", "CZECH REPUBLIC": "CZ", "CZECHIA": "CZ", "DENMARK": "DK",
    "DOMINICAN REPUBLIC": "DO", "ECUADOR": "EC", "EGYPT": "EG", "EL SALVADOR": "SV", "ESTONIA": "EE",
    "ETHIOPIA": "ET", "FINLAND": "FI", "FRANCE": "FR", "GEORGIA": "GE", "GERMANY": "DE", "GHANA": "GH",
    "GREECE": "GR", "GUATEMALA": "GT", "HONDURAS": "HN", "HONG KONG": "HK", "HONG KONG SAR": "HK",
    "HUNGARY": "HU", "ICELAND": "IS", "INDIA": "IN", "INDONESIA": "ID", "IRAN": "IR", "IRAQ": "IQ",
    "IRELAND": "IE", "ISRAEL": "IL", "ITALY": "IT", "JAMAICA": "JM", "JAPAN": "JP", "JORDAN": "JO",
    "KAZAKHSTAN": "KZ", "KENYA": "KE", "KOREA": "KR", "SOUTH KOREA": "KR", "REPUBLIC OF KOREA": "KR",
    "NORTH KOREA": "KP", "KUWAIT": "KW", "LATVIA": "LV", "LEBANON": "LB", "LIBYA": "LY",
    "LITHUANIA": "LT", "LUXEMBOURG": "LU", "MACAO": "MO", "MACAU": "MO", "MALAYSIA": "MY",
    "MALTA": "MT", "MAURITIUS": "MU", "MEXICO": "MX", "MOROCCO": "MA", "MOZAMBIQUE": "MZ",
    "MYANMAR": "MM", "BURMA": "MM", "NEPAL": "NP", "NETHERLANDS": "NL", "THE NETHERLANDS": "NL",
    "HOLLAND": "NL", "NEW ZEALAND": "NZ", "NIGERIA": "NG", "NORWAY": "NO", "OMAN": "OM",
    "PAKISTAN": "PK", "PANAMA": "PA", "PARAGUAY": "PY", "PERU": "PE", "PHILIPPINES": "PH",
    "POLAND": "PL", "PORTUGAL": "PT", "QATAR": "QA", "ROMANIA": "RO", "RUSSIA": "RU",
    "RUSSIAN FEDERATION": "RU", "SAUDI ARABIA": "SA", "SENEGAL": "SN", "SERBIA": "RS",
    "SINGAPORE": "SG", "SLOVAKIA": "SK", "SLOVENIA": "SI", "SOUTH AFRICA": "ZA", "SPAIN": "ES",
    "SRI LANKA": "LK", "SUDAN": "SD", "SWEDEN": "SE", "SWITZERLAND": "CH", "SYRIA": "SY",
    "TAIWAN": "TW", "TANZANIA": "TZ", "THAILAND": "TH", "TUNISIA": "TN", "TURKEY": "TR",
    "TURKIYE": "TR", "UGANDA": "UG", "UKRAINE": "UA", "UNITED ARAB EMIRATES": "AE", "UAE": "AE",
    "U A E": "AE", "UNITED KINGDOM": "GB", "UK": "GB", "U K": "GB", "GREAT BRITAIN": "GB",
    "ENGLAND": "GB", "SCOTLAND": "GB", "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US",
    "USA": "US", "U S A": "US", "US": "US", "URUGUAY": "UY", "UZBEKISTAN": "UZ", "VENEZUELA": "VE",
    "VIETNAM": "VN", "VIET NAM": "VN", "YEMEN": "YE", "ZAMBIA": "ZM", "ZIMBABWE": "ZW",
}  # fmt: skip

_NOISE_PREFIXES = ("PORT OF ", "PORT ")
_NOISE_SUFFIXES = (" PORT", " SEAPORT", " HARBOUR", " HARBOR", " TERMINAL", " CITY")


def normalise(text: str) -> str:
    """Upper case, diacritics folded, punctuation to spaces, whitespace collapsed."""
    folded = unidecode(text).upper()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", folded).split())


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, (_country, locode, others) in PORTS.items():
        for name in (canonical, locode, locode[:2] + " " + locode[2:], *others):
            table[normalise(name)] = canonical
    return table


_ALIASES = _alias_table()
# Longest country names first, so "UNITED STATES OF AMERICA" is stripped whole, not as "AMERICA".
_COUNTRY_SUFFIXES = sorted(COUNTRY_NAMES, key=len, reverse=True)


def _strip_country(name: str) -> str:
    for country in _COUNTRY_SUFFIXES:
        if name.endswith(" " + country) and len(name) > len(country) + 1:
            return name[: -len(country) - 1]
    return name


def canonical_place(text: str) -> str:
    """The canonical name of a place: a known port's table name, else the cleaned-up text."""
    name = normalise(text)
    if name in _ALIASES:
        return _ALIASES[name]
    candidates = [name]
    # "ROTTERDAM NETHERLANDS", "ROTTERDAM NL": drop a trailing country (name or alpha-2 code).
    without_country = _strip_country(name)
    parts = without_country.split()
    if len(parts) > 1 and len(parts[-1]) == 2 and parts[-1] in COUNTRY_NAMES.values():
        without_country = " ".join(parts[:-1])
    candidates.append(without_country)
    for candidate in list(candidates):
        stripped = candidate
        for prefix in _NOISE_PREFIXES:
            if stripped.startswith(prefix) and len(stripped) > len(prefix):
                stripped = stripped[len(prefix) :]
                break
        for suffix in _NOISE_SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                stripped = stripped[: -len(suffix)]
                break
        candidates.append(stripped)
    for candidate in candidates:
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    return candidates[-1]


def country_of_place(text: str) -> str | None:
    """ISO alpha-2 country of a known port, or None."""
    canonical = canonical_place(text)
    entry = PORTS.get(canonical)
    return entry[0] if entry else None


_ANY_PORT = re.compile(r"^ANY (?:(?P<adj>[A-Z ]+?) )?PORTS?(?: IN (?P<country>[A-Z ]+))?$")
_COUNTRY_ADJECTIVES = {
    "CHINESE": "CN", "JAPANESE": "JP", "KOREAN": "KR", "INDIAN": "IN", "GERMAN": "DE",
    "DUTCH": "NL", "BELGIAN": "BE", "FRENCH": "FR", "ITALIAN": "IT", "SPANISH": "ES",
    "BRITISH": "GB", "UK": "GB", "US": "US", "AMERICAN": "US", "VIETNAMESE": "VN",
    "INDONESIAN": "ID", "MALAYSIAN": "MY", "THAI": "TH", "EUROPEAN": "EU",
}  # fmt: skip
_EU = {"NL", "BE", "DE", "FR", "IT", "ES", "PT", "GR", "PL", "SE", "DK", "FI", "IE", "AT", "HR", "MT", "CY"}


def _port_range_countries(text: str) -> set[str] | None:
    """Countries a generic credit term such as "ANY CHINESE PORT" / "ANY PORT IN CHINA" allows."""
    match = _ANY_PORT.match(normalise(text))
    if not match:
        return None
    code = None
    if match.group("adj"):
        code = _COUNTRY_ADJECTIVES.get(match.group("adj"))
    elif match.group("country"):
        code = COUNTRY_NAMES.get(match.group("country"))
    if code is None:
        return None
    return _EU if code == "EU" else {code}


def same_place(a: str, b: str) -> bool:
    """Same port/place, ignoring "PORT OF", country suffixes and UN/LOCODE aliases.

    A generic credit term ("ANY CHINESE PORT") on either side matches a known port of that country.
    """
    left, right = canonical_place(a), canonical_place(b)
    if left == right:
        return True
    for generic, specific in ((a, b), (b, a)):
        countries = _port_range_countries(generic)
        if countries is not None:
            return country_of_place(specific) in countries
    return _typing_error_apart(left, right)


# ISBP 821 A23: a misspelling or typing error that does not change the meaning does not make a
# document discrepant ("SHANGHAT" for SHANGHAI, "LASPEZIA" for LA SPEZIA). Only between a known
# port and a name that is no port at all, one letter apart (or the same letters spaced
# differently), in names long enough that one letter cannot make another word.
TYPO_MIN_LETTERS = 6


def _typing_error_apart(left: str, right: str) -> bool:
    if (left in PORTS) == (right in PORTS):
        return False  # two real ports are two places; two unknown names are compared as written
    if left.replace(" ", "") == right.replace(" ", ""):
        return True
    if min(len(left), len(right)) < TYPO_MIN_LETTERS:
        return False
    return Levenshtein.distance(left, right) <= 1  # one letter changed, added or dropped


def country_in(address_lines: list[str] | str) -> str:
    """ISO alpha-2 country named in an address (last mention wins), or "" when none is found."""
    lines = [address_lines] if isinstance(address_lines, str) else list(address_lines)
    for line in reversed(lines):
        text = f" {normalise(str(line))} "
        best: tuple[int, str] | None = None
        for name in _COUNTRY_SUFFIXES:
            # Two-letter alias names ("UK", "US") only count as a whole line or a final word.
            position = text.rfind(f" {name} ")
            if position < 0:
                continue
            if len(name) <= 3 and not text.rstrip().endswith(f" {name}"):
                continue
            if best is None or position > best[0]:
                best = (position, COUNTRY_NAMES[name])
        if best is not None:
            return best[1]
    return ""

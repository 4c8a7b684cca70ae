"""ISO 3166-1 country names and common variants, and a resolver from address lines.

The table is a public fact list (ISO 3166-1 alpha-2 codes with the English short/official
names), plus the variants seen in trade documents (USA, UK, HOLLAND, KOREA, UAE, ...).
``country_from_address`` looks only at the end of an address, because that is where a
country is written; a country name in the middle of a street address is not a country.
"""

from __future__ import annotations

import re
from functools import lru_cache

from unidecode import unidecode

# code -> names, upper case ASCII (diacritics folded), generated from ISO 3166-1.
ISO3166_NAMES: dict[str, tuple[str, ...]] = {
    "AF": ("AFGHANISTAN",),
    "AX": ("ALAND ISLANDS",),
    "AL": ("ALBANIA",),
    "DZ": ("ALGERIA",),
    "AS": ("AMERICAN SAMOA",),
    "AD": ("ANDORRA",),
    "AO": ("ANGOLA",),
    "AI": ("ANGUILLA",),
    "AQ": ("ANTARCTICA",),
    "AG": ("ANTIGUA AND BARBUDA",),
    "AR": ("ARGENTINA",),
    "AM": ("ARMENIA",),
    "AW": ("ARUBA",),
    "AU": ("AUSTRALIA",),
    "AT": ("AUSTRIA",),
    "AZ": ("AZERBAIJAN",),
    "BS": ("BAHAMAS",),
    "BH": ("BAHRAIN",),
    "BD": ("BANGLADESH",),
    "BB": ("BARBADOS",),
    "BY": ("BELARUS",),
    "BE": ("BELGIUM",),
    "BZ": ("BELIZE",),
    "BJ": ("BENIN",),
    "BM": ("BERMUDA",),
    "BT": ("BHUTAN",),
    "BO": (
        "BOLIVIA (PLURINATIONAL STATE OF)",
        "BOLIVIA",
    ),
    "BQ": (
        "BONAIRE, SINT EUSTATIUS AND SABA",
        "CARIBBEAN NETHERLANDS",
    ),
    "BA": (
        "BOSNIA AND HERZEGOVINA",
        "BOSNIA",
    ),
    "BW": ("BOTSWANA",),
    "BV": ("BOUVET ISLAND",),
    "BR": ("BRAZIL",),
    "IO": ("BRITISH INDIAN OCEAN TERRITORY",),
    "VG": ("BRITISH VIRGIN ISLANDS",),
    "BN": (
        "BRUNEI DARUSSALAM",
        "BRUNEI",
    ),
    "BG": ("BULGARIA",),
    "BF": ("BURKINA FASO",),
    "BI": ("BURUNDI",),
    "CV": (
        "CABO VERDE",
        "CAPE VERDE",
    ),
    "KH": ("CAMBODIA",),
    "CM": ("CAMEROON",),
    "CA": ("CANADA",),
    "KY": ("CAYMAN ISLANDS",),
    "CF": ("CENTRAL AFRICAN REPUBLIC",),
    "TD": ("CHAD",),
    "CL": ("CHILE",),
    "CN": ("CHINA",),
    "HK": (
        "CHINA, HONG KONG SPECIAL ADMINISTRATIVE REGION",
        "HONG KONG",
    ),
    "MO": (
        "CHINA, MACAO SPECIAL ADMINISTRATIVE REGION",
        "MACAO",
    ),
    "CX": ("CHRISTMAS ISLAND",),
    "CC": (
        "COCOS (KEELING) ISLANDS",
        "COCOS ISLANDS",
    ),
    "CO": ("COLOMBIA",),
    "KM": ("COMOROS",),
    "CG": (
        "CONGO",
        "CONGO - BRAZZAVILLE",
    ),
    "CK": ("COOK ISLANDS",),
    "CR": ("COSTA RICA",),
    "HR": ("CROATIA",),
    "CU": ("CUBA",),
    "CW": ("CURACAO",),
    "CY": ("CYPRUS",),
    "CZ": ("CZECHIA",),
    "KP": (
        "DEMOCRATIC PEOPLES REPUBLIC OF KOREA",
        "NORTH KOREA",
    ),
    "CD": (
        "DEMOCRATIC REPUBLIC OF THE CONGO",
        "CONGO - KINSHASA",
    ),
    "DK": ("DENMARK",),
    "DJ": ("DJIBOUTI",),
    "DM": ("DOMINICA",),
    "DO": ("DOMINICAN REPUBLIC",),
    "EC": ("ECUADOR",),
    "EG": ("EGYPT",),
    "SV": ("EL SALVADOR",),
    "GQ": ("EQUATORIAL GUINEA",),
    "ER": ("ERITREA",),
    "EE": ("ESTONIA",),
    "SZ": ("ESWATINI",),
    "ET": ("ETHIOPIA",),
    "FK": ("FALKLAND ISLANDS",),
    "FO": ("FAROE ISLANDS",),
    "FJ": ("FIJI",),
    "FI": ("FINLAND",),
    "FR": ("FRANCE",),
    "GF": ("FRENCH GUIANA",),
    "PF": ("FRENCH POLYNESIA",),
    "TF": ("FRENCH SOUTHERN TERRITORIES",),
    "GA": ("GABON",),
    "GM": ("GAMBIA",),
    "GE": ("GEORGIA",),
    "DE": ("GERMANY",),
    "GH": ("GHANA",),
    "GI": ("GIBRALTAR",),
    "GR": ("GREECE",),
    "GL": ("GREENLAND",),
    "GD": ("GRENADA",),
    "GP": ("GUADELOUPE",),
    "GU": ("GUAM",),
    "GT": ("GUATEMALA",),
    "GG": ("GUERNSEY",),
    "GN": ("GUINEA",),
    "GW": ("GUINEA-BISSAU",),
    "GY": ("GUYANA",),
    "HT": ("HAITI",),
    "HM": (
        "HEARD ISLAND AND MCDONALD ISLANDS",
        "HEARD AND MCDONALD ISLANDS",
    ),
    "VA": (
        "HOLY SEE",
        "VATICAN CITY",
    ),
    "HN": ("HONDURAS",),
    "HU": ("HUNGARY",),
    "IS": ("ICELAND",),
    "IN": ("INDIA",),
    "ID": ("INDONESIA",),
    "IR": (
        "IRAN (ISLAMIC REPUBLIC OF)",
        "IRAN",
    ),
    "IQ": ("IRAQ",),
    "IE": ("IRELAND",),
    "IM": ("ISLE OF MAN",),
    "IL": ("ISRAEL",),
    "IT": ("ITALY",),
    "CI": (
        "IVORY COAST",
        "COTE D IVOIRE",
    ),
    "JM": ("JAMAICA",),
    "JP": ("JAPAN",),
    "JE": ("JERSEY",),
    "JO": ("JORDAN",),
    "KZ": ("KAZAKHSTAN",),
    "KE": ("KENYA",),
    "KI": ("KIRIBATI",),
    "KW": ("KUWAIT",),
    "KG": ("KYRGYZSTAN",),
    "LA": (
        "LAO PEOPLES DEMOCRATIC REPUBLIC",
        "LAOS",
    ),
    "LV": ("LATVIA",),
    "LB": ("LEBANON",),
    "LS": ("LESOTHO",),
    "LR": ("LIBERIA",),
    "LY": ("LIBYA",),
    "LI": ("LIECHTENSTEIN",),
    "LT": ("LITHUANIA",),
    "LU": ("LUXEMBOURG",),
    "MG": ("MADAGASCAR",),
    "MW": ("MALAWI",),
    "MY": ("MALAYSIA",),
    "MV": ("MALDIVES",),
    "ML": ("MALI",),
    "MT": ("MALTA",),
    "MH": ("MARSHALL ISLANDS",),
    "MQ": ("MARTINIQUE",),
    "MR": ("MAURITANIA",),
    "MU": ("MAURITIUS",),
    "YT": ("MAYOTTE",),
    "MX": ("MEXICO",),
    "FM": (
        "MICRONESIA (FEDERATED STATES OF)",
        "MICRONESIA",
    ),
    "MC": ("MONACO",),
    "MN": ("MONGOLIA",),
    "ME": ("MONTENEGRO",),
    "MS": ("MONTSERRAT",),
    "MA": ("MOROCCO",),
    "MZ": ("MOZAMBIQUE",),
    "MM": ("MYANMAR",),
    "NA": ("NAMIBIA",),
    "NR": ("NAURU",),
    "NP": ("NEPAL",),
    "NL": ("NETHERLANDS",),
    "NC": ("NEW CALEDONIA",),
    "NZ": ("NEW ZEALAND",),
    "NI": ("NICARAGUA",),
    "NE": ("NIGER",),
    "NG": ("NIGERIA",),
    "NU": ("NIUE",),
    "NF": ("NORFOLK ISLAND",),
    "MP": ("NORTHERN MARIANA ISLANDS",),
    "MK": ("NORTH MACEDONIA",),
    "NO": ("NORWAY",),
    "OM": ("OMAN",),
    "PK": ("PAKISTAN",),
    "PW": ("PALAU",),
    "PA": ("PANAMA",),
    "PG": ("PAPUA NEW GUINEA",),
    "PY": ("PARAGUAY",),
    "PE": ("PERU",),
    "PH": ("PHILIPPINES",),
    "PN": ("PITCAIRN",),
    "PL": ("POLAND",),
    "PT": ("PORTUGAL",),
    "PR": ("PUERTO RICO",),
    "QA": ("QATAR",),
    "KR": (
        "REPUBLIC OF KOREA",
        "SOUTH KOREA",
    ),
    "MD": (
        "REPUBLIC OF MOLDOVA",
        "MOLDOVA",
    ),
    "RE": ("REUNION",),
    "RO": ("ROMANIA",),
    "RU": (
        "RUSSIAN FEDERATION",
        "RUSSIA",
    ),
    "RW": ("RWANDA",),
    "BL": (
        "SAINT BARTHELEMY",
        "ST BARTHELEMY",
    ),
    "SH": (
        "SAINT HELENA",
        "ST HELENA",
    ),
    "KN": (
        "SAINT KITTS AND NEVIS",
        "ST KITTS AND NEVIS",
    ),
    "LC": (
        "SAINT LUCIA",
        "ST LUCIA",
    ),
    "MF": (
        "SAINT MARTIN (FRENCH PART)",
        "ST MARTIN",
    ),
    "PM": (
        "SAINT PIERRE AND MIQUELON",
        "ST PIERRE AND MIQUELON",
    ),
    "VC": (
        "SAINT VINCENT AND THE GRENADINES",
        "ST VINCENT AND GRENADINES",
    ),
    "WS": ("SAMOA",),
    "SM": ("SAN MARINO",),
    "ST": ("SAO TOME AND PRINCIPE",),
    "SA": ("SAUDI ARABIA",),
    "SN": ("SENEGAL",),
    "RS": ("SERBIA",),
    "SC": ("SEYCHELLES",),
    "SL": ("SIERRA LEONE",),
    "SG": ("SINGAPORE",),
    "SX": (
        "SINT MAARTEN (DUTCH PART)",
        "SINT MAARTEN",
    ),
    "SK": ("SLOVAKIA",),
    "SI": ("SLOVENIA",),
    "SB": ("SOLOMON ISLANDS",),
    "SO": ("SOMALIA",),
    "ZA": ("SOUTH AFRICA",),
    "GS": (
        "SOUTH GEORGIA AND THE SOUTH SANDWICH ISLANDS",
        "SOUTH GEORGIA AND SOUTH SANDWICH ISLANDS",
    ),
    "SS": ("SOUTH SUDAN",),
    "ES": ("SPAIN",),
    "LK": ("SRI LANKA",),
    "PS": (
        "STATE OF PALESTINE",
        "PALESTINE",
    ),
    "SD": ("SUDAN",),
    "SR": ("SURINAME",),
    "SJ": (
        "SVALBARD AND JAN MAYEN ISLANDS",
        "SVALBARD AND JAN MAYEN",
    ),
    "SE": ("SWEDEN",),
    "CH": ("SWITZERLAND",),
    "SY": (
        "SYRIAN ARAB REPUBLIC",
        "SYRIA",
    ),
    "TW": ("TAIWAN",),
    "TJ": ("TAJIKISTAN",),
    "TH": ("THAILAND",),
    "TL": ("TIMOR-LESTE",),
    "TG": ("TOGO",),
    "TK": ("TOKELAU",),
    "TO": ("TONGA",),
    "TT": ("TRINIDAD AND TOBAGO",),
    "TN": ("TUNISIA",),
    "TR": ("TURKIYE",),
    "TM": ("TURKMENISTAN",),
    "TC": ("TURKS AND CAICOS ISLANDS",),
    "TV": ("TUVALU",),
    "UG": ("UGANDA",),
    "UA": ("UKRAINE",),
    "AE": ("UNITED ARAB EMIRATES",),
    "GB": ("UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND",),
    "TZ": (
        "UNITED REPUBLIC OF TANZANIA",
        "TANZANIA",
    ),
    "UM": (
        "UNITED STATES MINOR OUTLYING ISLANDS",
        "US OUTLYING ISLANDS",
    ),
    "US": ("UNITED STATES OF AMERICA",),
    "VI": (
        "UNITED STATES VIRGIN ISLANDS",
        "US VIRGIN ISLANDS",
    ),
    "UY": ("URUGUAY",),
    "UZ": ("UZBEKISTAN",),
    "VU": ("VANUATU",),
    "VE": (
        "VENEZUELA (BOLIVARIAN REPUBLIC OF)",
        "VENEZUELA",
    ),
    "VN": (
        "VIET NAM",
        "VIETNAM",
    ),
    "WF": (
        "WALLIS AND FUTUNA ISLANDS",
        "WALLIS AND FUTUNA",
    ),
    "EH": ("WESTERN SAHARA",),
    "YE": ("YEMEN",),
    "ZM": ("ZAMBIA",),
    "ZW": ("ZIMBABWE",),
}

# Variants and abbreviations written in addresses; each maps to one ISO code.
COUNTRY_VARIANTS: dict[str, str] = {
    "USA": "US",
    "U S A": "US",
    "UNITED STATES": "US",
    "AMERICA": "US",
    "NEW JERSEY": "US",
    "NEW MEXICO": "US",
    "UK": "GB",
    "U K": "GB",
    "UNITED KINGDOM": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "BRITAIN": "GB",
    "HOLLAND": "NL",
    "THE NETHERLANDS": "NL",
    "NEDERLAND": "NL",
    "KOREA": "KR",
    "KOREA REPUBLIC OF": "KR",
    "REPUBLIC OF KOREA": "KR",
    "KOREA SOUTH": "KR",
    "NORTH KOREA": "KP",
    "DPR KOREA": "KP",
    "D P R KOREA": "KP",
    "DPRK KOREA": "KP",
    "DPRK": "KP",
    "KOREA DPR": "KP",
    "UAE": "AE",
    "U A E": "AE",
    "DUBAI": "AE",
    "ABU DHABI": "AE",
    "PRC": "CN",
    "P R CHINA": "CN",
    "PR CHINA": "CN",
    "PEOPLES REPUBLIC OF CHINA": "CN",
    "PEOPLE S REPUBLIC OF CHINA": "CN",
    "MAINLAND CHINA": "CN",
    "HONG KONG": "HK",
    "HONG KONG SAR": "HK",
    "HONGKONG": "HK",
    "HK SAR": "HK",
    "MACAU": "MO",
    "MACAO": "MO",
    "TAIWAN ROC": "TW",
    "REPUBLIC OF CHINA": "TW",
    "RUSSIA": "RU",
    "RUSSIAN FEDERATION": "RU",
    "VIETNAM": "VN",
    "VIET NAM": "VN",
    "TURKEY": "TR",
    "TURKIYE": "TR",
    "IRAN": "IR",
    "SYRIA": "SY",
    "LAOS": "LA",
    "LAO PDR": "LA",
    "BURMA": "MM",
    "CZECH REPUBLIC": "CZ",
    "SLOVAK REPUBLIC": "SK",
    "IVORY COAST": "CI",
    "COTE D IVOIRE": "CI",
    "TANZANIA": "TZ",
    "MOLDOVA": "MD",
    "MACEDONIA": "MK",
    "SWAZILAND": "SZ",
    "CAPE VERDE": "CV",
    "BRUNEI": "BN",
    "VENEZUELA": "VE",
    "BOLIVIA": "BO",
    "KSA": "SA",
    "DEUTSCHLAND": "DE",
    "ESPANA": "ES",
    "ITALIA": "IT",
    "SCHWEIZ": "CH",
    "SUISSE": "CH",
    "BRASIL": "BR",
    "MEXICO": "MX",
    "PHILIPPINES": "PH",
    "BAHAMAS": "BS",
    "GAMBIA": "GM",
    "DR CONGO": "CD",
    "DRC": "CD",
    "CONGO KINSHASA": "CD",
    "CONGO BRAZZAVILLE": "CG",
    "PALESTINE": "PS",
    "VATICAN": "VA",
    "SRI LANKA": "LK",
    "CEYLON": "LK",
}

# Two-letter words that are also ISO codes ("IN", "TO", "AT", ...) are only read as a
# country in an unambiguous position: a whole line, "XX/CITY" or after the last comma.
# "UK" is not ISO but is universal in addresses (and in SWIFT samples: "UK/LONDON").
_CODE_ALIASES = {"UK": "GB", "EL": "GR"}


def normalise_place(text: str) -> str:
    """Upper case ASCII, punctuation to spaces, whitespace collapsed."""
    folded = unidecode(text).upper().replace("&", " AND ")
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", folded).split())


@lru_cache(maxsize=1)
def _name_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, names in ISO3166_NAMES.items():
        for name in names:
            table.setdefault(normalise_place(name), code)
    for name, code in COUNTRY_VARIANTS.items():
        table[normalise_place(name)] = code
    return table


def country_code(text: str) -> str | None:
    """ISO alpha-2 for a text that is exactly a country name, variant or code; else None."""
    norm = normalise_place(text)
    if len(norm) == 2:
        if norm in _CODE_ALIASES:
            return _CODE_ALIASES[norm]
        return norm if norm in ISO3166_NAMES else None
    return _name_table().get(norm)


def _country_in_line(line: str) -> str | None:
    stripped = line.strip()
    if not stripped:
        return None
    whole = country_code(stripped)
    if whole:
        return whole
    # SWIFT structured form "SG/SINGAPORE" (and 50F's "3/GB/LONDON").
    prefixed = re.match(r"^(?:\d/)?([A-Z]{2})/", stripped.upper())
    if prefixed and (code := country_code(prefixed.group(1))):
        return code
    # A code after the last comma: "HAMBURG, DE".
    if (
        "," in stripped
        and (code := country_code(stripped.rsplit(",", 1)[1]))
        and len(normalise_place(stripped.rsplit(",", 1)[1])) == 2
    ):
        return code
    # The longest run of trailing words that names a country: "SHANGHAI 200120 CHINA".
    words = normalise_place(stripped).split()
    table = _name_table()
    for size in range(min(6, len(words)), 0, -1):
        candidate = " ".join(words[-size:])
        if len(candidate) > 2 and candidate in table:
            return table[candidate]
    return None


def country_from_address(lines: list[str]) -> str | None:
    """ISO alpha-2 country of an address, read from its last two lines (last line first)."""
    for line in reversed(lines[-2:]):
        code = _country_in_line(line)
        if code:
            return code
    return None

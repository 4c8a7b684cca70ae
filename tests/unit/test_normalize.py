"""Value normalisation: the vocabulary of dates, numbers, money, quantities and references."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from extractors import normalize

MARCH_15 = dt.date(2026, 3, 15)


@pytest.mark.parametrize(
    "text",
    ["15 MAR 2026", "15-Mar-2026", "2026-03-15", "15.03.2026", "15/03/2026", "March 15, 2026",
     "15th March 2026", "Date: 15 MAR 2026 at Shanghai", "dated 15/03/26"],
)  # fmt: skip
def test_every_vocabulary_date_form_reads_as_the_same_day(text: str) -> None:
    assert normalize.parse_date(text) == MARCH_15


def test_slash_dates_are_day_first_unless_impossible() -> None:
    assert normalize.parse_date("04/03/2026") == dt.date(2026, 3, 4)
    assert normalize.parse_date("03/20/2023") == dt.date(2023, 3, 20)  # 20 cannot be a month
    assert normalize.parse_date("31/02/2026") is None


def test_leading_date_ignores_dates_buried_in_a_sentence() -> None:
    assert normalize.parse_leading_date("Date limite de paiement le 05 Juillet 2015") is None
    assert normalize.parse_leading_date("02 Juillet 2015") == dt.date(2015, 7, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.56", "1234.56"), ("1.234,56", "1234.56"), ("1 234,56", "1234.56"), ("1234.56", "1234.56"),
     ("45,93", "45.93"), ("1,234,567", "1234567"), ("110,000.00", "110000.00")],
)  # fmt: skip
def test_numbers_in_both_decimal_conventions(text: str, expected: str) -> None:
    assert normalize.parse_number(text) == Decimal(expected)


def test_not_a_number() -> None:
    assert normalize.parse_number("12A") is None
    assert normalize.parse_number("") is None


@pytest.mark.parametrize(
    ("text", "currency"),
    [("USD 1,234.56", "USD"), ("1.234,56 EUR", "EUR"), ("US$ 1,234.56", "USD"), ("€ 1.234,56", "EUR")],
)
def test_money_with_currency_before_or_after(text: str, currency: str) -> None:
    money = normalize.parse_money(text)
    assert money is not None
    assert (money.amount, money.currency) == (Decimal("1234.56"), currency)


def test_bare_amount_needs_a_default_currency() -> None:
    assert normalize.parse_money("1,234.56") is None
    money = normalize.parse_money("1,234.56", "GBP")
    assert money is not None and money.currency == "GBP"


def test_currency_named_in_words() -> None:
    assert normalize.find_currency("THE SUM OF US DOLLARS ONE HUNDRED THOUSAND ONLY") == "USD"


def test_quantities_normalise_their_units() -> None:
    found = [q for _, _, q in normalize.find_quantities("120 CTNS, 2,400 PIECES, 12,345.50 KGS, 18 MT")]
    assert [(q.amount, q.unit) for q in found] == [
        (Decimal("120"), "CARTONS"),
        (Decimal("2400"), "PCS"),
        (Decimal("12345.50"), "KGS"),
        (Decimal("18"), "MT"),
    ]


@pytest.mark.parametrize(
    ("text", "count"), [("THREE (3)", 3), ("3/3", 3), ("TWO", 2), ("2 (TWO)", 2), ("1", 1)]
)
def test_counts_of_originals(text: str, count: int) -> None:
    assert normalize.parse_count(text) == count


def test_container_numbers_need_a_valid_check_digit() -> None:
    assert normalize.is_valid_container("MSKU1234565")
    assert not normalize.is_valid_container("MSKU1234566")
    found = normalize.find_containers("CONTAINERS: MSKU1234565 / SEAL 778899, MSKU 123456 5 and ABCU1234561")
    assert [number for _, _, number in found] == ["MSKU1234565"]


def test_party_block_resolves_the_country_from_the_address() -> None:
    party = normalize.parse_party(
        ["Name: Cotec Plastic Company", "Addr: LOT E4+E5, HUNG YEN PROVINCE, VIETNAM", "Tel: +84-227-6250701"]
    )
    assert party is not None
    assert party.name == "Cotec Plastic Company"
    assert party.address[0].startswith("LOT E4+E5")
    assert party.country == "VN"


def test_empty_party_block_is_none() -> None:
    assert normalize.parse_party(["  ", ""]) is None


@pytest.mark.parametrize(
    ("lines", "name", "address"),
    [
        # an open first line: "AND", a trailing comma
        (["NINGBO GOLDEN HARVEST IMPORT AND", "EXPORT CO., LTD", "NO. 5 HAISHU ROAD"],
         "NINGBO GOLDEN HARVEST IMPORT AND EXPORT CO., LTD", ["NO. 5 HAISHU ROAD"]),
        (["SHANGHAI BRIGHTWAVE TEXTILE CO.,", "LTD", "1288 HUAXIA ROAD"],
         "SHANGHAI BRIGHTWAVE TEXTILE CO., LTD", ["1288 HUAXIA ROAD"]),
        # the second line is only the legal form, or a few words ending in one
        (["NORTHSEA RETAIL TRADING", "B.V.", "WAALHAVEN OOSTZIJDE 112"],
         "NORTHSEA RETAIL TRADING B.V.", ["WAALHAVEN OOSTZIJDE 112"]),
        (["SHENZHEN LUMENTEK", "LIGHTING LTD.", "BUILDING 7, 33 KEJI SOUTH ROAD"],
         "SHENZHEN LUMENTEK LIGHTING LTD.", ["BUILDING 7, 33 KEJI SOUTH ROAD"]),
        # a complete name keeps its address, even an address line without digits
        (["MUNICH MACHINERY GMBH", "LEOPOLDSTRASSE", "MUNICH, GERMANY"],
         "MUNICH MACHINERY GMBH", ["LEOPOLDSTRASSE", "MUNICH, GERMANY"]),
        (["ACME TRADING", "12 MAIN STREET LTD."], "ACME TRADING", ["12 MAIN STREET LTD."]),
    ],
)  # fmt: skip
def test_party_name_wrapped_onto_a_second_line_is_joined(
    lines: list[str], name: str, address: list[str]
) -> None:
    assert normalize.split_name_lines(lines) == (name, address)
    party = normalize.parse_party(lines)
    assert party is not None and party.name == name and party.address == address

"""Custom CEL functions, called directly and through the CEL runtime (real argument types)."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import functions as f
from engine.cel_runtime import Activation, CelEvaluationError, compile_expression
from engine.places import canonical_place


def ts(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)


def cel(expression: str, **variables: object) -> object:
    return compile_expression(expression).evaluate(Activation(variables, f.FUNCTIONS))


@pytest.mark.parametrize(
    ("value", "inside"),
    [(110000.00, True), (110000.01, False), (110000, True), (90000.0, True), (89999.99, False)],
)
def test_within_tolerance_edges(value: float, inside: bool) -> None:
    assert f.within(value, 100000, 10, 10) is inside
    # the same through CEL, mixing int and double arguments (CEL itself would refuse to mix them)
    assert cel("within(v, 100000, 10.0, 10)", v=value) is inside


def test_within_is_exact_where_floats_are_not() -> None:
    # 0.1 * 3 > 0.3 in binary floating point; Decimal arithmetic keeps the limit exact
    assert f.within(0.3, 0.1, 0, 200) is True
    assert f.within(100.1, 91, 0, 10) is True  # 91 * 1.1 = 100.1 exactly


def test_exceeds_on_cents() -> None:
    assert f.exceeds(110000.01, 110000.0) is True
    assert f.exceeds(110000.004, 110000.0) is False
    assert f.exceeds({"amount": 5.0, "currency": "USD"}, 4) is True


def test_numbers_reject_bools_and_strings() -> None:
    with pytest.raises(TypeError, match="must be a number"):
        f.within(True, 1, 0, 0)
    with pytest.raises(CelEvaluationError, match="within"):
        cel('within("1", 1, 0, 0)')


def test_dates_take_cel_timestamps() -> None:
    assert cel("days_between(a, b)", a=ts("2026-02-20"), b=ts("2026-03-15")) == 23
    assert cel("add_days(a, 21) == b", a=ts("2026-02-20"), b=ts("2026-03-13")) is True
    # Friday + 1 banking day = Monday; Monday - 1 = Friday
    assert f.add_banking_days(ts("2026-03-13"), 1) == ts("2026-03-16")
    assert f.add_banking_days(ts("2026-03-16"), -1) == ts("2026-03-13")
    assert f.add_banking_days(ts("2026-03-13"), 5) == ts("2026-03-20")
    with pytest.raises(TypeError, match="whole number"):
        f.add_days(ts("2026-03-13"), 1.5)


def test_text_functions() -> None:
    assert f.norm("  Société  Générale, S.A. ") == "SOCIETE GENERALE S A"
    assert f.same_text("lc2026 00417", "LC2026-00417") is True
    assert f.contains_text("SHIPPED ON BOARD 20 FEB 2026", "on board") is True
    assert f.contains_text("ONBOARD", "on board") is False
    assert f.similarity("COTTON T SHIRTS", "T-SHIRTS COTTON") == 1.0
    assert f.similarity("ABC", "XYZ") < 0.5


def test_same_party_normalises_legal_forms() -> None:
    assert f.same_party("Rosneft Marine Trading Co., Ltd.", "ROSNEFT MARINE TRADING COMPANY LIMITED") is True
    assert f.same_party("Nordtex G.m.b.H.", "NORDTEX GMBH") is True
    assert f.same_party("ACME", "ACME Trading Holdings International Ltd") is False
    assert f.same_party({"name": "NORDTEX GMBH"}, "Nordtex GmbH") is True


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("ROTTERDAM", "PORT OF ROTTERDAM, NETHERLANDS", True),
        ("NLRTM", "Rotterdam", True),
        ("SAIGON", "HO CHI MINH CITY, VIETNAM", True),
        ("CNSHA", "SHANGHAI, CHINA", True),
        ("ANY CHINESE PORT", "QINGDAO", True),
        ("ANY CHINESE PORT", "BUSAN", False),
        ("ROTTERDAM", "ANTWERP", False),
        ("SMALLTOWN HARBOUR", "SMALLTOWN", True),
        # ISBP 821 A23: a typing error that does not change the meaning
        ("SHANGHAI", "SHANGHAT", True),
        ("LA SPEZIA", "LASPEZIA", True),
        ("ROTTERDAM, NETHERLANDS", "ROTTERDAN", True),
        ("SHANGHAI", "SHANGHAI STREET", False),
        ("NINGBO", "QINGDAO", False),  # two known ports are two places however spelt
        ("KOBE", "KOBO", False),  # too short for one letter to be a typo
    ],
)
def test_same_place(a: str, b: str, same: bool) -> None:
    assert f.same_place(a, b) is same


def test_canonical_place_of_unknown_name_is_cleaned_text() -> None:
    assert canonical_place("port of  Nowhere-on-Sea") == "NOWHERE ON SEA"


def test_goods_functions() -> None:
    assert f.goods_correspond("1000 PCS COTTON T-SHIRTS, MEN'S, SIZE M", "COTTON T-SHIRTS") is True
    assert f.goods_correspond("T-SHIRTS", "COTTON T-SHIRTS") is False
    # two words of 45A run together (a lost space, ISBP 821 A23) count; a stranger's do not
    assert f.goods_correspond("INDIAN BASMATIRICE 1121 SELLA", "INDIAN BASMATI RICE 1121 SELLA") is True
    assert f.goods_correspond("COTTONSHIRTS", "COTTON SHIRTS") is True
    assert f.goods_correspond("BASMATIWHEAT", "BASMATI RICE") is False
    assert f.goods_correspond("POLYESTERSHIRTS", "COTTON SHIRTS") is False
    assert f.goods_conflict("GARMENTS", "COTTON T-SHIRTS") is False
    assert f.goods_conflict("STEEL PIPES", "COTTON T-SHIRTS") is True


def test_country_in_and_is_sight() -> None:
    assert f.country_in(["1 QUAY ROAD", "ROTTERDAM, THE NETHERLANDS"]) == "NL"
    assert f.country_in({"name": "X", "address": ["SHANGHAI 200000 P.R. CHINA"]}) == "CN"
    assert f.country_in(["NO COUNTRY HERE"]) == ""
    assert f.is_sight("AT SIGHT") is True
    assert f.is_sight("AT 90 DAYS AFTER SIGHT") is False


def test_a_failing_function_is_an_evaluation_error_not_a_pass() -> None:
    with pytest.raises(CelEvaluationError):
        cel("days_between(a, 1)", a=ts("2026-01-01"))


def test_text_matches_searches_the_normalised_text_with_a_cached_pattern() -> None:
    assert f.text_matches("House B/L is acceptable", r"HOUSE (B L|BILL OF LADING) (IS )?ACCEPTABLE") is True
    assert f.text_matches("Warehouse receipt", r"\bHOUSE\b") is False
    assert f.text_matches(["FIRST LINE", "NO MARKS"], r"^FIRST LINE NO MARKS$") is True
    assert cel('text_matches(t, r"\\bON DECK\\b")', t="shipped on-deck") is True
    with pytest.raises(TypeError, match="not a valid regular expression"):
        f.text_matches("X", "(UNCLOSED")
    with pytest.raises(CelEvaluationError, match="not a valid regular expression"):
        cel('text_matches("X", "[")')


@pytest.mark.parametrize(
    ("desc", "lc_desc", "conflict"),
    [
        # a single contradicting material among agreeing words (14(e))
        ("178 CARTONS OF MEN'S 100 PCT POLYESTER", "8,900 PCS MEN'S 100 PCT COTTON KNITTED T-SHIRTS", True),
        ("ALUMINUM WINDOW FRAMES", "STEEL WINDOW FRAMES", True),
        ("USED EXCAVATORS", "BRAND NEW EXCAVATORS", True),
        ("LADIES COTTON SHIRTS", "MEN'S COTTON SHIRTS", True),
        ("PORCELAIN TILES GRADE B", "PORCELAIN FLOOR TILES, GRADE A", True),
        # packing words and container descriptions are not goods
        (
            "4 X 20' GP CONTAINER(S) STC 8375 CARTONS PORCELAIN TILES",
            "33,500 PCS PORCELAIN FLOOR TILES",
            False,
        ),
        ("40 PALLETS = 800 BAGS FROZEN SHRIMPS", "FROZEN SHRIMPS", False),
        # 45A's own word beside another of its group, or a blend that 45A names
        ("FRESH FROZEN SHRIMPS", "FROZEN SHRIMPS", False),
        ("POLYESTER/COTTON BLOUSES", "BLOUSES 65 PCT POLYESTER 35 PCT COTTON", False),
        ("ALUMINIUM FRAMES", "ALUMINUM FRAMES", False),
    ],
)
def test_goods_conflict_packing_words_and_contradicting_materials(
    desc: str, lc_desc: str, conflict: bool
) -> None:
    assert f.goods_conflict(desc, lc_desc) is conflict


def q(amount: float, unit: str) -> dict[str, object]:
    return {"amount": amount, "unit": unit}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (q(12.5, "MT"), q(12500.0, "KGS"), True),
        (q(12.0, "MT"), q(12500.0, "KGS"), False),
        (q(12500, "KILOS"), q(12500.0, "KG"), True),
        (q(12500.0, "KGS"), q(27558.0, "LBS"), True),  # 27,557.84 lb written to the pound
        (q(27557.8, "LBS"), q(12500.0, "KGS"), True),
        (q(27600.0, "LBS"), q(12500.0, "KGS"), False),
        (q(500.0, "CTNS"), q(500.0, "CARTONS"), True),
        (q(500.0, "CARTONS"), q(500.0, "PALLETS"), False),  # not convertible: never "the same"
        (q(10.0, "DRUMS"), q(10.0, "DRUMS"), True),  # a unit we do not know equals only itself
    ],
)
def test_same_quantity_converts_units(a: dict, b: dict, same: bool) -> None:
    assert f.same_quantity(a, b) is same
    assert cel("same_quantity(a, b)", a=a, b=b) is same


def test_comparable_units_and_bad_quantities() -> None:
    assert f.comparable_units(q(1.0, "MT"), q(1.0, "LBS")) is True
    assert f.comparable_units("CARTONS", q(1.0, "PALLETS")) is False
    assert f.comparable_units("TONS", "MT") is False  # short, long or metric: not guessed
    with pytest.raises(TypeError, match=r"a must be a quantity"):
        f.same_quantity(12.5, q(1.0, "MT"))
    with pytest.raises(CelEvaluationError, match="quantity"):
        cel('same_quantity(a, "MT")', a=q(1.0, "MT"))

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
    ],
)
def test_same_place(a: str, b: str, same: bool) -> None:
    assert f.same_place(a, b) is same


def test_canonical_place_of_unknown_name_is_cleaned_text() -> None:
    assert canonical_place("port of  Nowhere-on-Sea") == "NOWHERE ON SEA"


def test_goods_functions() -> None:
    assert f.goods_correspond("1000 PCS COTTON T-SHIRTS, MEN'S, SIZE M", "COTTON T-SHIRTS") is True
    assert f.goods_correspond("T-SHIRTS", "COTTON T-SHIRTS") is False
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

"""OCR noise: confusable characters, split numbers, closeness to the credit, review items."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractors.models import Extracted, Money, Provenance
from extractors.ocr import OcrWord
from extractors.ocr_normalize import (
    closeness_hint,
    merge_broken_numbers,
    money_hint,
    normalize_token,
    review_items,
)


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("Cl26-179", "CI26-179"),
        ("CI-2O26-0l7", "CI-2026-017"),
        ("l2,5OO.OO", "12,500.00"),
        ("lNV-12", "INV-12"),
        ("10O", "100"),
        # left alone: words, and letters that are really letters
        ("Clause", "Clause"),
        ("ISO9001", "ISO9001"),
        ("CO2", "CO2"),
        ("Ltd", "Ltd"),
        ("O1", "O1"),
        ("12,500.00", "12,500.00"),
    ],
)
def test_normalize_token(read: str, expected: str) -> None:
    assert normalize_token(read) == expected


def _word(text: str, x0: float, x1: float, confidence: float = 0.9) -> OcrWord:
    return OcrWord(text=text, x0=x0, top=100, x1=x1, bottom=110, page=1, confidence=confidence, raw=text)


def test_number_split_at_its_thousands_separator_is_joined() -> None:
    merged = merge_broken_numbers(
        [_word("USD", 10, 30), _word("12,", 34, 50, 0.95), _word("500.00", 53, 80, 0.6)]
    )
    assert [w.text for w in merged] == ["USD", "12,500.00"]
    joined = merged[1]
    assert isinstance(joined, OcrWord)
    assert (joined.x0, joined.x1, joined.confidence, joined.raw) == (34, 80, 0.6, "12, 500.00")


def test_separate_columns_are_not_joined() -> None:
    far = merge_broken_numbers([_word("12,", 34, 50), _word("500.00", 90, 120)])
    assert [w.text for w in far] == ["12,", "500.00"]
    not_grouped = merge_broken_numbers([_word("1,000", 10, 40), _word("250.00", 43, 70)])
    assert [w.text for w in not_grouped] == ["1,000", "250.00"]


def test_closeness_to_the_credit() -> None:
    same = closeness_hint("LC-2O26-0l7", "LC-2026-017", "number (20)")
    assert same is not None and "same as the credit's number (20)" in same
    near = closeness_hint("LC-2026-018", "LC-2026-017", "number (20)")
    assert near is not None and "1 character(s)" in near
    assert closeness_hint("LC-2026-017", "LC-2026-017", "number (20)") is None
    assert closeness_hint("XYZ-99", "LC-2026-017", "number (20)") is None


def test_amount_hints() -> None:
    lc = Money(amount=Decimal("12500.00"), currency="USD")
    tenfold = money_hint(Money(amount=Decimal("1250.00"), currency="USD"), lc, "amount (32B)")
    assert tenfold is not None and "factor 0.1" in tenfold
    digit = money_hint(Money(amount=Decimal("12800.00"), currency="USD"), lc, "amount (32B)")
    assert digit is not None and "one digit" in digit
    assert money_hint(Money(amount=Decimal("9000.00"), currency="USD"), lc, "amount (32B)") is None
    assert money_hint(Money(amount=Decimal("1250.00"), currency="EUR"), lc, "amount (32B)") is None


def test_review_items_walk_nested_fields() -> None:
    from extractors.models import BillOfLading

    flagged = Provenance(
        file="b.png", page=1, extractor="ocr", needs_review=True, review_reason="OCR confidence 0.41"
    )
    fine = Provenance(file="b.png", page=1, extractor="ocr")
    bl = BillOfLading(
        file="b.png",
        extraction="ocr",
        vessel=Extracted[str](value="MSC ANNA", source=fine),
        clauses=[Extracted[str](value="OK", source=fine), Extracted[str](value="DAMAGED", source=flagged)],
    )
    items = review_items([bl])
    assert [(i.document_type, i.field, i.value, i.reason) for i in items] == [
        ("bill_of_lading", "clauses[1]", "DAMAGED", "OCR confidence 0.41")
    ]


def test_slash_of_trade_abbreviations_read_as_a_letter_is_mended() -> None:
    from extractors.ocr_normalize import normalize_token

    assert normalize_token("LIC") == "L/C"
    assert normalize_token("BIL:") == "B/L:"
    assert normalize_token("CINO.") == "C/NO."
    # real words of the same shape stay
    assert normalize_token("LTD") == "LTD"
    assert normalize_token("OIL") == "OIL"
    assert normalize_token("CIF") == "CIF"


def test_rule_read_at_a_word_edge_is_dropped_from_the_word() -> None:
    from extractors.ocr_normalize import normalize_token

    assert normalize_token("Quantity|") == "Quantity"
    assert normalize_token("[Gross") == "Gross"
    assert normalize_token("[A]") == "[A]"  # too little word left: kept as read
    assert normalize_token("|") == "|"


def test_bar_against_capitals_is_an_i_unless_a_rule_stands_there() -> None:
    assert normalize_token("KEJ|", rule_beside=False) == "KEJI"
    assert normalize_token("KEJ]", rule_beside=False) == "KEJI"
    assert normalize_token("|NVOICE", rule_beside=False) == "INVOICE"
    assert normalize_token("KEJ|", rule_beside=True) == "KEJ"  # the rule read as a letter
    assert normalize_token("[CARGO]", rule_beside=False) == "CARGO"  # bracketed, not an I
    assert normalize_token("Quantity|", rule_beside=False) == "Quantity"


def test_underline_read_into_a_word_is_dropped() -> None:
    assert normalize_token("_NHAVA") == "NHAVA"
    assert normalize_token("___") == "___"  # a signature line stays what it is


def test_brackets_closed_the_way_they_opened() -> None:
    assert normalize_token("(CARGO]") == "(CARGO)"
    assert normalize_token("[A)") == "(A)"


def test_polish_legal_form_read_as_zeros() -> None:
    assert normalize_token("0.0.") == "O.O."
    assert normalize_token("0.O.,") == "O.O.,"
    assert normalize_token("0.0") == "0.0"  # a number stays a number


def test_dollar_sign_read_as_s_before_an_amount() -> None:
    from extractors.ocr_normalize import mend_dollar_signs

    mended = mend_dollar_signs([_word("USS", 10, 30), _word("84,000.00", 34, 80)])
    assert [w.text for w in mended] == ["US$", "84,000.00"]
    assert mended[0].raw == "USS"  # provenance keeps what was read
    vessel = mend_dollar_signs([_word("USS", 10, 30), _word("ENTERPRISE", 34, 90)])
    assert [w.text for w in vessel] == ["USS", "ENTERPRISE"]
    far = mend_dollar_signs([_word("USS", 10, 30), _word("84,000.00", 200, 240)])
    assert far[0].text == "USS"


def test_count_and_times_sign_split_before_a_container_size() -> None:
    from extractors.ocr_normalize import split_count_and_times

    split = split_count_and_times([_word("1X", 10, 22), _word("40'", 25, 40), _word("HC", 43, 55)])
    assert [w.text for w in split] == ["1", "X", "40'", "HC"]
    assert split[0].x1 == split[1].x0
    kept = split_count_and_times([_word("2X", 10, 22), _word("CARTONS", 25, 70)])
    assert [w.text for w in kept] == ["2X", "CARTONS"]


def test_legal_form_misread() -> None:
    assert normalize_token("LID.") == "LTD."
    assert normalize_token("ETD.") == "ETD."  # estimated time of departure


def test_j_read_as_a_brace() -> None:
    assert normalize_token("POLSKIE}") == "POLSKIEJ"
    assert normalize_token("}") == "}"


def test_more_originals_than_the_set_is_a_misread() -> None:
    from extractors.normalize import parse_count

    assert parse_count("4/1") == 1  # "1/1" read with its first 1 as a 4
    assert parse_count("3/3") == 3
    assert parse_count("2/3") == 2


def test_container_numbers_misread_by_ocr_are_mended_by_their_check_digit() -> None:
    from extractors.normalize import find_containers

    assert [n for _, _, n in find_containers("BMLUS919130 / SEAL", ocr=True)] == ["BMLU5919130"]
    assert [n for _, _, n in find_containers("BMLUS5586560 / SEAL", ocr=True)] == ["BMLU5586560"]
    assert find_containers("BMLUS919130 / SEAL") == []  # a text layer says what it says
    assert find_containers("BMLU5919131", ocr=True) == []  # a wrong check digit stays wrong

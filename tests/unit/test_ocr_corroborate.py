"""Low-confidence OCR values confirmed by another source, glued legal forms, tolerant labels,
and ink the page pass left unread."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.models import Extracted, Money, Party, Provenance
from extractors.ocr import OcrWord
from extractors.ocr_normalize import corroborate, split_glued_legal_forms

REPO = Path(__file__).resolve().parents[2]


def _ocr(value, file: str, confidence: float = 0.4):
    low = confidence < 0.7
    source = Provenance(
        file=file, page=1, raw=str(value), extractor="ocr", confidence=confidence,
        ocr_confidence=confidence, needs_review=low,
        review_reason=f"OCR confidence {confidence:.2f} below 0.70" if low else None,
    )  # fmt: skip
    return Extracted[type(value)](value=value, source=source)


@pytest.fixture(scope="module")
def sample_lc():
    """The example presentation's credit (SWIFT text, as a bank sends it)."""
    from extractors.swift import parse_mt700

    credit = next(p for p in (REPO / "examples" / "compliant").iterdir() if p.suffix in (".txt", ".fin"))
    return parse_mt700(credit.read_text(), credit.name)


def _document(doc_type: str, **fields):
    from pydantic import create_model

    model = create_model(
        f"Doc_{doc_type}",
        type=(str, doc_type),
        **{name: (type(value), ...) for name, value in fields.items()},
        __config__={"arbitrary_types_allowed": True},
    )
    return model(**fields)


def test_a_low_confidence_value_equal_to_the_credit_is_not_sent_for_a_check(sample_lc) -> None:
    beneficiary = sample_lc.beneficiary.value
    party = Party(name=beneficiary.name, address=list(beneficiary.address))
    invoice = _document("commercial_invoice", issuer=_ocr(party, "inv.png"))
    corroborate([invoice], sample_lc)
    source = invoice.issuer.source
    assert not source.needs_review and source.review_reason is None
    assert any("the credit (beneficiary)" in note for note in source.notes)


def test_a_misread_address_line_keeps_the_check(sample_lc) -> None:
    beneficiary = sample_lc.beneficiary.value
    misread = [line.replace("A", "4", 1) for line in beneficiary.address] or ["N0WHERE STREET 1"]
    party = Party(name=beneficiary.name, address=misread)
    invoice = _document("commercial_invoice", issuer=_ocr(party, "inv.png"))
    corroborate([invoice], sample_lc)
    assert invoice.issuer.source.needs_review


def test_another_file_confirms_but_the_same_file_does_not(sample_lc) -> None:
    invoice = _document("commercial_invoice", number=_ocr("CI26-494", "inv.png"))
    packing = _document("packing_list", invoice_number=_ocr("CI26-494", "pl.png", confidence=0.95))
    corroborate([invoice, packing], sample_lc)
    assert not invoice.number.source.needs_review
    assert "packing_list (pl.png, invoice_number)" in invoice.number.source.notes[-1]

    alone = _document(
        "commercial_invoice", number=_ocr("CI26-494", "inv.png"), reference=_ocr("CI26-494", "inv.png")
    )
    corroborate([alone], sample_lc)
    assert alone.number.source.needs_review  # the same scan twice is not a second opinion


def test_short_values_and_money_of_another_currency_stay_marked(sample_lc) -> None:
    amount = sample_lc.amount.value
    other = "USD" if amount.currency != "USD" else "EUR"
    draft = _document(
        "draft",
        originals=_ocr("1", "draft.png"),
        amount=_ocr(Money(amount=amount.amount, currency=other), "draft.png"),
        same=_ocr(Money(amount=amount.amount, currency=amount.currency), "draft.png"),
    )
    corroborate([draft], sample_lc)
    assert draft.originals.source.needs_review  # "1" agrees with anything by chance
    assert draft.amount.source.needs_review
    assert not draft.same.source.needs_review


def test_to_the_order_of_reads_as_to_order_of(sample_lc) -> None:
    requirement = next(r for r in sample_lc.documents_required if "ORDER OF" in r.raw.upper())
    holder = requirement.raw.upper().split("ORDER OF", 1)[1].split(",")[0].strip()
    bl = _document("bill_of_lading", consignee=_ocr(Party(name=f"TO ORDER OF {holder}"), "bl.png"))
    corroborate([bl], sample_lc)
    assert not bl.consignee.source.needs_review


def test_a_value_read_surely_or_a_near_miss_is_left_alone(sample_lc) -> None:
    near = _ocr("SOMETHING ELSE", "inv.png")
    near.source.review_reason = "OCR read 'X', 1 character(s) from the credit's number"
    invoice = _document("commercial_invoice", number=near, date=_ocr(dt.date(2026, 5, 1), "inv.png"))
    corroborate([invoice], sample_lc)
    assert invoice.number.source.needs_review and invoice.date.source.needs_review


def _word(text: str, x0: float, x1: float) -> OcrWord:
    return OcrWord(text=text, x0=x0, top=10, x1=x1, bottom=20, page=1, confidence=0.9, raw=text)


def test_a_glued_legal_form_is_split_and_ordinary_words_are_not() -> None:
    words = split_glued_legal_forms(
        [
            _word("BANKN.V.", 0, 80),
            _word("SANAYIA.S.", 90, 190),
            _word("U.S.A.", 200, 260),
            _word("LTD.", 270, 300),
        ]
    )
    assert [w.text for w in words] == ["BANK", "N.V.", "SANAYI", "A.S.", "U.S.A.", "LTD."]
    assert words[0].x1 == words[1].x0 == 40.0


def test_a_label_matches_without_the_space_ocr_dropped() -> None:
    from extractors.fields.common import LC_LABELS, _label_regex

    assert _label_regex(LC_LABELS).match("L/CNo.: DC26160870")
    assert _label_regex(LC_LABELS).match("L/C No.: DC26160870")
    assert not _label_regex(LC_LABELS).match("CREDITNOTE 12")


def test_unread_ink_is_found_and_read_ink_is_not() -> None:
    from PIL import Image, ImageDraw, ImageFont

    from extractors.images import find_unread_ink

    page = Image.new("L", (1200, 400), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=40)
    draw.text((50, 50), "Read words", fill=0, font=font)
    draw.text((50, 200), "Issue:", fill=0, font=font)
    draw.line((20, 320, 1180, 320), fill=0, width=4)  # a rule is not text
    read_box = (40, 40, 320, 100)
    found = find_unread_ink(page, [read_box], em_px=40, dpi=300)
    assert len(found) == 1
    x0, top, x1, bottom = found[0]
    assert x0 <= 60 and x1 >= 150 and top <= 215 and bottom >= 230 and bottom < 320


def test_money_renderings_compare_amount_and_currency() -> None:
    from extractors.ocr_normalize import _renderings

    assert _renderings(Money(amount=Decimal("82410"), currency="EUR")) == _renderings(
        Money(amount=Decimal("82410.00"), currency="EUR")
    )


def test_invoice_reference_one_misread_from_the_invoice_number_takes_the_surer_value() -> None:
    from extractors.ocr_normalize import reconcile_invoice_references

    invoice = _document("commercial_invoice", number=_ocr("WJ/26/5003", "inv.png", 0.95))
    packing = _document("packing_list", invoice_number=_ocr("W4J/26/5003", "pl.png", 0.82))
    reconcile_invoice_references([invoice, packing])
    assert packing.invoice_number.value == "WJ/26/5003"
    source = packing.invoice_number.source
    assert source.needs_review and "W4J/26/5003" in (source.review_reason or "")
    assert not invoice.number.source.needs_review


def test_invoice_number_misread_takes_the_surer_reference() -> None:
    from extractors.ocr_normalize import reconcile_invoice_references

    invoice = _document("commercial_invoice", number=_ocr("C126-073", "inv.png", 0.75))
    packing = _document("packing_list", invoice_number=_ocr("CI26-073", "pl.png", 0.93))
    reconcile_invoice_references([invoice, packing])
    assert invoice.number.value == "CI26-073"
    # I read as 1 is what OCR does: the same reference, nothing for a person to decide
    assert not invoice.number.source.needs_review
    assert any("C126-073" in note for note in invoice.number.source.notes)


def test_a_different_invoice_reference_stays_different() -> None:
    from extractors.ocr_normalize import reconcile_invoice_references

    invoice = _document("commercial_invoice", number=_ocr("WJ/26/5003", "inv.png", 0.95))
    packing = _document("packing_list", invoice_number=_ocr("INV-2025-0001", "pl.png", 0.95))
    reconcile_invoice_references([invoice, packing])
    assert packing.invoice_number.value == "INV-2025-0001"
    assert not packing.invoice_number.source.needs_review


def test_credit_number_one_misread_from_the_credit_is_taken_as_the_credits(sample_lc) -> None:
    from extractors.ocr_normalize import annotate_against_lc

    number = sample_lc.number.value
    misread = number[:4] + "Z" + number[4:]  # one letter too many
    packing = _document("packing_list", lc_number=_ocr(misread, "pl.png", 0.9))
    annotate_against_lc(packing, sample_lc)
    assert packing.lc_number.value == number
    assert packing.lc_number.source.needs_review and misread in (packing.lc_number.source.review_reason or "")
    split = _ocr(number[:6], "pl.png", 0.9)
    split.source.raw = f"{number[:6]} {number[6:]}"  # OCR split the number in two words
    halved = _document("packing_list", lc_number=split)
    annotate_against_lc(halved, sample_lc)
    assert halved.lc_number.value == number and not halved.lc_number.source.needs_review
    other = _document("packing_list", lc_number=_ocr("ILC26ZZ00017", "pl.png", 0.9))
    annotate_against_lc(other, sample_lc)
    assert other.lc_number.value == "ILC26ZZ00017"


def test_carrier_code_then_zero_read_as_o_is_mended_only_for_ocr() -> None:
    from extractors.fields.bill_of_lading import _carrier_prefix_zero

    assert _carrier_prefix_zero(_ocr("TPSCO001173713", "bl.png", 0.9)).value == "TPSC0001173713"
    assert _carrier_prefix_zero(_ocr("TPSC001173713", "bl.png", 0.9)).value == "TPSC001173713"
    text = Extracted[str](value="ABCDO123456", source=Provenance(file="bl.pdf", extractor="text"))
    assert _carrier_prefix_zero(text).value == "ABCDO123456"  # a text layer says what it says


def test_reference_split_after_its_separator_is_one_reference() -> None:
    from extractors.fields.common import parse_reference

    assert parse_reference("AS/ 26/9092") == "AS/26/9092"
    assert parse_reference("JX, 26/3127") == "JX/26/3127"
    assert parse_reference("INV-2026 dated 3 May") == "INV-2026"


def test_glued_legal_form_with_a_dot_read_as_colon() -> None:
    split = split_glued_legal_forms(
        [OcrWord("SANAYIA:S.", 10, 0, 70, 10, 1, confidence=0.4, raw="SANAYIA:S.")]
    )
    assert [w.text for w in split] == ["SANAYI", "A.S."]


def test_a_signature_across_a_capacity_line_is_left_out_of_it() -> None:
    from extractors.fields.common import without_scribble
    from extractors.pdf_text import Segment

    def word(text: str, x: float, confidence: float) -> OcrWord:
        return OcrWord(text, x, 0, x + 10, 10, 1, confidence=confidence, raw=text)

    line = Segment([word("I", 0, 0.43), word("as", 12, 0.97), word("ie", 24, 0.34), word("agent", 36, 0.96)])
    kept = without_scribble(line)
    assert kept is not None and kept.text == "as agent"
    assert without_scribble(Segment([word("eating", 0, 0.24), word("ain", 12, 0.38)])) is None
    sure = Segment([word("Underwriters", 0, 0.96)])
    assert without_scribble(sure) is sure


def test_a_quantity_is_confirmed_by_the_credit_written_with_thousands_separators(sample_lc) -> None:
    from extractors.models import Extracted as X
    from extractors.models import Quantity

    credit = sample_lc.model_copy(deep=True)
    credit.goods_description = X[str](
        value="4,500 SETS COTTON BED SHEET SETS", source=Provenance(file=credit.file, extractor="text")
    )
    packing = _document(
        "packing_list", total_quantity=_ocr(Quantity(amount=Decimal("4500"), unit="SETS"), "pl.png")
    )
    corroborate([packing], credit)
    assert not packing.total_quantity.source.needs_review
    other = _document(
        "packing_list", total_quantity=_ocr(Quantity(amount=Decimal("4600"), unit="SETS"), "pl.png")
    )
    corroborate([other], credit)
    assert other.total_quantity.source.needs_review


def test_an_address_line_one_character_off_is_confirmed_unless_the_country_changes(sample_lc) -> None:
    beneficiary = sample_lc.beneficiary.value  # BUILDING 7, 33 KEJI SOUTH ROAD / SHENZHEN 518057, CHINA

    def read_as(address: list[str]):
        return _document("packing_list", issuer=_ocr(Party(name=beneficiary.name, address=address), "pl.png"))

    street, city = beneficiary.address
    slipped = read_as([street.replace("KEJI", "KEJII"), city])
    corroborate([slipped], sample_lc)
    assert not slipped.issuer.source.needs_review
    assert "an address line one character from the credit (beneficiary)" in slipped.issuer.source.notes[-1]
    # one character in the country's name: the country read is not the one confirmed
    no_country = read_as([street, city.replace("CHINA", "CHLNA")])
    corroborate([no_country], sample_lc)
    assert no_country.issuer.source.needs_review
    two_slips = read_as([street.replace("KEJI", "KEJII").replace("ROAD", "R0AD"), city])
    corroborate([two_slips], sample_lc)
    assert two_slips.issuer.source.needs_review


def test_a_place_with_its_facility_is_confirmed_by_the_place_alone(sample_lc) -> None:
    port = sample_lc.port_of_loading.value
    bl = _document(
        "bill_of_lading", place_of_receipt=_ocr(f"{port} CY", "bl.png"), notify=_ocr(f"{port} CY", "bl.png")
    )
    corroborate([bl], sample_lc)
    assert not bl.place_of_receipt.source.needs_review
    assert bl.notify.source.needs_review  # only a place drops its facility


def test_a_near_miss_of_the_credit_amount_is_confirmed_by_another_document_only(sample_lc) -> None:
    currency = sample_lc.amount.value.currency
    amount = Money(amount=sample_lc.amount.value.amount - 700, currency=currency)

    def near_miss(file: str):
        value = _ocr(amount, file, confidence=0.85)
        value.source.needs_review = True
        value.source.review_reason = "OCR read ..., one digit from the credit's amount (32B)"
        return value

    draft = _document("draft", amount=near_miss("draft.png"))
    invoice = _document("commercial_invoice", total=_ocr(amount, "inv.png", confidence=0.96))
    corroborate([draft, invoice], sample_lc)
    assert not draft.amount.source.needs_review
    assert "commercial_invoice (inv.png, total)" in draft.amount.source.notes[-1]
    alone = _document("draft", amount=near_miss("draft.png"))
    corroborate([alone], sample_lc)
    assert alone.amount.source.needs_review


def test_goods_words_differing_from_45a_only_in_lookalike_characters_take_the_credit_spelling(
    sample_lc,
) -> None:
    from extractors.models import Extracted as X
    from extractors.ocr_normalize import mend_goods_against_lc

    credit = sample_lc.model_copy(deep=True)
    credit.goods_description = X[str](
        value="LEATHER SAFETY SHOES S3, STEEL TOE CAP, SIZE S",
        source=Provenance(file=credit.file, extractor="text"),
    )
    invoice = _document(
        "commercial_invoice",
        goods_description=_ocr("LEATHER SAFETY SHOES $3, STEEL T0E CAP, SIZE 5", "inv.png", 0.9),
    )
    mend_goods_against_lc(invoice, credit)
    # "$3" and "T0E" cannot be told from "S3" and "TOE" on a scan; "5" and "S" can
    assert invoice.goods_description.value == "LEATHER SAFETY SHOES S3, STEEL TOE CAP, SIZE 5"
    assert "'$3' as 'S3'" in invoice.goods_description.source.notes[-1]


def test_a_value_the_two_engines_disagree_on_is_confirmed_like_an_unsure_one(sample_lc) -> None:
    beneficiary = sample_lc.beneficiary.value
    drawer = _ocr(Party(name=beneficiary.name), "draft.png", confidence=0.37)
    drawer.source.review_reason = "the two OCR engines disagree: Tesseract read 'X', the second 'Y'"
    draft = _document("draft", drawer=drawer)
    corroborate([draft], sample_lc)
    assert not draft.drawer.source.needs_review
    assert any("the credit (beneficiary)" in note for note in draft.drawer.source.notes)

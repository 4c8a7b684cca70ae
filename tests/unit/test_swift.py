"""SWIFT MT700 / MT707 parsing: envelope, fields, narrative wording, amendments, bad input."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.countries import country_from_address
from extractors.errors import InputError
from extractors.models import LetterOfCredit, Provenance
from extractors.swift import apply_mt707, is_swift_message, parse_mt700, parse_swift_message
from extractors.swift_fields import check_field_format, presentation_period
from extractors.swift_narrative import (
    NarrativeItem,
    document_requirement,
    find_incoterm,
    goods_item,
    parse_number,
    split_items,
)

SAMPLES = Path(__file__).parent / "swift_samples"
CIF = "mt700_cif_rotterdam.fin"
FOB = "mt700_fob_about_block4.txt"
FCA = "mt700_fca_output_crlf.fin"
AMEND_1 = "mt707_cif_rotterdam_1.fin"
AMEND_2 = "mt707_cif_rotterdam_2.fin"


def sample(name: str) -> str:
    # read bytes: read_text() would turn the CRLF sample into LF and hide that case
    return (SAMPLES / name).read_bytes().decode("ascii")


def line_of(text: str, prefix: str) -> int:
    """1-based line of the first line starting with prefix (so tests don't hard-code lines)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(prefix):
            return number
    raise AssertionError(f"{prefix!r} not in sample")


def item(text: str) -> NarrativeItem:
    return NarrativeItem(text=" ".join(text.split()), raw=text, line=1)


PROVENANCE = Provenance(file="t.fin", line=1, extractor="mt700")


# --------------------------------------------------------------------------- MT700 samples


def test_cif_sample_header_parties_and_terms() -> None:
    text = sample(CIF)
    lc = parse_mt700(text, CIF)
    # input message: block 1 is the sender, block 2 the receiver
    assert (lc.sender_bic, lc.receiver_bic) == ("TESTCNSH", "TESTNL2A")
    assert lc.number.value == "ILC2026NL0417"
    assert lc.date_of_issue is not None and lc.date_of_issue.value == dt.date(2026, 3, 10)
    assert lc.expiry_date.value == dt.date(2026, 6, 15)
    assert lc.expiry_place is not None and lc.expiry_place.value == "ROTTERDAM"
    assert lc.amount.value.amount == Decimal("125000.00") and lc.amount.value.currency == "USD"
    assert lc.tolerance_plus is not None and lc.tolerance_plus.value == 5
    assert lc.tolerance_minus is not None and lc.tolerance_minus.value == 5
    assert lc.applicant.value.name == "VAN DER BERG TRADING B.V."
    assert lc.applicant.value.country == "NL"  # "HOLLAND"
    # 59's leading /account line is not the name
    assert lc.beneficiary.value.name == "NINGBO BRIGHT HOUSEWARES CO., LTD."
    assert lc.beneficiary.value.address[-1] == "CHINA" and lc.beneficiary.value.country == "CN"
    assert lc.applicant_bank is not None and lc.applicant_bank.value.country == "NL"
    assert lc.available_by is not None and lc.available_by.value == "BY NEGOTIATION"
    assert lc.available_with is not None and lc.available_with.value == "ANY BANK IN CHINA"
    assert lc.drawee is not None and lc.drawee.value.bic == "TESTNL2A"
    assert lc.partial_shipments is not None and lc.partial_shipments.value == "NOT ALLOWED"
    assert lc.latest_shipment_date is not None and lc.latest_shipment_date.value == dt.date(2026, 5, 31)
    assert lc.presentation_period is not None
    assert lc.presentation_period.value.days == 21
    assert lc.presentation_period.value.after == "DATE OF SHIPMENT"
    assert lc.charges is not None and "OUTSIDE THE NETHERLANDS" in lc.charges.value
    assert lc.advise_through is not None and lc.advise_through.value == "TESTCNSH"
    assert lc.amendments == []


def test_provenance_points_at_the_tag_line() -> None:
    text = sample(CIF)
    lc = parse_mt700(text, CIF)
    source = lc.amount.source
    assert source.file == CIF and source.line == line_of(text, ":32B:")
    assert source.raw == "USD125000,00" and source.extractor == "mt700"
    assert source.page is None and source.bbox is None
    assert lc.beneficiary.source.line == line_of(text, ":59:")
    # narrative items point at their own first line
    assert lc.documents_required[1].source.line == line_of(text, "+FULL SET OF CLEAN")
    assert lc.goods[1].source is not None and lc.goods[1].source.line == line_of(text, "+2,500 SETS")


def test_cif_sample_goods_and_incoterm() -> None:
    text = sample(CIF)
    lc = parse_mt700(text, CIF)
    assert lc.incoterm is not None and lc.incoterm.value == "CIF"
    assert lc.incoterm_place is not None and lc.incoterm_place.value == "ROTTERDAM"
    assert lc.goods_description is not None
    assert lc.goods_description.value.startswith("+5,000 PCS STAINLESS")
    assert lc.goods_description.value.endswith("+CIF ROTTERDAM INCOTERMS 2020")
    # the trade-terms item is not a line of goods
    assert len(lc.goods) == 2
    first, second = lc.goods
    assert first.quantity is not None and (first.quantity.amount, first.quantity.unit) == (
        Decimal(5000),
        "PCS",
    )
    assert first.unit_price is not None and first.unit_price.amount == Decimal("12.50")
    assert second.quantity is not None and (second.quantity.amount, second.quantity.unit) == (
        Decimal(2500),
        "SETS",
    )
    assert second.unit_price is not None and second.unit_price.amount == Decimal("25.00")
    assert not first.about and not second.about


def test_cif_sample_documents_required() -> None:
    lc = parse_mt700(sample(CIF), CIF)
    invoice, bill, packing, origin, insurance, certificate = lc.documents_required
    assert invoice.document_type == "commercial_invoice"
    assert (invoice.originals, invoice.copies, invoice.signed) == (3, 2, True)
    assert "shows_credit_number" in invoice.notations
    assert bill.document_type == "bill_of_lading" and bill.full_set and bill.blank_endorsed
    assert bill.to_order_of == "HOLLANDSE HANDELSBANK N.V."
    assert bill.notify == "APPLICANT"
    assert {"clean_on_board", "on_board", "freight_prepaid"} <= set(bill.notations)
    assert packing.document_type == "packing_list"
    assert origin.document_type == "certificate_of_origin"
    assert origin.issuer == "CHINA COUNCIL FOR THE PROMOTION OF INTERNATIONAL TRADE"
    assert (origin.originals, origin.copies) == (1, 1)
    assert insurance.document_type == "insurance_certificate"
    assert insurance.insurance_percent == Decimal(110) and insurance.insurance_basis == "CIF"
    assert insurance.insurance_clauses == [
        "INSTITUTE CARGO CLAUSES (A)",
        "INSTITUTE WAR CLAUSES (CARGO)",
        "INSTITUTE STRIKES CLAUSES (CARGO)",
    ]
    assert certificate.document_type is None  # a beneficiary's certificate has no document type
    assert lc.additional_conditions[0].value == "ALL DOCUMENTS MUST BE ISSUED IN ENGLISH."
    assert len(lc.additional_conditions) == 3


def test_fob_sample_without_envelope_about_and_no_48() -> None:
    text = sample(FOB)
    assert not text.startswith("{")
    assert is_swift_message(text)
    lc = parse_mt700(text, FOB)
    assert lc.sender_bic is None and lc.receiver_bic is None
    assert lc.number.value == "LC/IMP/26/00931"
    assert lc.tolerance_plus is None and lc.tolerance_minus is None  # no 39A
    assert lc.presentation_period is None  # no 48: UCP 600 14(c) applies downstream
    assert lc.incoterm is not None and lc.incoterm.value == "FOB"
    assert lc.incoterm_place is not None and lc.incoterm_place.value == "KANDLA"
    # numbered items; the total line is not a line of goods
    assert len(lc.goods) == 1
    meal = lc.goods[0]
    assert meal.about is True
    assert meal.quantity is not None and (meal.quantity.amount, meal.quantity.unit) == (Decimal(500), "MT")
    assert meal.unit_price is not None and meal.unit_price.amount == Decimal("450.00")
    assert meal.hs_code == "2304.00"
    invoice, bill, phyto, inspection = lc.documents_required
    assert (invoice.originals, invoice.copies) == (1, 4)  # five-fold: UCP 600 17(e)
    assert bill.originals == 2 and not bill.full_set  # 2/3 set
    assert bill.consignee == "MIDWEST AGRI FOODS INC."
    assert "freight_collect" in bill.notations
    assert phyto.document_type is None and phyto.issuer == "PLANT PROTECTION AUTHORITY OF INDIA"
    assert inspection.document_type is None and inspection.issuer == "SGS"
    assert lc.applicant.value.country == "US" and lc.beneficiary.value.country == "IN"
    assert lc.confirmation is not None and lc.confirmation.value == "CONFIRM"


def test_output_envelope_with_crlf_blocks_3_and_5() -> None:
    text = sample(FCA)
    assert "\r\n" in text
    message = parse_swift_message(text, FCA)
    assert message.message_type == "700" and message.direction == "output"
    assert message.block3 == {"108": "MUR26011500042"}
    assert message.block5 == {"CHK": "0123456789AB"}
    lc = parse_mt700(text, FCA)
    # output message: the sender is in block 2's MIR, block 1 is the receiver
    assert (lc.sender_bic, lc.receiver_bic) == ("TESTDEFF", "TESTKRSE")
    assert lc.pre_advice_reference is not None and lc.pre_advice_reference.value == "PREADV0042"
    assert lc.tolerance_plus is not None and lc.tolerance_plus.value == 10
    assert lc.tolerance_minus is not None and lc.tolerance_minus.value == 0
    assert lc.available_with is not None and lc.available_with.value == "TESTKRSE"
    assert lc.available_by is not None and lc.available_by.value == "BY DEF PAYMENT"
    assert lc.shipment_period is not None and lc.latest_shipment_date is None
    assert lc.incoterm is not None and (lc.incoterm.value, lc.incoterm_place and lc.incoterm_place.value) == (
        "FCA",
        "BUSAN",
    )
    period = lc.presentation_period
    assert period is not None and period.value.days == 15 and period.value.after == "DATE OF SHIPMENT"
    assert lc.beneficiary.value.country == "KR" and lc.applicant.value.country == "DE"
    insurance = lc.documents_required[3]
    assert insurance.insurance_percent == Decimal(110) and insurance.insurance_basis == "INVOICE"
    assert insurance.insurance_clauses == ["ALL RISKS", "INSTITUTE CARGO CLAUSES (A)"]
    assert lc.documents_required[1].to_order_of == "SHIPPER"
    assert lc.documents_required[1].full_set and lc.documents_required[1].originals == 3
    assert lc.documents_required[4].document_type is None and lc.documents_required[4].copies == 1
    # line numbers count CRLF lines like LF lines
    assert lc.amount.source.line == line_of(text, ":32B:")


# --------------------------------------------------------------------------- 46A wording


@pytest.mark.parametrize(
    ("wording", "expected"),
    [
        ("SIGNED COMMERCIAL INVOICE IN 3 ORIGINALS AND 2 COPIES", {"document_type": "commercial_invoice", "originals": 3, "copies": 2, "signed": True}),
        ("COMMERCIAL INVOICE IN TRIPLICATE", {"document_type": "commercial_invoice", "originals": 1, "copies": 2}),
        ("PACKING LIST IN DUPLICATE", {"document_type": "packing_list", "originals": 1, "copies": 1}),
        ("COMMERCIAL INVOICE IN FIVE-FOLD", {"originals": 1, "copies": 4}),
        ("PACKING LIST IN 5-FOLD", {"document_type": "packing_list", "originals": 1, "copies": 4}),
        ("ONE ORIGINAL AND TWO COPIES OF PACKING LIST", {"document_type": "packing_list", "originals": 1, "copies": 2}),
        ("FULL SET OF CLEAN ON BOARD MARINE BILLS OF LADING", {"document_type": "bill_of_lading", "full_set": True}),
        ("2/3 SET OF CLEAN ON BOARD OCEAN BILLS OF LADING", {"document_type": "bill_of_lading", "originals": 2, "full_set": False}),
        ("CLEAN ON BOARD B/L MADE OUT TO ORDER AND BLANK ENDORSED", {"document_type": "bill_of_lading", "to_order_of": "SHIPPER", "blank_endorsed": True}),
        ("MARINE BILL OF LADING MADE OUT TO THE ORDER OF XYZ BANK, NOTIFY APPLICANT", {"to_order_of": "XYZ BANK", "notify": "APPLICANT"}),
        ("OCEAN BILL OF LADING ENDORSED IN BLANK MARKED FREIGHT COLLECT", {"blank_endorsed": True, "notations": ["freight_collect"]}),
        ("MULTIMODAL TRANSPORT DOCUMENT CONSIGNED TO ACME IMPORTS LTD", {"document_type": "bill_of_lading", "consignee": "ACME IMPORTS LTD"}),
        ("COMBINED TRANSPORT DOCUMENT SHOWING FREIGHT PREPAID", {"document_type": "bill_of_lading", "notations": ["freight_prepaid"]}),
        ("CERTIFICATE OF ORIGIN ISSUED BY THE CHAMBER OF COMMERCE AND INDUSTRY", {"document_type": "certificate_of_origin", "issuer": "CHAMBER OF COMMERCE AND INDUSTRY"}),
        ("INSURANCE POLICY FOR 110 PCT OF CIF VALUE COVERING ALL RISKS", {"document_type": "insurance_certificate", "insurance_percent": Decimal(110), "insurance_basis": "CIF", "insurance_clauses": ["ALL RISKS"]}),
        ("INSURANCE CERTIFICATE FOR 110% OF INVOICE VALUE, ICC(B)", {"insurance_percent": Decimal(110), "insurance_basis": "INVOICE", "insurance_clauses": ["INSTITUTE CARGO CLAUSES (B)"]}),
        ("INSURANCE CERTIFICATE COVERING CIF VALUE PLUS 10 PCT", {"insurance_percent": Decimal(110), "insurance_basis": "CIF"}),
        ("INSURANCE POLICY/CERTIFICATE COVERING INSTITUTE WAR AND STRIKES CLAUSES", {"insurance_clauses": ["INSTITUTE WAR CLAUSES (CARGO)", "INSTITUTE STRIKES CLAUSES (CARGO)"]}),
        ("DRAFTS AT SIGHT DRAWN ON US FOR 100 PCT OF INVOICE VALUE", {"document_type": "draft", "insurance_percent": None}),
        ("BILL OF EXCHANGE AT 60 DAYS SIGHT", {"document_type": "draft"}),
        ("BENEFICIARY'S CERTIFICATE STATING THAT COPIES OF COMMERCIAL INVOICE AND BILL OF LADING HAVE BEEN SENT", {"document_type": None}),
        ("INSPECTION CERTIFICATE ISSUED BY SGS", {"document_type": None, "issuer": "SGS"}),
        ("PHOTOCOPY OF COMMERCIAL INVOICE", {"document_type": "commercial_invoice", "copies": 1, "originals": None}),
        ("UNSIGNED PROFORMA INVOICE", {"document_type": None, "signed": False}),
    ],
)  # fmt: skip
def test_document_wording(wording: str, expected: dict[str, object]) -> None:
    requirement = document_requirement(item(wording), PROVENANCE)
    for name, value in expected.items():
        actual = getattr(requirement, name)
        if name == "notations":
            assert set(value) <= set(actual), (wording, actual)  # type: ignore[arg-type]
        else:
            assert actual == value, (wording, name, actual)


# --------------------------------------------------------------------------- 45A wording


@pytest.mark.parametrize(
    ("wording", "quantity", "unit", "about"),
    [
        ("ABOUT 1,000 PCS LADIES SHOES", Decimal(1000), "PCS", True),
        ("APPROX. 20 MT WHITE SUGAR", Decimal(20), "MT", True),
        ("APPROXIMATELY 12.5 METRIC TONS COPPER WIRE", Decimal("12.5"), "MT", True),
        ("CIRCA 300 CARTONS OF TEA", Decimal(300), "CARTONS", True),
        ("CA. 50 DRUMS LUBRICANT", Decimal(50), "DRUMS", True),
        ("1.250,50 KGS COFFEE BEANS", Decimal("1250.50"), "KGS", False),
        ("COTTON YARN, QUANTITY: 2,000 KG", Decimal(2000), "KGS", False),
        ("120 CLUTCHES 4 GANGS MODEL A 154", Decimal(120), "PCS", False),
    ],
)
def test_goods_quantity_wording(wording: str, quantity: Decimal, unit: str, about: bool) -> None:
    goods = goods_item(item(wording), PROVENANCE)
    assert goods is not None and goods.quantity is not None
    assert (goods.quantity.amount, goods.quantity.unit, goods.about) == (quantity, unit, about)


@pytest.mark.parametrize(
    ("wording", "amount", "currency"),
    [
        ("500 PCS VALVES AT USD 12.50 PER PC", Decimal("12.50"), "USD"),
        ("500 PCS VALVES USD 12,50/PCS", Decimal("12.50"), "USD"),
        ("2 MT RESIN @ EUR 1,450.00/MT", Decimal("1450.00"), "EUR"),
        ("100 SETS UNIT PRICE JPY 9800 EACH", Decimal(9800), "JPY"),
    ],
)
def test_goods_unit_price_wording(wording: str, amount: Decimal, currency: str) -> None:
    goods = goods_item(item(wording), PROVENANCE)
    assert goods is not None and goods.unit_price is not None
    assert (goods.unit_price.amount, goods.unit_price.currency) == (amount, currency)
    assert goods.amount is None  # a unit price is not the amount of the line


def test_goods_about_on_price_and_quantity_not_confused_with_price() -> None:
    goods = goods_item(item("STEEL BILLETS AT ABOUT USD 500.00 PER MT"), PROVENANCE)
    assert goods is not None and goods.unit_price is not None
    assert goods.quantity is None  # "500.00 PER MT" is a price, not a quantity


@pytest.mark.parametrize(
    ("text", "term", "place"),
    [
        ("+CIF ROTTERDAM INCOTERMS 2020", "CIF", "ROTTERDAM"),
        ("+CIF ROTTERDAM", "CIF", "ROTTERDAM"),
        ("+TRADE TERMS: FOB SHANGHAI PORT, CHINA", "FOB", "SHANGHAI PORT"),
        ("+500 MT UREA CFR JEBEL ALI AS PER INCOTERMS 2020", "CFR", "JEBEL ALI"),
        ("+DELIVERY TERMS DAP", "DAP", None),
    ],
)
def test_incoterm_wording(text: str, term: str, place: str | None) -> None:
    found = find_incoterm(split_items(text, 1))
    assert found is not None and (found.term, found.place) == (term, place)


def test_items_split_plus_numbered_and_plain() -> None:
    plus = split_items("+ONE\nCONTINUED\n+TWO", 10)
    assert [(i.text, i.line) for i in plus] == [("ONE CONTINUED", 10), ("TWO", 12)]
    numbered = split_items("1) FIRST ITEM\n2. SECOND\nMORE TEXT 3. NOT AN ITEM\n3) THIRD", 1)
    assert [i.text for i in numbered] == ["FIRST ITEM", "SECOND MORE TEXT 3. NOT AN ITEM", "THIRD"]
    assert [i.text for i in split_items("JUST ONE\nPARAGRAPH", 1)] == ["JUST ONE PARAGRAPH"]


@pytest.mark.parametrize(
    ("text", "number"),
    [("5,000", Decimal(5000)), ("12,50", Decimal("12.50")), ("1.250,50", Decimal("1250.50")),
     ("1,250.50", Decimal("1250.50")), ("12.500", Decimal("12.500")), ("1.000.000", Decimal(1000000))],
)  # fmt: skip
def test_number_formats(text: str, number: Decimal) -> None:
    assert parse_number(text) == number


# --------------------------------------------------------------------------- 48


@pytest.mark.parametrize(
    ("value", "days", "after"),
    [
        ("21", 21, "SHIPMENT"),
        ("21/FROM THE DATE OF SHIPMENT", 21, "DATE OF SHIPMENT"),
        ("10/CTD", 10, "CTD"),
        ("DOCUMENTS TO BE PRESENTED WITHIN\nFIFTEEN (15) DAYS AFTER B/L DATE", 15, "B/L DATE"),
    ],
)
def test_presentation_period_formats(value: str, days: int, after: str) -> None:
    from extractors.swift_fields import SwiftField

    period = presentation_period(value, "t.fin", SwiftField("48", value, 5))
    assert (period.days, period.after) == (days, after)


def test_presentation_period_without_days_is_an_error() -> None:
    from extractors.swift_fields import SwiftField

    with pytest.raises(InputError) as error:
        presentation_period("WITHIN THE VALIDITY", "t.fin", SwiftField("48", "WITHIN THE VALIDITY", 7))
    assert (error.value.line, error.value.tag) == (7, "48")


# --------------------------------------------------------------------------- MT707


def test_amendments_apply_in_order_and_keep_history() -> None:
    lc = parse_mt700(sample(CIF), CIF)
    first_text = sample(AMEND_1)
    once = apply_mt707(lc, first_text, AMEND_1)
    # the original is not modified
    assert lc.amendments == [] and lc.amount.value.amount == Decimal("125000.00")
    assert once.amount.value.amount == Decimal("135000.00")
    assert once.amount.source.extractor == "mt707" and once.amount.source.line == line_of(first_text, ":32B:")
    assert once.expiry_date.value == dt.date(2026, 7, 15)
    assert once.latest_shipment_date is not None and once.latest_shipment_date.value == dt.date(2026, 6, 30)
    # 45B /ADD/: old goods keep their MT700 provenance, the new one is from the MT707
    assert [g.source.extractor for g in once.goods if g.source] == ["mt700", "mt700", "mt707"]
    assert once.goods[2].quantity is not None and once.goods[2].quantity.amount == 400
    assert once.incoterm is not None and once.incoterm.value == "CIF"
    # 46B: the triplicate packing list is replaced by one in 2 originals
    packing = [d for d in once.documents_required if d.document_type == "packing_list"]
    assert len(packing) == 1 and packing[0].originals == 2 and packing[0].source.extractor == "mt707"
    assert len(once.documents_required) == len(lc.documents_required)
    assert once.additional_conditions[-1].value.startswith("DOCUMENTS DATED PRIOR")
    (record,) = once.amendments
    assert record.number == 1 and record.date == dt.date(2026, 4, 2)
    assert record.changes["amount"] == {"amount": "135000.00", "currency": "USD"}
    assert record.changes["expiry_date"] == "2026-07-15"
    assert record.changes["amendment_charges"] == "APPL"
    assert record.raw_fields["32B"] == "USD10000,00"
    assert record.source.file == AMEND_1

    twice = apply_mt707(once, sample(AMEND_2), AMEND_2)
    assert [a.number for a in twice.amendments] == [1, 2]
    assert twice.amount.value.amount == Decimal("130000.00")  # 135000 - 5000 = 34B
    assert twice.tolerance_plus is not None and twice.tolerance_plus.value == 10
    # /REPALL/ replaces all goods and the trade terms
    assert len(twice.goods) == 2 and twice.incoterm is not None and twice.incoterm.value == "CFR"
    assert twice.goods_description is not None and "CFR ROTTERDAM" in twice.goods_description.value
    assert not any("THIRD PARTY" in c.value for c in twice.additional_conditions)
    assert twice.amendments[1].changes["narrative"] == "ALL OTHER TERMS AND CONDITIONS REMAIN UNCHANGED."
    # the amended credit survives a JSON round trip (it is stored and sent by the API)
    assert LetterOfCredit.model_validate_json(twice.model_dump_json()) == twice


def test_prowide_minimal_mt707_applies_increase_decrease_and_new_amount(shared_data: Path) -> None:
    text = (shared_data / "swift/prowide-core/MT707_amendment_minimal.fin").read_text()
    base = sample(CIF).replace(":20:ILC2026NL0417", ":20:FOO").replace(":32B:USD125000,00", ":32B:USD4000,")
    lc = parse_mt700(base, "foo.fin")
    amended = apply_mt707(lc, text, "MT707_amendment_minimal.fin")
    # 4000 + 1000 (32B) - 2000 (33B) = 3000 = 34B
    assert amended.amount.value.amount == Decimal(3000)
    assert amended.amendments[0].number == 1  # no 26E in this layout: next in sequence
    # the same amendment against a credit whose amount does not reconcile with 34B
    other = parse_mt700(base.replace(":32B:USD4000,", ":32B:USD9000,"), "foo.fin")
    with pytest.raises(InputError) as error:
        apply_mt707(other, text, "MT707_amendment_minimal.fin")
    assert error.value.tag == "34B" and error.value.line == line_of(text, ":34B:")


def test_pre_2018_mt707_keeps_59_as_identification_and_44d_replaces_44c() -> None:
    lc = parse_mt700(sample(CIF), CIF)
    old_layout = (
        ":20:ILC2026NL0417\n:21:NONREF\n:26E:1\n:30:260401\n:59:NINGBO BRIGHT HOUSEWARES\n"
        ":31E:260720\n:44D:SHIPMENT IN JUNE 2026\n:79:BENEFICIARY'S NAME TO READ NINGBO BRIGHT CO.\n"
    )
    amended = apply_mt707(lc, old_layout, "old707.txt")
    assert amended.beneficiary == lc.beneficiary  # 59 only identified the beneficiary
    assert amended.expiry_date.value == dt.date(2026, 7, 20)
    assert amended.expiry_place == lc.expiry_place  # 31E changes the date only
    assert amended.latest_shipment_date is None and amended.shipment_period is not None
    record = amended.amendments[0]
    assert record.changes["beneficiary_before_amendment"] == "NINGBO BRIGHT HOUSEWARES"
    assert record.changes["latest_shipment_date"] is None
    assert record.changes["narrative"].startswith("BENEFICIARY'S NAME")


def test_mt707_for_another_credit_is_refused() -> None:
    lc = parse_mt700(sample(FOB), FOB)
    text = sample(AMEND_1)
    with pytest.raises(InputError) as error:
        apply_mt707(lc, text, AMEND_1)
    assert error.value.tag == "20" and error.value.line == line_of(text, ":20:")
    assert "LC/IMP/26/00931" in str(error.value)


def test_mt707_out_of_order_and_twice_is_refused() -> None:
    lc = parse_mt700(sample(CIF), CIF)
    with pytest.raises(InputError, match="amendments are missing") as error:
        apply_mt707(lc, sample(AMEND_2), AMEND_2)
    assert error.value.tag == "26E"
    once = apply_mt707(lc, sample(AMEND_1), AMEND_1)
    with pytest.raises(InputError, match="already applied"):
        apply_mt707(once, sample(AMEND_1), AMEND_1)


def test_mt707_delete_of_an_item_not_in_the_credit() -> None:
    lc = parse_mt700(sample(CIF), CIF)
    text = sample(AMEND_1).replace("/DELETE/+PACKING LIST IN TRIPLICATE", "/DELETE/+PACKING LIST IN 9 COPIES")
    with pytest.raises(InputError, match="not found") as error:
        apply_mt707(lc, text, AMEND_1)
    assert error.value.tag == "46B" and error.value.line == line_of(text, ":46B:")


def test_mt707_narrative_without_code_and_currency_mismatch() -> None:
    lc = parse_mt700(sample(CIF), CIF)
    no_code = sample(AMEND_1).replace(":47B:/ADD/+DOCUMENTS", ":47B:+DOCUMENTS")
    with pytest.raises(InputError, match="/ADD/") as error:
        apply_mt707(lc, no_code, AMEND_1)
    assert error.value.tag == "47B"
    other_currency = sample(AMEND_1).replace(":32B:USD10000,00", ":32B:EUR10000,00")
    with pytest.raises(InputError, match="differs") as error:
        apply_mt707(lc, other_currency, AMEND_1)
    assert error.value.tag == "32B"


def test_message_type_mismatch_names_the_type() -> None:
    with pytest.raises(InputError, match="MT707") as error:
        parse_mt700(sample(AMEND_1), AMEND_1)
    assert error.value.file == AMEND_1
    lc = parse_mt700(sample(CIF), CIF)
    with pytest.raises(InputError, match="MT700"):
        apply_mt707(lc, sample(CIF), CIF)


# --------------------------------------------------------------------------- real MT720


def test_real_mt720_fields_parse_and_validate(shared_data: Path) -> None:
    text = (shared_data / "swift/prowide-core/MT720_transfer_documentary_credit.fin").read_text()
    message = parse_swift_message(text, "MT720.fin")
    assert message.message_type == "720"
    assert [f.tag for f in message.fields][:5] == ["27", "40B", "20", "21", "31C"]
    for field in message.fields:
        check_field_format(field, "MT720.fin")  # the layout shared with the MT700 is valid
    by_tag = {f.tag: f for f in message.fields}
    assert by_tag["40B"].value == "IRREVOCABLE\nADDING OUR CONFIRMATION"
    assert by_tag["45A"].line == line_of(text, ":45A:")
    goods_items = split_items(by_tag["45A"].value, by_tag["45A"].line)
    goods = [g for g in (goods_item(i, PROVENANCE) for i in goods_items) if g is not None]
    assert [(g.quantity.amount if g.quantity else None) for g in goods] == [400, 120, 800, 600, 120]
    incoterm = find_incoterm(goods_items)
    assert incoterm is not None and (incoterm.term, incoterm.place) == ("FCA", "SINGAPORE")
    documents = [document_requirement(i, PROVENANCE) for i in split_items(by_tag["46A"].value, 1)]
    assert [d.document_type for d in documents] == [
        "commercial_invoice",
        "bill_of_lading",
        "packing_list",
        None,
    ]
    assert documents[0].signed and (documents[0].originals, documents[0].copies) == (1, 4)
    assert documents[1].full_set and documents[1].to_order_of == "SHIPPER" and documents[1].blank_endorsed
    assert documents[3].issuer == "COMPANY UNDERSIGNING THE CTD"
    from extractors.swift_fields import named_party

    applicant = named_party(by_tag["50"], "MT720.fin", account_allowed=False)
    beneficiary = named_party(by_tag["59"], "MT720.fin", account_allowed=True)
    assert (applicant.country, beneficiary.country) == ("GB", "SG")
    period = presentation_period(by_tag["48"].value, "MT720.fin", by_tag["48"])
    assert (period.days, period.after) == (10, "CTD")


def test_real_mt720_is_not_an_mt700(shared_data: Path) -> None:
    text = (shared_data / "swift/prowide-core/MT720_transfer_documentary_credit.fin").read_text()
    with pytest.raises(InputError, match="MT720"):
        parse_mt700(text, "MT720.fin")


# --------------------------------------------------------------------------- malformed input


def _replace(old: str, new: str):  # type: ignore[no-untyped-def]
    def mutate(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return mutate


MALFORMED = [
    ("unknown tag", _replace(":49:WITHOUT", ":49:WITHOUT\n:99Z:SOMETHING"), ":99Z:", "99Z", "unknown tag"),
    ("bad date", _replace(":31C:260310", ":31C:261340"), ":31C:", "31C", "does not exist"),
    ("date not YYMMDD", _replace(":44C:260531", ":44C:31MAY6"), ":44C:", "44C", "YYMMDD"),
    ("bad amount", _replace(":32B:USD125000,00", ":32B:USD125.000,00"), ":32B:", "32B", "not a SWIFT number"),
    ("unknown currency", _replace(":32B:USD125000,00", ":32B:XYZ125000,00"), ":32B:", "32B", "ISO 4217"),
    ("too many decimals", _replace(":32B:USD125000,00", ":32B:USD125000,001"), ":32B:", "32B", "decimals"),
    ("bad tolerance", _replace(":39A:5/5", ":39A:5-5"), ":39A:", "39A", "NN/NN"),
    (
        "non-X character",
        _replace("WILHELMINAKADE 909", "WILHELMINAKADE 909 €"),
        "WILHELMINAKADE",
        "50",
        "character",
    ),
    (
        "x set in 50",
        _replace("WILHELMINAKADE 909", "WILHELMINAKADE #909"),
        "WILHELMINAKADE",
        "50",
        "x character set",
    ),
    (
        "line too long",
        _replace("WILHELMINAKADE 909", "WILHELMINAKADE 909 " + "A" * 20),
        "WILHELMINAKADE",
        "50",
        "allows 35",
    ),
    (
        "narrative too wide",
        _replace("+PACKING LIST IN TRIPLICATE", "+PACKING LIST IN TRIPLICATE" + " X" * 25),
        "+PACKING LIST",
        "46A",
        "allows 65",
    ),
    (
        "empty line in field",
        _replace("COOLSINGEL 104\n", "COOLSINGEL 104\n\n"),
        "COOLSINGEL",
        "51D",
        "empty line",
    ),
    ("bad code", _replace(":49:WITHOUT", ":49:MAYBE"), ":49:", "49", "one of"),
    ("bad availability", _replace("BY NEGOTIATION", "BY CHEQUE"), "BY CHEQUE", "41D", "BY PAYMENT"),
    ("bad BIC", _replace(":42A:TESTNL2A", ":42A:TEST2"), ":42A:", "42A", "BIC"),
    ("duplicate field", _replace(":49:WITHOUT", ":49:WITHOUT\n:49:CONFIRM"), ":49:CONFIRM", "49", "twice"),
    ("MT701 continuation", _replace(":27:1/1", ":27:1/2"), ":27:", "27", "MT701"),
    ("44C with 44D", _replace(":44C:260531", ":44C:260531\n:44D:MAY 2026"), ":44D:", "44D", "44C"),
    ("stray colon line", _replace("HOLLAND\n", "HOLLAND\n:ABC\n"), ":ABC", "50", "not a field tag"),
]


# cases whose error is on a line after the locator line: the empty line after "COOLSINGEL"
LINE_AFTER_LOCATOR = {"empty line in field": 1}


@pytest.mark.parametrize(
    ("case", "mutate", "locator", "tag", "message"),
    MALFORMED,
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_mt700_names_line_and_tag(case: str, mutate, locator: str, tag: str, message: str) -> None:  # type: ignore[no-untyped-def]
    text = mutate(sample(CIF))
    with pytest.raises(InputError) as error:
        parse_mt700(text, CIF)
    assert error.value.file == CIF
    assert error.value.tag == tag, str(error.value)
    assert error.value.line == line_of(text, locator) + LINE_AFTER_LOCATOR.get(case, 0), str(error.value)
    assert message in str(error.value)
    assert str(error.value).startswith(f"{CIF}:{error.value.line}: field {tag}: ")


@pytest.mark.parametrize("tag", ["50", "59", "32B", "31D", "49", "20"])
def test_missing_mandatory_field(tag: str) -> None:
    lines = sample(CIF).split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f":{tag}:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith((":", "-}")))
    text = "\n".join(lines[:start] + lines[end:])
    with pytest.raises(InputError, match="mandatory") as error:
        parse_mt700(text, CIF)
    assert error.value.tag == tag and error.value.line is not None


def test_missing_41a_is_reported_as_41a() -> None:
    text = sample(CIF).replace(":41D:ANY BANK IN CHINA\nBY NEGOTIATION\n", "")
    with pytest.raises(InputError, match="mandatory") as error:
        parse_mt700(text, CIF)
    assert error.value.tag == "41a"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("{1:F01TESTCNSHAXXX0000000000}{2:I700TESTNL2AXXXXN}{4:\n:20:X\n", 1, "not closed"),
        ("{1:F01TESTCNSHAXXX0000000000}{2:I700TESTNL2AXXXXN}\n", 1, "no block 4"),
        ("{1:F01TESTCNSHAXXX0000000000}{2:I700TESTNL2AXXXXN}{4:\n:20:X\n-}{5:{CHK:1}", 3, "not closed"),
        ("{1:F01TESTCNSHAXXX0000000000}{2:I700TESTNL2AXXXXN}{4:\n:20:X\n-}garbage", 3, "expected a block"),
        ("{1:NOTAHEADER}{2:I700TESTNL2AXXXXN}{4:\n:20:X\n-}", 1, "block 1"),
        ("{1:F01TESTCNSHAXXX0000000000}{2:X700}{4:\n:20:X\n-}", 1, "block 2"),
        ("{4:\nTEXT WITHOUT TAG\n-}", 2, "field tag"),
        ("", None, "empty"),
    ],
)
def test_broken_block_structure(text: str, line: int | None, message: str) -> None:
    with pytest.raises(InputError, match=message) as error:
        parse_mt700(text, "broken.fin")
    assert error.value.line == line and error.value.file == "broken.fin"


def test_tolerates_lf_crlf_and_trailing_whitespace() -> None:
    text = sample(CIF)
    variants = [
        text.replace("\n", "\r\n"),
        "\n".join(line + "  \t" for line in text.split("\n")),
        "\ufeff" + text,
    ]
    expected = parse_mt700(text, CIF).model_dump()
    for variant in variants:
        assert parse_mt700(variant, CIF).model_dump() == expected


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("name", [CIF, FOB, FCA])
def test_valid_samples_never_raise_and_optional_fields_can_go(name: str) -> None:
    """Removing any optional field keeps the message valid."""
    text = sample(name).replace("\r\n", "\n")
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(":")]
    mandatory = {"27", "40A", "20", "31C", "40E", "31D", "50", "59", "32B", "41A", "41D", "49"}
    # 42C/42A go together, so they are removed as a pair below
    paired = {"42C", "42A"}
    removed = 0
    for index, start in enumerate(starts):
        tag = lines[start].split(":")[1]
        if tag in mandatory or tag in paired:
            continue
        end = (
            starts[index + 1]
            if index + 1 < len(starts)
            else next(i for i in range(start + 1, len(lines)) if lines[i].startswith("-") or not lines[i])
        )
        variant = "\n".join(lines[:start] + lines[end:])
        assert isinstance(parse_mt700(variant, name), LetterOfCredit)
        removed += 1
    assert removed >= 5


@pytest.mark.parametrize("seed", range(6))
def test_garbage_raises_input_error_only(seed: int) -> None:
    """Random mutations of a valid message either still parse or raise InputError, nothing else."""
    rng = random.Random(seed)
    base = sample([CIF, FOB, FCA][seed % 3])
    alphabet = "{}:/-+\n\r ,.ABC019€é#\t%"
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(150):
        chars = list(base)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(chars))
            action = rng.randrange(3)
            if action == 0:
                del chars[position]
            elif action == 1:
                chars.insert(position, rng.choice(alphabet))
            else:
                chars[position] = rng.choice(alphabet)
        try:
            parse_mt700("".join(chars), "mutant.fin")
            outcomes["parsed"] += 1
        except InputError as error:
            assert error.file == "mutant.fin"
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0  # the mutations do break messages


def test_amendment_garbage_raises_input_error_only() -> None:
    rng = random.Random(7)
    lc = parse_mt700(sample(CIF), CIF)
    base = sample(AMEND_1)
    refused = 0
    for _ in range(100):
        chars = list(base)
        position = rng.randrange(len(chars))
        chars[position] = rng.choice("{}:/-+\n ,XYZ9€")
        try:
            amended = apply_mt707(lc, "".join(chars), "mutant.fin")
        except InputError as error:
            assert error.file == "mutant.fin"
            refused += 1
        else:
            assert [a.number for a in amended.amendments] == [1]
    assert refused > 0


# --------------------------------------------------------------------------- sniff, countries


def test_is_swift_message(shared_data: Path) -> None:
    for path in sorted((shared_data / "swift/prowide-core").glob("*.fin")):
        assert is_swift_message(path.read_text()), path.name
    for name in (CIF, FOB, FCA, AMEND_1):
        assert is_swift_message(sample(name))
    assert not is_swift_message("%PDF-1.7\n%\xe2\xe3")
    assert not is_swift_message("COMMERCIAL INVOICE\nInvoice no: 20:1\n")
    assert not is_swift_message("")
    assert not is_swift_message("Notes\n:20:ABC\n")  # a tag line that does not start the text


@pytest.mark.parametrize(
    ("lines", "country"),
    [
        (["12 CYCLE SQUARE", "UK/LONDON"], "GB"),
        (["NEW YORK, NY 10001", "USA"], "US"),
        (["NEWARK, NEW JERSEY"], "US"),
        (["3072 AP ROTTERDAM", "HOLLAND"], "NL"),
        (["SEOUL", "REPUBLIC OF KOREA"], "KR"),
        (["PYONGYANG, DPR KOREA"], "KP"),
        (["HAMBURG, DE"], "DE"),
        (["KOWLOON, HONG KONG SAR"], "HK"),
        (["SAO PAULO, BRASIL"], "BR"),
        (["CÔTE D'IVOIRE"], "CI"),
        (["SHOP 5 IN TOWN"], None),
        ([], None),
    ],
)
def test_country_from_address(lines: list[str], country: str | None) -> None:
    assert country_from_address(lines) == country


def test_party_names_wrapped_onto_a_second_swift_line_are_joined() -> None:
    text = sample(CIF)
    assert "NINGBO BRIGHT HOUSEWARES CO., LTD.\n88 JIANGNAN ROAD, BEILUN DISTRICT\nNINGBO 315800\n" in text
    text = text.replace(
        "NINGBO BRIGHT HOUSEWARES CO., LTD.\n88 JIANGNAN ROAD, BEILUN DISTRICT\nNINGBO 315800\n",
        "NINGBO GOLDEN HARVEST IMPORT AND\nEXPORT CO., LTD\n88 JIANGNAN ROAD, NINGBO 315800\n",
    )
    lc = parse_mt700(text, "wrapped.fin")
    assert lc.beneficiary.value.name == "NINGBO GOLDEN HARVEST IMPORT AND EXPORT CO., LTD"
    assert lc.beneficiary.value.address == ["88 JIANGNAN ROAD, NINGBO 315800", "CHINA"]
    assert lc.beneficiary.value.country == "CN"

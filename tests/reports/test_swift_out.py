"""MT734 / MT750: field order, line lengths, x character set, round trip through our parser."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from extractors.models import Money
from extractors.swift import parse_swift_message
from extractors.swift_fields import X_CHARACTERS
from reports.inputs import ReviewerDecision
from reports.swift_out import (
    FIELD_SPECS,
    SwiftOutputError,
    mt734,
    mt750,
    swift_amount,
    to_x_charset,
    wrap,
)


def _assert_valid(text: str, expected_type: str, order: list[str]) -> dict[str, str]:
    message = parse_swift_message(text, f"mt{expected_type}.fin")
    assert message.message_type == expected_type
    tags = [f.tag for f in message.fields]
    assert tags == order
    for field in message.fields:
        spec = FIELD_SPECS[field.tag]
        lines = field.value.split("\n")
        assert len(lines) <= spec.lines, field.tag
        for line in lines:
            assert 0 < len(line) <= spec.width, (field.tag, line)
            assert set(line) <= X_CHARACTERS, (field.tag, line)
            assert line[0] not in ":-", (field.tag, line)
    return {f.tag: f.value for f in message.fields}


def test_mt734_from_all_discrepancies_round_trips(report, presentation):
    out = mt734(report, presentation, sender_reference="REF/734/0001", presenting_bank_reference="PB-77")
    fields = _assert_valid(out.text(crlf=True), "734", ["20", "21", "32A", "77J", "77B"])
    assert fields["20"] == "REF/734/0001"
    assert fields["21"] == "PB-77"
    # Date of presentation + amount claimed (the invoice total: no draft presented).
    assert fields["32A"] == "260605USD131500,00"
    assert fields["77B"] == "/HOLD/"
    discrepancies = fields["77J"]
    assert discrepancies.startswith("1. INVOICE AMOUNT USD 131,500.00")
    assert "2. PORT OF LOADING" in discrepancies
    assert "UCP600 18(B)" in discrepancies and "UCP600 20(A)(III)" in discrepancies
    assert "PRESENTATION PERIOD" not in discrepancies  # info findings are not discrepancies
    assert out.sender_bic == "HKBKNL2A" and out.receiver_bic == "NBBKCNSH"


def test_mt734_uses_only_confirmed_discrepancies(report, presentation, decisions):
    out = mt734(report, presentation, decisions=decisions, disposal="NOTIFY",
                disposal_text="Holding documents until we receive the applicant's waiver")
    fields = _assert_valid(out.text(), "734", ["20", "21", "32A", "77J", "77B"])
    assert "INVOICE AMOUNT" in fields["77J"]
    assert "PORT OF LOADING" not in fields["77J"]  # waived
    assert fields["77B"].split("\n")[0] == "/NOTIFY/"
    assert "APPLICANT'S WAIVER" in fields["77B"]


def test_mt734_refuses_when_not_a_refusal(report, presentation, decisions):
    waived_all = [d.model_copy(update={"action": "waive"}) for d in decisions]
    with pytest.raises(SwiftOutputError, match="every discrepancy was waived"):
        mt734(report, presentation, decisions=waived_all)
    with pytest.raises(SwiftOutputError, match=r"1 discrepancies still await a decision: ucp600.20a3"):
        mt734(report, presentation, decisions=decisions[:1])
    compliant = report.model_copy(update={"findings": report.findings[2:], "outcome": "compliant"})
    with pytest.raises(SwiftOutputError, match="no discrepancies"):
        mt734(compliant, presentation)
    held = report.model_copy(update={"outcome": "hold"})
    with pytest.raises(SwiftOutputError, match="on hold"):
        mt734(held, presentation)


def test_mt750_round_trips_with_optional_fields(report, presentation):
    out = mt750(
        report, presentation,
        sender_reference="NEG-2026-0091",
        charges_deducted="Discrepancy fee USD 80.00 & courier charges 100% for beneficiary's account",
        total=Money(amount=Decimal("131420.00"), currency="USD"),
    )
    fields = _assert_valid(out.text(), "750", ["20", "21", "32B", "71D", "34B", "77J"])
    assert fields["21"] == "LC-REPORT-0042"
    assert fields["32B"] == "USD131500,00"
    assert fields["34B"] == "USD131420,00"
    assert "AND COURIER" in fields["71D"].replace("\n", " ") and "100 PCT" in fields["71D"]
    # Sent by the nominated bank to the issuing bank: the MT700's direction reversed.
    assert out.sender_bic == "NBBKCNSH" and out.receiver_bic == "HKBKNL2A"


def test_non_ascii_text_is_transliterated_into_the_x_set(report, presentation):
    report.findings[0].message = "Beneficiary «Müller & Søn Ltd» — invoice #12 shows 5% @ €3 {x}; qty=7*2 ~ ok!"
    out = mt734(report, presentation)
    fields = _assert_valid(out.text(), "734", ["20", "21", "32A", "77J", "77B"])
    assert "MULLER AND SON LTD" in fields["77J"]
    assert "5 PCT" in fields["77J"]


def test_long_discrepancy_lists_wrap_and_overflow_is_an_error(report, presentation):
    long_words = " ".join(["DISCREPANT"] * 60)
    report.findings[0].message = long_words
    fields = _assert_valid(mt734(report, presentation).text(), "734", ["20", "21", "32A", "77J", "77B"])
    assert len(fields["77J"].split("\n")) > 10
    report.findings[0].message = " ".join(["DISCREPANT"] * 400)
    with pytest.raises(SwiftOutputError, match=r"77J: .*allows 70"):
        mt734(report, presentation)


def test_wrap_never_starts_a_line_with_colon_or_dash():
    lines = wrap("AMOUNT DIFFERS " + "-5 PCT :TAG " * 10, 12)
    assert all(len(line) <= 12 and line[0] not in ":-" for line in lines)
    assert wrap("A" * 30, 12) == ["A" * 12, "A" * 12, "A" * 6]


def test_amounts_follow_the_currency_decimals():
    assert swift_amount(Money(amount=Decimal("1000"), currency="JPY")) == "JPY1000,"
    assert swift_amount(Money(amount=Decimal("12.5"), currency="KWD")) == "KWD12,500"
    with pytest.raises(SwiftOutputError, match="more decimals"):
        swift_amount(Money(amount=Decimal("10.5"), currency="JPY"))
    with pytest.raises(SwiftOutputError, match="not an active ISO 4217"):
        swift_amount(Money(amount=Decimal("10"), currency="XYZ"))


def test_bad_inputs_name_the_field(report, presentation):
    with pytest.raises(SwiftOutputError, match="sender: 'NOT A BIC' is not a BIC"):
        mt734(report, presentation, sender_bic="NOT A BIC").text()
    with pytest.raises(SwiftOutputError, match="field 20: reference '///' has no characters"):
        mt734(report, presentation, sender_reference="///")
    with pytest.raises(SwiftOutputError, match="77B: disposal 'KEEP'"):
        mt734(report, presentation, disposal="KEEP")  # type: ignore[arg-type]


def test_x_charset_conversion():
    assert to_x_charset("Zoë’s “quote”\tand\nnewline") == "ZOE'S 'QUOTE' AND NEWLINE"
    assert set(to_x_charset("ÆØÅ ß ç 中文 ~^|")) <= X_CHARACTERS


def test_block4_only_when_bics_unknown(report, presentation):
    presentation.lc.sender_bic = None
    out = mt734(report, presentation, utilisation_date=dt.date(2026, 6, 9))
    text = out.text()
    assert text.startswith(":20:") and text.endswith("\n-")
    assert parse_swift_message(text, "bare.txt").get("32A").value.startswith("260609")


def test_decisions_as_dicts(report, presentation):
    decisions = [
        ReviewerDecision(rule="ucp600.18b.invoice-amount", action="confirm", reason="r", who="a",
                         when=dt.datetime(2026, 6, 8)).model_dump(mode="json"),
        {"rule": "ucp600.20a3.port-of-loading", "action": "confirm", "reason": "r", "who": "a",
         "when": "2026-06-08T11:00:00"},
    ]
    fields = _assert_valid(mt734(report, presentation, decisions=decisions).text(), "734",
                           ["20", "21", "32A", "77J", "77B"])
    assert "PORT OF LOADING" in fields["77J"]

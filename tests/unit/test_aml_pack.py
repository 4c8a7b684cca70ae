"""The AML pack inside the examination: holds, warnings, evidence, fail-closed behaviour."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from engine.evaluate import SCREENING_UNAVAILABLE, examine
from engine.packs import PackError, load_packs
from engine.screening.decisions import DecisionStore
from tests.unit.aml_fixtures import AML_PACK, presentation, sample_screener


@pytest.fixture(scope="module")
def aml():
    return load_packs([AML_PACK])


@pytest.fixture(scope="module")
def screener():
    return sample_screener()


def rules_of(report) -> list[str]:
    return [f.rule for f in report.findings]


def test_clean_presentation_is_compliant(aml, screener) -> None:
    report = examine(presentation(), aml, screener)
    assert report.outcome == "compliant", [f.message for f in report.findings]
    assert not [f for f in report.findings if f.severity != "info"]


def test_listed_shipper_holds_with_evidence_on_the_bill_of_lading(aml, screener) -> None:
    report = examine(presentation(shipper="Nordvik Marine Trading Co Ltd"), aml, screener)
    assert report.outcome == "hold"
    hit = next(f for f in report.findings if f.rule == "aml.sanctions.list-hit")
    assert hit.hold and hit.documents == ["bill_of_lading"]
    evidence = hit.evidence[0]
    assert (evidence.document, evidence.field, evidence.file, evidence.page) == ("bill_of_lading", "shipper", "bl.pdf", 1)
    assert evidence.bbox == [72.0, 100.0, 300.0, 114.0]
    assert evidence.value["entry_id"] == "SAMPLE:9000002"
    assert evidence.value["list_version"].startswith("SAMPLE-")
    assert "NORDVIK MARINE TRADING" in hit.message and "SAMPLE 2026-01-01" in hit.message


def test_vessel_matched_by_imo_number(aml, screener) -> None:
    report = examine(presentation(vessel="OCEAN GLORY IMO 9999992"), aml, screener)
    hit = next(f for f in report.findings if f.rule == "aml.sanctions.list-hit")
    assert hit.evidence[0].field == "vessel" and hit.evidence[0].value["entry_id"] == "SAMPLE:9000004"
    assert report.outcome == "hold"


def test_bank_screened_by_bic(aml, screener) -> None:
    report = examine(presentation(applicant_bank_bic="ACMEXXB1XXX"), aml, screener)
    hit = next(f for f in report.findings if f.rule == "aml.sanctions.list-hit")
    assert hit.evidence[0].document == "letter_of_credit" and hit.evidence[0].field == "applicant_bank"
    assert hit.evidence[0].line == 9


def test_sanctioned_port_and_region_hold(aml, screener) -> None:
    report = examine(presentation(port_of_discharge="BANDAR ABBAS"), aml, screener)
    countries = [f for f in report.findings if f.rule == "aml.country.sanctioned"]
    assert report.outcome == "hold"
    assert {(f.evidence[0].document, f.evidence[0].field) for f in countries} == {
        ("letter_of_credit", "port_of_discharge"), ("bill_of_lading", "port_of_discharge")}
    assert "31 CFR part 560" in countries[0].message
    crimea = examine(presentation(consignee_address=("UL. LENINA 5", "SEVASTOPOL")), aml, screener)
    region = next(f for f in crimea.findings if f.rule == "aml.country.sanctioned")
    assert region.evidence[0].value["region"] == "UA-CRIMEA" and region.evidence[0].field == "consignee"


def test_tbml_red_flags_are_warnings(aml, screener) -> None:
    report = examine(presentation(unit_price="14.40", beneficiary_amended_on=dt.date(2026, 3, 20)), aml, screener)
    fired = rules_of(report)
    assert "aml.tbml.unit-price" in fired and "aml.tbml.beneficiary-change" in fired
    assert report.outcome == "compliant"  # warnings alone do not hold
    price = next(f for f in report.findings if f.rule == "aml.tbml.unit-price")
    assert price.evidence[0].value["price_ratio"] == pytest.approx(14.40 / 3.5, rel=1e-3)
    vague = examine(presentation(goods="GENERAL MERCHANDISE AS PER PROFORMA"), aml, screener)
    assert "aml.tbml.vague-goods" in rules_of(vague)
    dual = examine(presentation(goods="5 AXIS CNC MACHINING CENTRE"), aml, screener)
    assert "aml.goods.dual-use" in rules_of(dual)


def test_no_screener_holds_never_passes(aml) -> None:
    report = examine(presentation(), aml)
    assert report.outcome == "hold"
    assert SCREENING_UNAVAILABLE in rules_of(report)


def test_broken_decision_store_holds(aml, screener, tmp_path: Path) -> None:
    store = DecisionStore(tmp_path)
    store.decisions_dir.mkdir(parents=True)
    report_ok = examine(presentation(shipper="NORDVIK MARINE TRADING"), aml, screener, decisions=store)
    assert report_ok.outcome == "hold"
    entity = next(e for e in screener.index.entities if e.id == "SAMPLE:9000002")
    decision = store.record(entity=entity, query="NORDVIK MARINE TRADING", verdict="false_positive",
                            reviewer="a.officer", reason="test", list_version="v")
    (store.decisions_dir / f"{decision.decision_id}.json").write_text("{not json", encoding="utf-8")
    report = examine(presentation(shipper="NORDVIK MARINE TRADING"), aml, screener, decisions=store)
    assert report.outcome == "hold" and SCREENING_UNAVAILABLE in rules_of(report)
    assert "damaged decision file" in next(f for f in report.findings if f.rule == SCREENING_UNAVAILABLE).message


def test_ucp_only_ruleset_does_not_screen() -> None:
    ucp = load_packs([AML_PACK.parent / "ucp600"])
    assert ucp.screening is None
    assert SCREENING_UNAVAILABLE not in rules_of(examine(presentation(), ucp))


def test_bad_threshold_and_bad_data_file_stop_the_pack(tmp_path: Path) -> None:
    pack = tmp_path / "aml"
    shutil.copytree(AML_PACK, pack)
    manifest = pack / "pack.yaml"
    manifest.write_text(manifest.read_text().replace("review_threshold: 0.80", "review_threshold: 0.95"))
    with pytest.raises(PackError, match=r"pack.yaml:\d+: screening.review_threshold 0.95 is above hold_threshold"):
        load_packs([pack])
    manifest.write_text(manifest.read_text().replace("review_threshold: 0.95", "review_threshold: 0.80"))
    countries = pack / "data" / "sanctioned_countries.yaml"
    countries.write_text(countries.read_text().replace("  - code: CU", "  - code: cuba"))
    with pytest.raises(PackError) as caught:
        load_packs([pack])
    assert "sanctioned_countries.yaml:8: countries.0.code" in str(caught.value)
    (pack / "data" / "vague_goods.yaml").unlink()
    with pytest.raises(PackError, match=r"vague_goods\.yaml:1: missing data file"):
        load_packs([pack])


def test_bic_shaped_words_stay_in_the_names_screened() -> None:
    from engine.screening.presentation import targets_of
    from extractors.models import Extracted
    from tests.unit.aml_fixtures import mt

    # MERIDIAN and DEUTSCHE have the shape of a BIC (4+2+2 letters): they are words of the name
    vessel = next(t for t in targets_of(presentation(vessel="MV PACIFIC MERIDIAN IMO 9354521")) if t.role == "vessel")
    assert vessel.name == "MV PACIFIC MERIDIAN IMO 9354521" and vessel.identifiers == []
    lc_with_bank = presentation()
    lc_with_bank.lc.available_with = Extracted(value="DEUTSCHE BANK AG\nDEUTDEFF", source=mt(30))
    lc_with_bank.lc.reimbursing_bank = Extracted(value="NATIONAL TRADE BANK (NTBKAEAD)", source=mt(32))
    by_role = {t.role: t for t in targets_of(lc_with_bank)}
    available = by_role["available_with_bank"]
    assert available.name == "DEUTSCHE BANK AG"  # the BIC on its own line is not part of the name
    assert "BIC DEUTDEFF" in available.identifiers
    reimbursing = by_role["reimbursing_bank"]
    assert reimbursing.name == "NATIONAL TRADE BANK" and "BIC NTBKAEAD" in reimbursing.identifiers


@pytest.mark.parametrize("written", ["BY SEA, MV PACIFIC MERIDIAN", "By Vessel: MV PACIFIC MERIDIAN", "PER MV PACIFIC MERIDIAN"])
def test_the_mode_of_transport_is_not_screened_as_part_of_the_vessel(written: str) -> None:
    from engine.screening.presentation import targets_of

    vessel = next(t for t in targets_of(presentation(vessel=written)) if t.role == "vessel")
    assert vessel.name == "MV PACIFIC MERIDIAN"


def test_a_vessel_whose_name_starts_like_a_mode_word_keeps_it() -> None:
    from engine.screening.presentation import targets_of

    vessel = next(t for t in targets_of(presentation(vessel="PERSEVERANCE")) if t.role == "vessel")
    assert vessel.name == "PERSEVERANCE"

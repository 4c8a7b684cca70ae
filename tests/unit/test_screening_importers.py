"""Importers on the real lists (shared data) and on small files in the EU/UK/OFAC-XML layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.screening.importers import ListFormatError, detect_format, parse_files
from tests.unit.screening_fixtures import EU_CSV, EU_XML, OFAC_XML, UK_CSV, write


def sanctions(shared_data: Path) -> Path:
    return shared_data / "sanctions"


def by_id(parsed, entity_id):
    return next(e for e in parsed.entities if e.id == entity_id)


def test_ofac_sdn_2024_counts_and_remarks(shared_data: Path) -> None:
    parsed = parse_files([sanctions(shared_data) / "ofac/sdn_2024-05-03/sdn.csv"])
    assert parsed.source == "OFAC-SDN" and parsed.format == "ofac-sdn-csv"
    assert parsed.publication_date == "2024-05-03"
    counts = parsed.counts()
    assert counts["entities"] == 14965
    assert counts["vessel"] == 851 and counts["aircraft"] == 376
    assert counts["individual"] + counts["entity"] == 14965 - 851 - 376
    bank = by_id(parsed, "OFAC-SDN:306")
    assert bank.names[0].full == "BANCO NACIONAL DE CUBA"
    assert [(n.full, n.strength) for n in bank.names[1:]] == [("BNC", "weak")]
    vessel = by_id(parsed, "OFAC-SDN:4243")
    assert vessel.type == "vessel"
    assert ("IMO", "7406784") in {(i.kind, i.value) for i in vessel.identifiers}
    assert {"ANA I", "SAND SWAN"} <= {n.full for n in vessel.names if n.kind == "fka"}
    assert "Panama" in vessel.countries


def test_ofac_sdn_full_set_joins_aliases_addresses_and_comments(shared_data: Path) -> None:
    folder = sanctions(shared_data) / "ofac/sdn_full_2021-07-07"
    parsed = parse_files(sorted(folder.glob("*.csv")))
    assert parsed.counts()["entities"] == 8976
    assert len(parsed.files) == 4
    bank = by_id(parsed, "OFAC-SDN:306")
    assert "NATIONAL BANK OF CUBA" in {n.full for n in bank.names}
    assert {a.country for a in bank.addresses} == {"Switzerland", "Spain", "Japan", "Panama"}
    strong_aliases = sum(1 for e in parsed.entities for n in e.names if n.kind != "primary" and n.strength == "strong")
    assert strong_aliases == 11910  # every row of alt.csv landed on its entry
    comment_owner = next(e for e in parsed.entities if e.source_id == "12300")
    assert "Linked To: RED MUNDIAL INMOBILIARIA" in comment_owner.remarks  # sdn_comments.csv appended


def test_mismatched_ofac_files_are_refused(shared_data: Path) -> None:
    ofac = sanctions(shared_data) / "ofac"
    with pytest.raises(ListFormatError) as caught:
        parse_files([ofac / "sdn_2024-05-03/sdn.csv", ofac / "sdn_aliases_addresses_2025-01-06/alt.csv"])
    assert caught.value.file.endswith("alt.csv")
    assert isinstance(caught.value.where, int)
    assert "not from the same publication" in str(caught.value)


def test_ofac_consolidated(shared_data: Path) -> None:
    folder = sanctions(shared_data) / "ofac/consolidated_non_sdn_2025-12-19"
    parsed = parse_files(sorted(folder.glob("*.csv")))
    assert parsed.source == "OFAC-CONS" and parsed.counts()["entities"] == 442
    haniya = by_id(parsed, "OFAC-CONS:9639")
    assert {"HANIYA, Ismail", "HANIYYA, Ismaeel"} <= {n.full for n in haniya.names}
    assert haniya.dates_of_birth == ["1962"]
    leis = [i for e in parsed.entities for i in e.identifiers if i.kind == "LEI"]
    assert any(i.value == "253400WSS48YWMBUA688" for i in leis)


def test_un_consolidated_xml(shared_data: Path) -> None:
    parsed = parse_files([sanctions(shared_data) / "un/UN_consolidated.xml"])
    counts = parsed.counts()
    assert (counts["entities"], counts["individual"], counts["entity"]) == (1003, 730, 273)
    assert parsed.publication_date == "2026-02-27"
    badege = by_id(parsed, "UN:CDi.001")
    assert badege.names[0].full == "ERIC BADEGE" and badege.dates_of_birth == ["1971"]
    kakolele = by_id(parsed, "UN:CDi.002")
    assert {"FRANK KAKORERE", "AIGLE BLANC"} <= {n.full for n in kakolele.names}
    assert any(n.kind == "original_script" for e in parsed.entities for n in e.names)


def test_un_alias_fields_with_several_spellings_become_separate_aliases(shared_data: Path) -> None:
    parsed = parse_files([sanctions(shared_data) / "un/UN_consolidated.xml"])
    aliases = [n for e in parsed.entities for n in e.names if n.kind != "primary"]
    # 2,752 ALIAS_NAME elements; 27 of them hold several spellings, which give 79 more names
    assert sum(1 for n in aliases if n.kind == "aka") == 2831
    assert sum(1 for n in aliases if n.kind == "original_script") == 379  # 378 fields + one "(original script)" note
    assert not [n.full for e in parsed.entities for n in e.names if ";" in n.full]
    soleimani = by_id(parsed, "UN:IRi.039")
    assert [(n.full, n.strength) for n in soleimani.names[1:]] == [
        ("Qasim Soleimani", "strong"), ("Qasem Sulaimani", "strong"), ("Qasim Sulaimani", "strong"),
        ("Qasim Sulaymani", "strong"), ("Qasem Sulaymani", "strong"), ("Kasim Soleimani", "strong"),
        ("Kasim Sulaimani", "strong"), ("Kasim Sulaymani", "strong"),
        ("Haj Qasem", "weak"), ("Haji Qassem", "weak"), ("Sardar Soleimani", "weak")]
    # "X; Y b) Z; ..." is an enumeration: "b)" separates like ";"
    sabet = by_id(parsed, "UN:IRi.034")
    assert [n.full for n in sabet.names[1:]] == ["Mohammed Sabet", "Mohammad Sabet", "M. Javad Kareemi Sabet",
                                                 "M. Jawad Kareemi Sabet", "M. Jawad Karimi Sabet"]
    # an original-script alias with its transliterations in parentheses
    nusra = {(n.full, n.kind) for n in by_id(parsed, "UN:QDe.137").names}
    assert {("Hay’at Tahrir al-Sham (HTS)", "aka"), ("هيئة تحرير الشام", "original_script"),
            ("Hayat Tahrir al-Sham", "aka"), ("جبهة النصرة", "aka"), ("Al-Nusra Front", "aka")} <= nusra
    # two names in the name field: the first stays primary
    lakes = by_id(parsed, "UN:CDe.003")
    assert lakes.primary_name == "COMPAGNIE AERIENNE DES GRANDS LACS (CAGL)"
    assert "GREAT LAKES BUSINESS COMPANY (GLBC)" in {n.full for n in lakes.names if n.kind == "aka"}


def test_un_alias_split_keeps_single_names_and_survives_unbalanced_parentheses() -> None:
    from engine.screening.importers.un_xml import split_alias

    assert split_alias("Jin Tiesan (金铁三)") == [("Jin Tiesan (金铁三)", False)]
    assert split_alias("Lom-ali Butayev (Butaev)") == [("Lom-ali Butayev (Butaev)", False)]
    assert split_alias("Abu Ali; Abu Ali ; Abou Ali") == [("Abu Ali", False), ("Abou Ali", False)]
    assert split_alias("A Name; B (Name; C") == [("A Name", False), ("B Name", False), ("C", False)]


def test_a_split_un_spelling_is_found_as_an_alias(shared_data: Path) -> None:
    from engine.screening import Screener
    from engine.screening.store import _version_of

    parsed = parse_files([sanctions(shared_data) / "un/UN_consolidated.xml"])
    screener = Screener(lists=[(_version_of(parsed), parsed.entities)])
    matches = screener.screen("Qasem Sulaymani", type="person")
    assert matches and matches[0].id == "UN:IRi.039"
    assert matches[0].matched_name == "Qasem Sulaymani" and matches[0].score >= 0.99


def test_bis_denied_persons(shared_data: Path) -> None:
    parsed = parse_files([sanctions(shared_data) / "us_bis/dpl.txt"])
    assert parsed.counts()["entities"] == 581
    assert parsed.entities[1].id == "BIS-DPL:2" and parsed.entities[1].names[0].full == "AARON ABRAHAM VILLA"
    assert parsed.publication_date is not None and parsed.publication_date.startswith("2022")


def test_eu_xml(tmp_path: Path) -> None:
    parsed = parse_files([write(tmp_path / "eu.xml", EU_XML)])
    assert parsed.format == "eu-xml" and parsed.publication_date == "2026-03-02"
    person = by_id(parsed, "EU:9001")
    assert person.type == "individual"
    assert [n.strength for n in person.names] == ["strong", "strong", "weak"]
    assert person.identifiers[0].kind == "PASSPORT" and person.dates_of_birth == ["1970-05-01"]
    bank = by_id(parsed, "EU:9002")
    assert bank.type == "entity" and bank.identifiers[0].kind == "BIC" and bank.countries == ["BELARUS"]


def test_eu_csv_groups_rows_by_entity(tmp_path: Path) -> None:
    parsed = parse_files([write(tmp_path / "eu.csv", EU_CSV)])
    assert parsed.format == "eu-csv" and parsed.publication_date == "2026-03-02"
    assert parsed.counts()["entities"] == 2
    person = by_id(parsed, "EU:9001")
    assert [n.full for n in person.names] == ["Ivan Testovich", "Иван Тестович"]
    assert person.identifiers[0].value == "7100000001"


def test_uk_csv_groups_names_and_reads_ships(tmp_path: Path) -> None:
    parsed = parse_files([write(tmp_path / "uk.csv", UK_CSV)])
    assert parsed.format == "uk-csv" and parsed.publication_date == "2026-03-02"
    person = by_id(parsed, "UK:TST0001")
    assert [(n.full, n.kind, n.strength) for n in person.names] == [
        ("Maria TESTOVA", "primary", "strong"), ("Мария Тестова", "original_script", "strong"),
        ("Masha TESTOVA", "aka", "weak")]
    ship = by_id(parsed, "UK:TST0002")
    assert ship.type == "vessel" and ship.identifiers == [ship.identifiers[0]]
    assert (ship.identifiers[0].kind, ship.identifiers[0].value) == ("IMO", "9999985")


def test_ofac_xml_and_record_count(tmp_path: Path) -> None:
    parsed = parse_files([write(tmp_path / "sdn.xml", OFAC_XML)])
    assert parsed.publication_date == "2026-03-02"
    person = by_id(parsed, "OFAC-SDN:900101")
    assert person.names[0].full == "TESTOV Pyotr" and person.names[1].strength == "weak"
    vessel = by_id(parsed, "OFAC-SDN:900102")
    assert ("IMO", "IMO 9999978") in {(i.kind, i.value) for i in vessel.identifiers}
    short = write(tmp_path / "short" / "sdn.xml", OFAC_XML.replace("<Record_Count>2<", "<Record_Count>3<"))
    with pytest.raises(ListFormatError, match="declares 3 entries but the file holds 2"):
        parse_files([short])


@pytest.mark.parametrize("content", ["just some text\n", '{"json": true}\n', "<html><body>Service unavailable</body></html>"])
def test_unknown_formats_are_refused(tmp_path: Path, content: str) -> None:
    path = write(tmp_path / "list.dat", content)
    with pytest.raises(ListFormatError, match="not a sanctions list format"):
        detect_format([path])


def test_uk_file_cut_mid_row_is_refused(tmp_path: Path) -> None:
    cut = UK_CSV[: UK_CSV.rindex("Ship") - 3]
    with pytest.raises(ListFormatError) as caught:
        parse_files([write(tmp_path / "uk.csv", cut)])
    assert caught.value.where == 6 and "fields" in caught.value.message


def test_eu_xml_cut_is_refused_with_line(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError) as caught:
        parse_files([write(tmp_path / "eu.xml", EU_XML[: EU_XML.index("<address")])], format="eu-xml")
    assert isinstance(caught.value.where, int) and "malformed XML" in caught.value.message

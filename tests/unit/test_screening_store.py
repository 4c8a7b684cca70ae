"""The list store: versions, the active pointer, refusing truncated files, the sample default."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.screening import ListStore, Screener, StoreError
from engine.screening.importers import ListFormatError
from tests.unit.screening_fixtures import truncated_copy


def test_import_records_a_version_and_activates_it(shared_data: Path, tmp_path: Path) -> None:
    store = ListStore(tmp_path)
    source = shared_data / "sanctions/un/UN_consolidated.xml"
    version = store.import_files([source])
    assert version.source == "UN" and version.publication_date == "2026-02-27"
    assert version.counts["entities"] == 1003
    assert len(version.files[0].sha256) == 64 and version.files[0].bytes == source.stat().st_size
    assert [v.version_id for v in store.active_versions()] == [version.version_id]
    assert json.loads((tmp_path / "sanctions/active.json").read_text()) == {"UN": version.version_id}
    assert len(store.entities(version.version_id)) == 1003
    again = store.import_files([source])  # the same file again: the same version, nothing duplicated
    assert again.version_id == version.version_id and len(store.versions()) == 1


def test_truncated_file_is_refused_and_previous_version_stays_active(shared_data: Path, tmp_path: Path) -> None:
    store = ListStore(tmp_path / "data")
    good = store.import_files([shared_data / "sanctions/ofac/sdn_2024-05-03/sdn.csv"])
    cut = truncated_copy(shared_data / "sanctions/ofac/sdn_2024-05-03/sdn.csv", tmp_path / "cut" / "sdn.csv")
    with pytest.raises(ListFormatError) as caught:
        store.import_files([cut])
    assert caught.value.file == str(cut) and isinstance(caught.value.where, int)
    assert [v.version_id for v in store.active_versions()] == [good.version_id]
    assert len(store.versions()) == 1
    matches = Screener(store).screen("BANCO NACIONAL DE CUBA")
    assert matches[0].id == "OFAC-SDN:306" and matches[0].list_version.version_id == good.version_id


def test_file_cut_at_a_line_boundary_is_refused(shared_data: Path, tmp_path: Path) -> None:
    source = (shared_data / "sanctions/ofac/sdn_2024-05-03/sdn.csv").read_bytes()
    cut = tmp_path / "sdn.csv"
    cut.write_bytes(source[: source.index(b"\r\n", len(source) // 2) + 2])  # whole lines, no 0x1A marker
    with pytest.raises(ListFormatError, match="no end-of-file marker"):
        ListStore(tmp_path / "data").import_files([cut])


def test_truncated_xml_is_refused_with_line(shared_data: Path, tmp_path: Path) -> None:
    store = ListStore(tmp_path / "data")
    cut = truncated_copy(shared_data / "sanctions/un/UN_consolidated.xml", tmp_path / "un.xml", keep=0.7)
    with pytest.raises(ListFormatError) as caught:
        store.import_files([cut])
    assert isinstance(caught.value.where, int) and caught.value.where > 1000
    assert store.active_versions() == []


def test_activate_rolls_back_and_unknown_version_is_an_error(shared_data: Path, tmp_path: Path) -> None:
    store = ListStore(tmp_path)
    folder = shared_data / "sanctions/ofac"
    older = store.import_files(sorted((folder / "sdn_full_2021-07-07").glob("*.csv")))
    newer = store.import_files([folder / "sdn_2024-05-03/sdn.csv"])
    assert [v.version_id for v in store.active_versions()] == [newer.version_id]
    store.activate(older.version_id)
    assert [v.version_id for v in store.active_versions()] == [older.version_id]
    with pytest.raises(StoreError, match="no list version"):
        store.activate("OFAC-SDN-1999-01-01-000000000000")


def test_damaged_entities_file_is_reported(shared_data: Path, tmp_path: Path) -> None:
    store = ListStore(tmp_path)
    version = store.import_files([shared_data / "sanctions/us_bis/dpl.txt"])
    entities = tmp_path / "sanctions/versions" / version.version_id / "entities.jsonl"
    lines = entities.read_text().splitlines()
    entities.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(StoreError, match=r"holds 580 entities, version\.json says 581"):
        store.entities(version.version_id)


def test_empty_store_screens_against_the_bundled_sample(tmp_path: Path) -> None:
    screener = Screener(ListStore(tmp_path))
    assert [v.source for v in screener.versions] == ["SAMPLE"]
    matches = screener.screen("Nordvik Marine Trading Co Ltd")
    assert matches[0].id == "SAMPLE:9000002" and matches[0].score == 1.0


def test_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo_root: Path) -> None:
    monkeypatch.setenv("BLOCKTRADE_DATA_DIR", str(tmp_path / "elsewhere"))
    store = ListStore()
    sample = sorted((repo_root / "sanctions_data/sample").glob("*.csv"))
    copies = []
    for path in sample:
        target = tmp_path / "copy" / path.name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(path, target)
        copies.append(target)
    version = store.import_files(copies, source="SAMPLE")
    assert (tmp_path / "elsewhere/sanctions/versions" / version.version_id / "version.json").is_file()

"""Reviewer decisions on hits: respected while unexpired, dropped when the entry changes;
re-screening when a list version changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.evaluate import examine
from engine.packs import load_packs
from engine.screening.decisions import DecisionError, DecisionStore
from engine.screening.match import Screener
from engine.screening.model import ListedName, ListEntity, ListVersion, SourceFile
from engine.screening.store import load_sample
from tests.unit.aml_fixtures import AML_PACK, presentation

UTC = dt.UTC


@pytest.fixture(scope="module")
def aml():
    return load_packs([AML_PACK])


def listed(screener: Screener, entry_id: str) -> ListEntity:
    return next(e for e in screener.index.entities if e.id == entry_id)


def version(tag: str) -> ListVersion:
    return ListVersion(version_id=f"TEST-{tag}", source="TEST", format="test", publication_date="2026-01-01",
                       imported_at="2026-01-01T00:00:00+00:00",
                       files=[SourceFile(name="t.csv", sha256=tag * 8, bytes=1)], counts={"entities": 1})


def test_false_positive_is_respected_until_it_expires(aml, tmp_path: Path) -> None:
    screener = Screener(lists=[load_sample()])
    store = DecisionStore(tmp_path)
    shipper = "Nordvik Marine Trading Co Ltd"
    assert examine(presentation(shipper=shipper), aml, screener, decisions=store).outcome == "hold"
    now = dt.datetime.now(UTC)
    store.record(entity=listed(screener, "SAMPLE:9000002"), query="NORDVIK MARINE TRADING CO., LTD",
                 verdict="false_positive", reviewer="a.officer", reason="different registration number",
                 list_version=screener.versions[0].version_id, expires_at=now + dt.timedelta(days=30))
    report = examine(presentation(shipper=shipper), aml, screener, decisions=store)
    assert report.outcome == "compliant"
    cleared = next(f for f in report.findings if f.rule == "aml.sanctions.cleared-false-positive")
    assert "a.officer" in cleared.message and "different registration number" in cleared.message
    # expired: the same hit holds again
    store.record(entity=listed(screener, "SAMPLE:9000002"), query=shipper, verdict="false_positive",
                 reviewer="a.officer", reason="old", list_version="v", decided_at=now - dt.timedelta(days=10),
                 expires_at=now - dt.timedelta(days=1))
    assert examine(presentation(shipper=shipper), aml, screener, decisions=store).outcome == "hold"


def test_true_positive_holds_and_other_queries_are_not_covered(aml, tmp_path: Path) -> None:
    screener = Screener(lists=[load_sample()])
    store = DecisionStore(tmp_path)
    store.record(entity=listed(screener, "SAMPLE:9000002"), query="SOMETHING ELSE", verdict="false_positive",
                 reviewer="r", reason="x", list_version="v")
    assert store.lookup(listed(screener, "SAMPLE:9000002"), "NORDVIK MARINE TRADING") is None
    assert examine(presentation(shipper="NORDVIK MARINE TRADING"), aml, screener, decisions=store).outcome == "hold"


def test_decision_on_a_changed_entry_no_longer_applies(tmp_path: Path) -> None:
    before = ListEntity(id="TEST:1", source="TEST", source_id="1", type="entity",
                        names=[ListedName(full="BLUE LAGOON SHIPPING")])
    after = before.model_copy(update={"names": [*before.names, ListedName(full="LAGUNA AZUL", kind="aka")]})
    store = DecisionStore(tmp_path)
    store.record(entity=before, query="Blue Lagoon Shipping", verdict="false_positive", reviewer="r",
                 reason="not our party", list_version="TEST-a")
    assert store.lookup(before, "BLUE LAGOON SHIPPING").verdict == "false_positive"
    assert store.lookup(after, "BLUE LAGOON SHIPPING") is None


def test_decisions_need_reviewer_reason_and_a_later_expiry(tmp_path: Path) -> None:
    entity = ListEntity(id="TEST:1", source="TEST", source_id="1", type="entity", names=[ListedName(full="X CO")])
    store = DecisionStore(tmp_path)
    with pytest.raises(DecisionError, match="reviewer"):
        store.record(entity=entity, query="X", verdict="false_positive", reviewer="  ", reason="r", list_version="v")
    with pytest.raises(DecisionError, match="not after"):
        now = dt.datetime.now(UTC)
        store.record(entity=entity, query="X", verdict="false_positive", reviewer="r", reason="r", list_version="v",
                     decided_at=now, expires_at=now - dt.timedelta(seconds=1))
    with pytest.raises(DecisionError, match="time zone"):
        store.record(entity=entity, query="X", verdict="false_positive", reviewer="r", reason="r", list_version="v",
                     expires_at=dt.datetime(2030, 1, 1))


def test_list_version_change_rescreens_remembered_queries(tmp_path: Path) -> None:
    old_entry = ListEntity(id="TEST:1", source="TEST", source_id="1", type="entity",
                           names=[ListedName(full="BLUE LAGOON SHIPPING LLC")])
    new_entry = ListEntity(id="TEST:2", source="TEST", source_id="2", type="entity",
                           names=[ListedName(full="CORAL BAY TRADING FZE")])
    store = DecisionStore(tmp_path)
    old = Screener(lists=[(version("a"), [old_entry])])
    for query in ("Blue Lagoon Shipping", "Coral Bay Trading"):
        store.remember(query, None, [m.entity.id for m in old.screen(query)], [v.version_id for v in old.versions])
    store.record(entity=old_entry, query="Blue Lagoon Shipping", verdict="false_positive", reviewer="r",
                 reason="r", list_version="TEST-a")
    changed = old_entry.model_copy(update={"programs": ["NEW-PROGRAM"]})
    new = Screener(lists=[(version("b"), [changed, new_entry])])
    results = {r.query: r for r in store.rescreen(new)}
    assert results["CORAL BAY TRADING"].new_hits == ["TEST:2"]
    assert results["BLUE LAGOON SHIPPING"].new_hits == [] and len(results["BLUE LAGOON SHIPPING"].stale_decisions) == 1
    assert results["BLUE LAGOON SHIPPING"].previous_versions == ["TEST-a"]
    assert store.rescreen(new) == []  # remembered against the current versions now

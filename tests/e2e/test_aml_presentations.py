"""End to end: sanctions and AML screening of generated presentations through the real CLI.

A clean generated bundle (``clean_basic``) is changed the way a sanctions case looks — a
listed beneficiary in field 59 of the MT700, discharge at an Iranian port in 44F, a vessel
whose IMO number is listed — and examined with ``blocktrade check --json`` in a subprocess,
against a small list written here and imported with ``blocktrade sanctions import`` into a
temporary ``BLOCKTRADE_DATA_DIR``. A hold must give outcome "hold" and exit code 2; a broken
list store must hold too (fail closed); a reviewer's false-positive decision must clear the
hit on re-examination.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.generator import generate_presentation
from tests.fixtures.scenarios import BY_NAME

REPO = Path(__file__).resolve().parents[2]
SEED = 2026
LISTED_IMO = "9354521"  # our test list's vessel; the bundle's vessel carries it under another name
# The test list (OFAC legacy CSV layout): fictional parties, a vessel listed by IMO number.
WATCHLIST = [
    ("9100001", "BLACKWATER HORIZON TRADING FZE", "-0- ", "-0- "),
    ("9100002", "OCEAN PHANTOM", '"vessel"', f'"Vessel Registration Identification IMO {LISTED_IMO}."'),
    ("9100003", "KESTREL ORDNANCE EXPORT LLC", "-0- ", "-0- "),
]


# --------------------------------------------------------------------------- helpers


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_THREAD_LIMIT": "1", "BLOCKTRADE_DATA_DIR": str(data_dir)}
    env.pop("BLOCKTRADE_DEBUG", None)
    return env


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, cwd=REPO,
                          env=_env(data_dir), timeout=300)


def check(bundle: Path, data_dir: Path) -> tuple[int, dict[str, Any], str]:
    """Run ``blocktrade check BUNDLE --json``: exit code, the JSON report, stderr."""
    result = _cli(data_dir, "check", str(bundle), "--json")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.strip(), f"no report (exit {result.returncode}): {result.stderr}"
    return result.returncode, json.loads(result.stdout), result.stderr


def write_list(folder: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """An OFAC legacy sdn.csv (no header, -0- for null, 12 columns, DOS end-of-file byte)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'{number},"{name}",{kind},"TEST-PROGRAM",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,{remarks}'
             for number, name, kind, remarks in rows]
    path = folder / "sdn.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n\x1a").encode("utf-8"))
    return path


def import_list(data_dir: Path, list_file: Path) -> None:
    result = _cli(data_dir, "sanctions", "import", "--source", "TEST", "--published", "2026-03-01", str(list_file))
    assert result.returncode == 0, result.stderr
    assert "now active for TEST" in result.stdout


def findings(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def mt700_of(bundle: Path) -> Path:
    """The credit's text file (the generator writes it as .txt or .fin)."""
    found = [p for p in bundle.iterdir() if p.suffix in (".txt", ".fin")]
    assert len(found) == 1, found
    return found[0]


def rewrite_field(bundle: Path, tag: str, lines: list[str]) -> None:
    """Replace the content of MT700 field ``tag`` (e.g. "59", "44F") with ``lines``, within the
    SWIFT limits (35 characters a line for parties, 65 for ports)."""
    path = mt700_of(bundle)
    raw = path.read_bytes().decode("ascii")
    newline = "\r\n" if "\r\n" in raw else "\n"
    limit = 35 if tag in ("50", "59") else 65
    assert all(len(line) <= limit for line in lines), lines
    pattern = re.compile(rf"(^:{re.escape(tag)}:)(.*?)(?={re.escape(newline)}:|{re.escape(newline)}-\}}|\Z)",
                         re.MULTILINE | re.DOTALL)
    changed, count = pattern.subn(lambda m: m.group(1) + newline.join(lines), raw, count=1)
    assert count == 1, f"field {tag} not found in {path}"
    path.write_bytes(changed.encode("ascii"))


def field_lines(bundle: Path, tag: str) -> list[str]:
    text = mt700_of(bundle).read_text(encoding="ascii").replace("\r\n", "\n")
    found = re.search(rf"^:{re.escape(tag)}:(.*?)(?=\n:|\n-\}}|\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, tag
    return found.group(1).split("\n")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The clean bundle, and the same with the vessel's IMO number printed after its name."""
    out = tmp_path_factory.mktemp("aml-generated")
    clean = BY_NAME["clean_basic"]
    with_imo = dataclasses.replace(clean, name="clean_basic_vessel_imo", overrides={
        **clean.overrides, "shipment.vessel": f"MV PACIFIC MERIDIAN IMO {LISTED_IMO}"})
    return {"clean": generate_presentation(out, clean, SEED), "vessel_imo": generate_presentation(out, with_imo, SEED)}


@pytest.fixture(scope="module")
def watchlist_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose active list is WATCHLIST (imported through the CLI)."""
    data_dir = tmp_path_factory.mktemp("aml-store")
    import_list(data_dir, write_list(tmp_path_factory.mktemp("aml-list"), WATCHLIST))
    return data_dir


@pytest.fixture
def bundle(generated: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the clean bundle, to change."""
    return Path(shutil.copytree(generated["clean"], tmp_path / "bundle"))


@pytest.fixture
def store(watchlist_store: Path, tmp_path: Path) -> Path:
    """A private copy of the watchlist store (decisions and screened queries are written into it)."""
    return Path(shutil.copytree(watchlist_store, tmp_path / "data"))


# --------------------------------------------------------------------------- tests


def test_clean_presentation_is_not_held(bundle: Path, store: Path) -> None:
    code, report, _ = check(bundle, store)
    assert report["outcome"] == "compliant" and code == 0, [f["message"] for f in report["findings"]]
    assert not [f for f in report["findings"] if f["rule"].startswith(("aml.", "engine.")) and f["severity"] != "warning"]


def test_listed_beneficiary_holds(bundle: Path, store: Path) -> None:
    original = field_lines(bundle, "59")
    rewrite_field(bundle, "59", ["Blackwater Horizon Trading F.Z.E.", *original[1:]])
    code, report, _ = check(bundle, store)
    assert report["outcome"] == "hold" and code == 2
    hits = [f for f in findings(report, "aml.sanctions.list-hit")
            if f["evidence"][0]["document"] == "letter_of_credit" and f["evidence"][0]["field"] == "beneficiary"]
    assert len(hits) == 1, [f["message"] for f in report["findings"]]
    hit = hits[0]
    assert hit["severity"] == "discrepancy" and "FATF R.6" in hit["refs"]
    value = hit["evidence"][0]["value"]
    assert value["entry_id"] == "TEST:9100001" and value["score"] >= 0.9
    assert value["list_version"].startswith("TEST-2026-03-01-")
    assert hit["evidence"][0]["file"] == mt700_of(bundle).name
    assert "BLACKWATER HORIZON TRADING FZE" in hit["message"] and "TEST 2026-03-01" in hit["message"]
    # the report's screening record: every party screened, the hit, and the list versions used
    screening = report["screening"]
    assert screening["available"] and any("TEST 2026-03-01" in v for v in screening["list_versions"])
    roles = {s["role"] for s in screening["screened"]}
    assert {"applicant", "beneficiary", "shipper", "carrier", "vessel"} <= roles
    assert [h["entry_id"] for h in screening["hits"] if h["role"] == "beneficiary"] == ["TEST:9100001"]


def test_discharge_at_a_sanctioned_port_holds(bundle: Path, store: Path) -> None:
    rewrite_field(bundle, "44F", ["BANDAR ABBAS"])
    code, report, _ = check(bundle, store)
    assert report["outcome"] == "hold" and code == 2
    port = [f for f in findings(report, "aml.country.sanctioned")
            if f["evidence"][0]["field"] == "port_of_discharge" and f["evidence"][0]["document"] == "letter_of_credit"]
    assert len(port) == 1, [f["message"] for f in report["findings"]]
    value = port[0]["evidence"][0]["value"]
    assert (value["country"], value["sanctioned"], value["value"]) == ("IR", True, "BANDAR ABBAS")
    assert any("31 CFR part 560" in programme for programme in value["programmes"])
    # the B/L still says the credit's old port: the UCP discrepancy is reported beside the hold
    assert findings(report, "ucp600.20a3.port-of-discharge")


def test_vessel_listed_by_imo_number_holds(generated: dict[str, Path], store: Path) -> None:
    code, report, _ = check(generated["vessel_imo"], store)
    assert report["outcome"] == "hold" and code == 2
    on_bill = [f for f in findings(report, "aml.sanctions.list-hit") if f["evidence"][0]["document"] == "bill_of_lading"]
    assert len(on_bill) == 1, [f["message"] for f in report["findings"]]
    evidence = on_bill[0]["evidence"][0]
    assert evidence["field"] == "vessel" and evidence["page"] == 1 and evidence["bbox"]
    assert evidence["value"]["entry_id"] == "TEST:9100002" and evidence["value"]["entry_name"] == "OCEAN PHANTOM"
    assert evidence["value"]["explanation"].startswith("identifier_match")
    # the vessel's own name is screened whole: a BIC-shaped word (MERIDIAN) is not cut out of it
    assert evidence["value"]["query"] == f"MV PACIFIC MERIDIAN IMO {LISTED_IMO}"


def _break_entities(data_dir: Path) -> str:
    entities = next((data_dir / "sanctions" / "versions").glob("*/entities.jsonl"))
    lines = entities.read_text(encoding="utf-8").splitlines()
    entities.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # an entry lost
    return "entities.jsonl"


def _break_active(data_dir: Path) -> str:
    (data_dir / "sanctions" / "active.json").write_text('{"TEST": ', encoding="utf-8")
    return "active.json"


@pytest.mark.parametrize("damage", [_break_entities, _break_active], ids=["entities-file", "active-pointer"])
def test_broken_list_store_holds_with_screening_unavailable(bundle: Path, store: Path, damage: Any) -> None:
    damaged_file = damage(store)
    code, report, stderr = check(bundle, store)
    assert report["outcome"] == "hold" and code == 2
    unavailable = findings(report, "engine.screening-unavailable")
    assert len(unavailable) == 1
    assert unavailable[0]["severity"] == "discrepancy" and "unavailable" in unavailable[0]["message"]
    # the damaged file is named on stderr (the finding only says no screener ran)
    assert "screening unavailable" in stderr and damaged_file in stderr
    # the examiner reads why in the report itself, not only on the operator's console
    assert "list store cannot be read" in unavailable[0]["message"] and damaged_file in unavailable[0]["message"]
    # no list was read, so no list hit can have been found; the country checks still ran
    assert not findings(report, "aml.sanctions.list-hit")


def test_false_positive_decision_clears_the_hold_on_reexamination(bundle: Path, tmp_path: Path) -> None:
    from engine.screening.decisions import DecisionStore
    from engine.screening.store import ListStore

    # a list that names the presentation's real beneficiary, written a little differently
    beneficiary = field_lines(bundle, "59")[0]
    data_dir = tmp_path / "decisions-data"
    import_list(data_dir, write_list(tmp_path / "list", [("9200001", beneficiary.title().rstrip("."), "-0- ", "-0- ")]))
    code, report, _ = check(bundle, data_dir)
    assert report["outcome"] == "hold" and code == 2
    hits = [f["evidence"][0]["value"] for f in findings(report, "aml.sanctions.list-hit")]
    assert {hit["entry_id"] for hit in hits} == {"TEST:9200001"}
    assert {"beneficiary", "seller", "drawer"} <= {hit["role"] for hit in hits}

    lists = ListStore(data_dir)
    version = lists.active_versions()[0]
    entity = lists.entities(version.version_id)[0]
    decisions = DecisionStore(data_dir)
    now = dt.datetime.now(dt.UTC)
    for query in sorted({hit["query"] for hit in hits}):
        decisions.record(entity=entity, query=query, verdict="false_positive", reviewer="c.officer",
                         reason="same name, different company registration", list_version=version.version_id,
                         expires_at=now + dt.timedelta(days=90))

    code, report, _ = check(bundle, data_dir)
    assert report["outcome"] == "compliant" and code == 0, [f["message"] for f in report["findings"]]
    assert not findings(report, "aml.sanctions.list-hit")
    cleared = findings(report, "aml.sanctions.cleared-false-positive")
    assert len(cleared) == len(hits)
    assert all(f["severity"] == "info" and "c.officer" in f["message"] for f in cleared)

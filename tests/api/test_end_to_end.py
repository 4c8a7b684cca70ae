"""One real examination through the service: generated bundle -> API -> real engine -> report.

Uses the real `extractors.bundle.load_bundle` and `engine.evaluate.examine` (no fakes), so
it checks the wiring between the service and the checker.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from api.jobs import real_examiner
from tests.api.conftest import Api


def test_a_generated_bundle_is_examined_by_the_real_engine(api_factory: Any, tmp_path: Path) -> None:
    from tests.fixtures.generator import generate_presentation
    from tests.fixtures.scenarios import ALL

    scenario = next(s for s in ALL if s.name.startswith("clean")) if any(
        s.name.startswith("clean") for s in ALL) else ALL[0]
    folder = generate_presentation(tmp_path / "bundles", scenario, seed=7)
    files = [p for p in sorted(folder.iterdir()) if p.name != "expected.json"]
    bundle = tmp_path / "as-presented"  # the bundle without the generator's answer key
    bundle.mkdir()
    for path in files:
        shutil.copy(path, bundle / path.name)
    lc_number = next(
        m.group(1).strip()
        for p in files if p.suffix.lower() in (".txt", ".fin")
        for m in [re.search(r"^:20:(.+)$", p.read_text(errors="replace"), re.M)] if m
    )

    api: Api = api_factory(examiner=real_examiner)
    body = {"lc_number": lc_number, "amount": "100000.00", "currency": "USD", "application_date": "2020-01-01",
            "expiry_date": "2099-12-31", "applicant_id": api.seed.orgs["applicant"],
            "beneficiary_id": api.seed.orgs["beneficiary"], "issuing_bank_id": api.seed.orgs["issuing"]}
    created = api.client.post("/api/v1/lcs", json=body, headers=api.headers("bank_admin"))
    assert created.status_code == 201, created.text
    response = api.submit("corporate_admin", [(p.name, p.read_bytes()) for p in files],
                          lc_id=created.json()["id"])
    assert response.status_code == 202, response.text
    status = api.client.get(response.json()["status_url"], headers=api.headers("corporate_admin")).json()
    assert status["status"] == "examined", status
    report = api.client.get(response.json()["report_url"], headers=api.headers("corporate_admin")).json()
    # the service's report is exactly what `blocktrade check --json` prints for the same bundle
    cli = subprocess.run([sys.executable, "-m", "api.cli", "check", str(bundle), "--json"],
                         capture_output=True, text=True, timeout=300, check=False)
    assert cli.returncode in (0, 1, 2), cli.stderr
    assert report == json.loads(cli.stdout)
    assert report["lc_number"] in (None, lc_number)
    assert {d["file"] for d in report["documents"]} >= {p.name for p in files if p.name != "presentation.json"}

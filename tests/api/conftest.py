"""Fixtures for the service tests.

Unit and authorisation tests run on SQLite: the schema is migrated (Alembic, the real
migration) and seeded once per session, and each test gets its own copy of that file.
Integration tests (test_pg_*.py) run on real PostgreSQL: they are collected only when
BLOCKTRADE_PG is set, and then FAIL when BLOCKTRADE_TEST_DATABASE_URL is missing.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import service as auth_service
from api.db.migrate import upgrade
from api.db.models import LetterOfCredit
from api.db.session import Database
from api.settings import Settings
from engine.findings import Evidence, Finding, Report
from extractors.models import FileInfo

if not os.environ.get("BLOCKTRADE_PG"):
    collect_ignore_glob = ["test_pg_*.py"]

PASSWORD = "correct horse battery staple"
JWT_SECRET = "test-secret-" + "x" * 40

# organisation key -> (type, country)
ORGS = {
    "issuing": ("bank", "DE"),
    "nominated": ("bank", "NL"),
    "applicant": ("corporate", "DE"),
    "beneficiary": ("corporate", "CN"),
    "nbfc": ("nbfc", "IN"),
    "logistics": ("logistics", "NL"),
    "foreign_bank": ("bank", "FR"),
    "foreign_corp": ("corporate", "US"),
}

# user key -> (organisation key, role)
USERS = {
    "bank_admin": ("issuing", "bank_admin"),
    "bank_officer": ("issuing", "bank_officer"),
    "nominated_officer": ("nominated", "bank_officer"),
    "corporate_admin": ("beneficiary", "corporate_admin"),
    "corporate_user": ("beneficiary", "corporate_user"),
    "applicant_admin": ("applicant", "corporate_admin"),
    "nbfc_admin": ("nbfc", "nbfc_admin"),
    "logistics_user": ("logistics", "logistics_user"),
    "auditor": ("issuing", "auditor"),
    "foreign_bank_admin": ("foreign_bank", "bank_admin"),
    "foreign_bank_officer": ("foreign_bank", "bank_officer"),
    "foreign_corporate_admin": ("foreign_corp", "corporate_admin"),
    "foreign_auditor": ("foreign_bank", "auditor"),
}


@dataclass
class Seed:
    orgs: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # key -> e-mail
    totp: dict[str, str] = field(default_factory=dict)  # key -> TOTP secret (officer roles)
    lc_id: str = ""
    foreign_lc_id: str = ""


def seed_database(db: Database) -> Seed:
    seed = Seed()
    with db.write() as session:
        for key, (org_type, country) in ORGS.items():
            org = auth_service.create_organisation(session, name=f"{key.title()} Org", org_type=org_type,
                                                   country_code=country)
            seed.orgs[key] = org.id
        for key, (org_key, role) in USERS.items():
            email = f"{key}@example.test"
            _user, secret = auth_service.create_user(session, organization_id=seed.orgs[org_key], email=email,
                                                     password=PASSWORD, role=role)
            seed.users[key] = email
            if secret:
                seed.totp[key] = secret
        lc = LetterOfCredit(lc_number="LC-TEST-001", amount=Decimal("125000.00"), currency="USD",
                            application_date=dt.date(2026, 1, 10), expiry_date=dt.date(2026, 6, 30),
                            status="issued", applicant_id=seed.orgs["applicant"],
                            beneficiary_id=seed.orgs["beneficiary"], issuing_bank_id=seed.orgs["issuing"],
                            nominated_bank_id=seed.orgs["nominated"], terms={})
        foreign = LetterOfCredit(lc_number="LC-FOREIGN-9", amount=Decimal("10.00"), currency="EUR",
                                 application_date=dt.date(2026, 1, 10), expiry_date=dt.date(2026, 6, 30),
                                 status="issued", applicant_id=seed.orgs["foreign_corp"],
                                 beneficiary_id=seed.orgs["foreign_corp"], issuing_bank_id=seed.orgs["foreign_bank"],
                                 terms={})
        session.add_all([lc, foreign])
        session.flush()
        seed.lc_id, seed.foreign_lc_id = lc.id, foreign.id
    return seed


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seed]:
    path = tmp_path_factory.mktemp("template") / "blocktrade.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    seed = seed_database(db)
    db.dispose()
    return path, seed


# --------------------------------------------------------------------------- a fake examiner


def fake_examiner(bundle_dir: Path, presented_on: dt.date | None, rules_paths: tuple[Path, ...]) -> Report:
    """Stands in for extractors.bundle.load_bundle + engine.evaluate.examine in unit tests.

    Files whose bytes contain DISCREPANT or HOLD give those outcomes, so tests steer the
    outcome through the upload and can see that the job read the stored bytes."""
    files = sorted(p for p in bundle_dir.iterdir() if p.name != "presentation.json")
    content = b"".join(p.read_bytes() for p in files)
    if b"CRASH" in content:
        raise RuntimeError("examiner crashed (test)")
    findings: list[Finding] = []
    if b"DISCREPANT" in content:
        findings.append(Finding(rule="ucp600.20a3.port-of-loading", severity="discrepancy",
                                refs=["UCP600 20(a)(iii)"], documents=["bill_of_lading"],
                                message="Port of loading differs",
                                evidence=[Evidence(document="bill_of_lading", field="port_of_loading",
                                                   value="ANTWERP", file=files[0].name, page=1)]))
        findings.append(Finding(rule="ucp600.18b.invoice-amount", severity="warning", refs=["UCP600 18(b)"],
                                documents=["commercial_invoice"], message="Invoice amount close to the limit"))
    if b"HOLD" in content:
        findings.append(Finding(rule="aml.sanctions.party", severity="discrepancy", refs=[], hold=True,
                                documents=["presentation"], message="Beneficiary matches a sanctions list entry"))
    outcome = "hold" if any(f.hold for f in findings) else (
        "discrepant" if any(f.severity == "discrepancy" for f in findings) else "compliant")
    return Report(outcome=outcome, findings=findings, packs={"ucp600": "1.0.0"},
                  documents=[FileInfo(file=p.name, type="commercial_invoice", pages=1) for p in files],
                  presented_on=presented_on.isoformat() if presented_on else None)


# --------------------------------------------------------------------------- the service


class Api:
    """A test client plus sign-in helpers."""

    def __init__(self, client: TestClient, seed: Seed) -> None:
        self.client = client
        self.seed = seed
        self._tokens: dict[str, str] = {}

    @property
    def ctx(self) -> Any:
        return self.client.app.state.service  # type: ignore[attr-defined]

    def login(self, user_key: str, **overrides: Any) -> Any:
        data = {"username": self.seed.users[user_key], "password": PASSWORD}
        if user_key in self.seed.totp:
            data["otp"] = pyotp.TOTP(self.seed.totp[user_key]).now()
        data.update(overrides)
        return self.client.post("/api/v1/auth/token", data=data)

    def token(self, user_key: str) -> str:
        if user_key not in self._tokens:
            response = self.login(user_key)
            assert response.status_code == 200, response.text
            self._tokens[user_key] = response.json()["access_token"]
        return self._tokens[user_key]

    def headers(self, user_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_key)}"}

    def submit(self, user_key: str, files: list[tuple[str, bytes]], lc_id: str | None = None,
               headers: dict[str, str] | None = None, **form: str) -> Any:
        return self.client.post(
            "/api/v1/presentations",
            data={"lc_id": lc_id or self.seed.lc_id, **form},
            files=[("files", (name, body, "application/octet-stream")) for name, body in files],
            headers={**self.headers(user_key), **(headers or {})},
        )


def make_settings(tmp_path: Path, db_path: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": f"sqlite:///{db_path}", "data_dir": tmp_path / "var", "jwt_secret": JWT_SECRET,
        "job_mode": "inline",
    }
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
def api_factory(template_db: tuple[Path, Seed], tmp_path: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def build(examiner: Any = fake_examiner, **overrides: Any) -> Api:
        template, seed = template_db
        db_path = tmp_path / f"blocktrade-{len(clients)}.db"
        shutil.copy(template, db_path)
        app = create_app(make_settings(tmp_path, db_path, **overrides), examiner=examiner)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Api(client, seed)

    yield build
    for client in clients:
        client.__exit__(None, None, None)
        client.app.state.service.db.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def api(api_factory: Any) -> Api:
    return api_factory()


PDF = b"%PDF-1.4\n% test document\n"


def pdf(marker: str = "") -> bytes:
    return PDF + marker.encode() + b"\n%%EOF\n"

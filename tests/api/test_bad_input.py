"""Hostile or broken uploads and bodies: a clear 4xx, and nothing half-written."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from api.db.models import Document, Job, Presentation
from tests.api.conftest import Api, pdf


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def nothing_written(api: Api) -> None:
    with api.ctx.db.read() as session:
        for model in (Presentation, Document, Job):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model.__tablename__
    blobs = Path(api.ctx.settings.data_dir) / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))


def symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("link.pdf")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


CASES: list[tuple[str, list[tuple[str, bytes]], int, str]] = [
    ("zip bomb by ratio", [("b.zip", make_zip([("big.pdf", b"%PDF-" + b"0" * 5_000_000)]))], 413, "zip_bomb"),
    ("path traversal", [("t.zip", make_zip([("../../etc/evil.pdf", pdf())]))], 422, "unsafe_path"),
    ("absolute path", [("t.zip", make_zip([("/etc/evil.pdf", pdf())]))], 422, "unsafe_path"),
    ("symlink entry", [("s.zip", make_zip([(symlink_entry(), b"/etc/passwd")]))], 422, "unsafe_path"),
    ("nested zip", [("n.zip", make_zip([("inner.zip", make_zip([("a.pdf", pdf())]))], zipfile.ZIP_STORED))],
     422, "nested_zip"),
    ("not a zip", [("broken.zip", b"PK\x03\x04 this is not really a zip")], 422, "bad_zip"),
    ("executable named pdf", [("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")], 415, "unsupported_content"),
    ("binary junk", [("a.pdf", pdf()), ("x.png", b"\x00\x01\x02\x03garbage")], 415, "unsupported_content"),
    ("duplicate names", [("a.pdf", pdf()), ("a.pdf", pdf("2"))], 422, "duplicate_file_name"),
    ("zip with other files", [("a.pdf", pdf()), ("b.zip", make_zip([("c.pdf", pdf())]))], 422,
     "zip_with_other_files"),
    ("malformed presentation.json", [("a.pdf", pdf()), ("presentation.json", b"{not json")], 422,
     "invalid_presentation_json"),
    ("traversal in a plain upload name", [("../a.pdf", pdf())], 422, "unsafe_path"),
]


@pytest.mark.parametrize(("files", "status", "error"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_bundles_are_refused_and_nothing_is_written(api: Api, files: list[tuple[str, bytes]], status: int,
                                                        error: str) -> None:
    response = api.submit("corporate_admin", files)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == error
    assert body["error"]["message"]
    nothing_written(api)


def test_oversized_file_is_refused(api_factory: Any) -> None:
    api = api_factory(max_file_bytes=10_000)
    response = api.submit("corporate_admin", [("a.pdf", pdf() + b"0" * 20_000)])
    assert response.status_code == 413 and response.json()["error"]["code"] == "file_too_large"
    assert "a.pdf" in response.json()["error"]["message"]
    nothing_written(api)


def test_zip_total_size_cap(api_factory: Any) -> None:
    api = api_factory(max_zip_total_bytes=50_000, max_zip_ratio=100_000)
    archive = make_zip([(f"f{i}.pdf", pdf() + b"1" * 20_000) for i in range(4)])
    response = api.submit("corporate_admin", [("z.zip", archive)])
    assert response.status_code == 413 and response.json()["error"]["code"] == "zip_bomb"
    nothing_written(api)


def test_request_larger_than_the_limit_is_refused_before_parsing(api_factory: Any) -> None:
    api = api_factory(max_upload_bytes=1000)
    response = api.submit("corporate_admin", [("a.pdf", pdf() + b"0" * 200_000)])
    assert response.status_code == 413 and response.json()["error"]["code"] == "upload_too_large"
    nothing_written(api)


def test_unknown_and_foreign_credit_give_404(api: Api) -> None:
    unknown = api.submit("corporate_admin", [("a.pdf", pdf())], lc_id="00000000-0000-0000-0000-000000000000")
    foreign = api.submit("corporate_admin", [("a.pdf", pdf())], lc_id=api.seed.foreign_lc_id)
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.json()["error"]["message"].startswith("letter of credit")
    nothing_written(api)


def test_malformed_json_body_gets_the_error_body(api: Api) -> None:
    response = api.client.post("/api/v1/lcs", content=b"{not json", headers={
        **api.headers("bank_admin"), "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_money_must_be_a_decimal_string(api: Api) -> None:
    body = {"lc_number": "LC-NUM", "amount": 100.5, "currency": "USD", "application_date": "2026-01-01",
            "expiry_date": "2026-02-01", "applicant_id": api.seed.orgs["applicant"],
            "beneficiary_id": api.seed.orgs["beneficiary"], "issuing_bank_id": api.seed.orgs["issuing"]}
    response = api.client.post("/api/v1/lcs", json=body, headers=api.headers("bank_admin"))
    assert response.status_code == 422
    assert "amount" in response.json()["error"]["details"][0]["location"]


def test_unknown_route_and_method_use_the_error_body(api: Api) -> None:
    assert api.client.get("/api/v1/nothing-here").json()["error"]["code"] == "not_found"
    assert api.client.delete("/api/v1/lcs").json()["error"]["code"] == "method_not_allowed"

"""Documents: upload (content-addressed), get, download, sign (detached Ed25519), templates."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.api.conftest import Api, pdf


def upload(api: Api, user: str, body: bytes, name: str = "invoice.pdf", lc_id: str | None = None,
           **form: str) -> Any:
    return api.client.post("/api/v1/documents", headers=api.headers(user),
                           data={"lc_id": lc_id or api.seed.lc_id, **form},
                           files={"file": (name, body, "application/octet-stream")})


def test_upload_stores_by_sha256_and_serves_the_same_bytes(api: Api) -> None:
    body = pdf("invoice 42")
    response = upload(api, "corporate_user", body, document_type="commercial_invoice", document_number="INV-42")
    assert response.status_code == 201, response.text
    doc = response.json()
    digest = hashlib.sha256(body).hexdigest()
    assert (doc["sha256"], doc["size"], doc["content_type"]) == (digest, len(body), "application/pdf")
    assert api.ctx.storage.path_of(digest).read_bytes() == body
    got = api.client.get(f"/api/v1/documents/{doc['id']}", headers=api.headers("bank_officer"))
    assert got.status_code == 200 and got.json()["document_number"] == "INV-42"
    content = api.client.get(doc["content_url"], headers=api.headers("applicant_admin"))
    assert content.status_code == 200 and content.content == body
    assert content.headers["content-type"] == "application/pdf" and content.headers["etag"] == f'"{digest}"'
    listed = api.client.get(f"/api/v1/documents?lc_id={api.seed.lc_id}", headers=api.headers("bank_admin")).json()
    assert doc["id"] in [d["id"] for d in listed["items"]]


def test_foreign_organisations_see_nothing(api: Api) -> None:
    doc = upload(api, "corporate_user", pdf("x")).json()
    for path in (f"/api/v1/documents/{doc['id']}", f"/api/v1/documents/{doc['id']}/content",
                 f"/api/v1/documents/{doc['id']}/signatures"):
        response = api.client.get(path, headers=api.headers("foreign_corporate_admin"))
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api.client.get("/api/v1/documents", headers=api.headers("foreign_corporate_admin")).json()["items"] == []
    foreign_lc = upload(api, "corporate_user", pdf("y"), lc_id=api.seed.foreign_lc_id)
    assert foreign_lc.status_code == 404


def test_wrong_content_and_archives_are_refused_with_nothing_stored(api: Api) -> None:
    exe = upload(api, "corporate_user", b"MZ\x90\x00\x03\x00\x00\x00binary", name="invoice.pdf")
    assert exe.status_code == 415 and exe.json()["error"]["code"] == "unsupported_content"
    archive = upload(api, "corporate_user", b"PK\x03\x04" + b"\x00" * 40, name="bundle.zip")
    assert archive.status_code == 415 and archive.json()["error"]["code"] == "archive_not_accepted"
    traversal = upload(api, "corporate_user", pdf(), name="../../etc/passwd")
    assert traversal.status_code == 422 and traversal.json()["error"]["code"] == "unsafe_path"
    bad_type = upload(api, "corporate_user", pdf(), document_type="love_letter")
    assert bad_type.status_code == 422
    assert api.client.get("/api/v1/documents", headers=api.headers("corporate_user")).json()["items"] == []


def test_sign_gives_a_detached_signature_anyone_can_verify(api: Api) -> None:
    doc = upload(api, "corporate_user", pdf("bill of lading")).json()
    signed = api.client.post(f"/api/v1/documents/{doc['id']}/sign", headers=api.headers("bank_officer"))
    assert signed.status_code == 201, signed.text
    sig = signed.json()
    assert sig["signed_message"] == f"blocktrade-document-sha256:{doc['sha256']}"
    public_key = load_pem_public_key(sig["public_key_pem"].encode())
    assert isinstance(public_key, Ed25519PublicKey)
    public_key.verify(base64.b64decode(sig["signature"]), sig["signed_message"].encode())
    try:
        public_key.verify(base64.b64decode(sig["signature"]), b"blocktrade-document-sha256:" + b"0" * 64)
        raise AssertionError("a signature verified over another digest")
    except InvalidSignature:
        pass
    again = api.client.post(f"/api/v1/documents/{doc['id']}/sign", headers=api.headers("bank_admin"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_signed"
    # a second organisation signs with its own key; both signatures are listed
    beneficiary = api.client.post(f"/api/v1/documents/{doc['id']}/sign", headers=api.headers("corporate_admin"))
    assert beneficiary.status_code == 201 and beneficiary.json()["key_id"] != sig["key_id"]
    listed = api.client.get(f"/api/v1/documents/{doc['id']}/signatures", headers=api.headers("auditor")).json()
    assert {s["organization_id"] for s in listed} == {api.seed.orgs["issuing"], api.seed.orgs["beneficiary"]}
    # the same organisation's key signs its next document too (one key per organisation)
    other = upload(api, "corporate_user", pdf("packing list")).json()
    second = api.client.post(f"/api/v1/documents/{other['id']}/sign", headers=api.headers("bank_officer")).json()
    assert second["key_id"] == sig["key_id"]
    key_file = Path(api.ctx.settings.data_dir) / "keys" / "organisations" / f"{api.seed.orgs['issuing']}.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_a_stored_file_changed_on_disk_is_neither_served_nor_signed(api: Api) -> None:
    doc = upload(api, "corporate_user", pdf("tamper me")).json()
    api.ctx.storage.path_of(doc["sha256"]).write_bytes(pdf("tampered"))
    signed = api.client.post(f"/api/v1/documents/{doc['id']}/sign", headers=api.headers("bank_officer"))
    assert signed.status_code == 409 and signed.json()["error"]["code"] == "file_corrupt"
    content = api.client.get(doc["content_url"], headers=api.headers("bank_officer"))
    assert content.status_code == 409


def test_templates_lists_what_the_extractors_load(api: Api) -> None:
    from extractors.templates import load_templates

    response = api.client.get("/api/v1/documents/templates", headers=api.headers("logistics_user"))
    assert response.status_code == 200, response.text
    listed = response.json()
    assert {t["name"] for t in listed} == {t.template for t in load_templates()}
    generic = [t for t in listed if t["generic"]]
    assert {"commercial_invoice", "bill_of_lading"} <= {t["document_type"] for t in generic}
    assert all(t["source"] and t["source"].endswith(".yaml") for t in listed)

"""Documents under a credit: upload (content-addressed), get, download, sign, and the
extraction templates the examiner reads them with."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import audit
from api.auth.deps import CurrentPrincipal, Service
from api.auth.principal import Principal
from api.context import ServiceContext
from api.db.models import Document, LetterOfCredit
from api.db.models_integrations import DocumentSignature, OrganisationKey
from api.errors import ApiError, ErrorBody, not_found
from api.intake import Stager
from api.routes.common import MAX_PAGE, get_lc, lc_visible_to, paginate
from api.schemas import Page
from api.storage import StorageError

# every error answers with the one error body; documented so clients can generate its type
router = APIRouter(prefix="/documents", tags=["documents"],
                   responses={code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 409, 413, 415, 503)})

DocumentType = Literal["letter_of_credit", "commercial_invoice", "bill_of_lading", "packing_list",
                       "certificate_of_origin", "insurance_certificate", "draft"]
SIGNATURE_CONTEXT = "blocktrade-document-sha256:"
SIGNATURE_HELP = (
    "An Ed25519 signature by the organisation's key over the ASCII bytes "
    f"`{SIGNATURE_CONTEXT}<sha256 hex of the file>`; verify it with `public_key_pem`."
)


class DocumentOut(BaseModel):
    id: str
    lc_id: str
    presentation_id: str | None
    file_name: str
    content_type: str
    size: int
    sha256: str
    document_type: str | None
    document_number: str | None
    status: str
    submitted_by: str | None
    created_at: dt.datetime
    content_url: str


class SignatureOut(BaseModel):
    id: str
    document_id: str
    organization_id: str
    sha256: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str
    signature: str = Field(description="base64 of the 64-byte signature")
    signed_message: str
    public_key_pem: str
    signed_by: str
    created_at: dt.datetime


class TemplateOut(BaseModel):
    name: str
    document_type: str
    generic: bool
    issuer: str | None
    priority: int
    fields: list[str]
    tables: list[str]
    source: str | None


def _out(doc: Document) -> DocumentOut:
    return DocumentOut(id=doc.id, lc_id=doc.lc_id, presentation_id=doc.presentation_id, file_name=doc.file_name,
                       content_type=doc.content_type, size=doc.size, sha256=doc.file_hash,
                       document_type=doc.document_type, document_number=doc.document_number, status=doc.status,
                       submitted_by=doc.submitted_by, created_at=doc.created_at,
                       content_url=f"/api/v1/documents/{doc.id}/content")


def _visible(session: Session, principal: Principal, document_id: str) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise not_found("document", document_id)
    lc = session.get(LetterOfCredit, doc.lc_id)
    if lc is None or principal.organization_id not in lc.party_ids():
        raise not_found("document", document_id)
    return doc


# --------------------------------------------------------------------------- templates


@router.get("/templates", response_model=list[TemplateOut], summary="The extraction templates in use")
def templates(principal: CurrentPrincipal) -> list[TemplateOut]:
    principal.require("document:view")
    try:
        from extractors.templates import TemplateError, load_templates
    except ImportError:
        raise ApiError(503, "templates_unavailable", "the extraction templates package is not installed") from None
    try:
        loaded = load_templates()
    except TemplateError as err:
        # fail closed: a broken template is an operator error to fix, not something to list around
        raise ApiError(503, "templates_invalid", f"the extraction templates do not load: {err}") from None
    out = []
    for template in sorted(loaded, key=lambda t: (t.document_type, -t.priority, t.template)):
        out.append(TemplateOut(
            name=template.template, document_type=template.document_type, generic=template.generic,
            issuer=template.issuer, priority=template.priority, fields=sorted(template.fields),
            tables=sorted(template.tables), source=Path(template.source_file).name if template.source_file else None,
        ))
    return out


# --------------------------------------------------------------------------- upload, get, list


@router.post("", response_model=DocumentOut, status_code=201,
             summary="Upload a document under a credit (stored by its sha256; type sniffed from the bytes)")
def upload(
    principal: CurrentPrincipal,
    ctx: Service,
    lc_id: Annotated[str, Form(min_length=1, max_length=36)],
    file: Annotated[UploadFile, File(description="a PDF, PNG, JPEG, TIFF, text or JSON file")],
    document_type: Annotated[DocumentType | None, Form()] = None,
    document_number: Annotated[str | None, Form(max_length=100)] = None,
) -> DocumentOut:
    principal.require("document:upload")
    with ctx.db.read() as session:
        get_lc(session, principal, lc_id)
    with tempfile.TemporaryDirectory(prefix="blocktrade-document-") as folder:
        stager = Stager(ctx.settings, Path(folder))
        staged = stager.add_stream(file.filename or "", file.file.read, file.filename or "upload")
        if isinstance(staged, Path):
            raise ApiError(415, "archive_not_accepted",
                           f"{file.filename}: upload one document at a time (zip bundles go to /presentations)")
        digest = ctx.storage.put_file(staged.path)
    with ctx.db.write() as session:
        doc = Document(lc_id=lc_id, presentation_id=None, file_name=staged.name, content_type=staged.content_type,
                       size=staged.size, document_type=document_type, document_number=document_number,
                       file_hash=digest, file_url=f"sha256:{digest}", submitted_by=principal.actor,
                       status="uploaded")
        session.add(doc)
        session.flush()
        audit.record(session, entity_type="document", entity_id=doc.id, action="upload", actor=principal.actor,
                     user_id=principal.user_id, organization_id=principal.organization_id,
                     new={"lc_id": lc_id, "file_name": staged.name, "sha256": digest, "size": staged.size,
                          "document_type": document_type})
        return _out(doc)


@router.get("", response_model=Page[DocumentOut], summary="Documents under credits you are party to")
def list_documents(
    principal: CurrentPrincipal,
    ctx: Service,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    lc_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Page[DocumentOut]:
    principal.require("document:view")
    query = select(Document).join(LetterOfCredit, LetterOfCredit.id == Document.lc_id).where(lc_visible_to(principal))
    if lc_id:
        query = query.where(Document.lc_id == lc_id)
    with ctx.db.read() as session:
        rows, next_cursor = paginate(session, query, Document, cursor, limit)
        return Page[DocumentOut](items=[_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{document_id}", response_model=DocumentOut)
def get_one(document_id: str, principal: CurrentPrincipal, ctx: Service) -> DocumentOut:
    principal.require("document:view")
    with ctx.db.read() as session:
        return _out(_visible(session, principal, document_id))


@router.get("/{document_id}/content", summary="The document's bytes",
            response_class=Response, responses={200: {"content": {"application/octet-stream": {}}}})
def content(document_id: str, principal: CurrentPrincipal, ctx: Service) -> Response:
    principal.require("document:view")
    with ctx.db.read() as session:
        doc = _visible(session, principal, document_id)
        digest, content_type, name = doc.file_hash, doc.content_type, doc.file_name
    data = _verified_bytes(ctx, digest)
    safe = name.encode("ascii", "replace").decode().replace('"', "_")
    return Response(data, media_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{safe}"', "ETag": f'"{digest}"'})


def _verified_bytes(ctx: ServiceContext, digest: str) -> bytes:
    """The blob, re-hashed: a stored file that no longer matches its name is never served or signed."""
    try:
        with ctx.storage.open(digest) as handle:
            data = handle.read()
    except StorageError:
        raise ApiError(409, "file_missing", f"the stored file {digest} is missing from the blob store") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise ApiError(409, "file_corrupt", f"the stored file {digest} no longer matches its sha256")
    return data


# --------------------------------------------------------------------------- signatures

_key_lock = threading.Lock()


def _key_path(ctx: ServiceContext, organization_id: str) -> Path:
    return Path(ctx.settings.data_dir) / "keys" / "organisations" / f"{organization_id}.pem"


def _public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _key_id(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def _load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as err:
        raise ApiError(503, "signing_key_unavailable", f"the organisation's signing key cannot be read: {err}") \
            from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ApiError(503, "signing_key_unavailable", f"{path.name} is not an Ed25519 key")
    return key


def organisation_key(ctx: ServiceContext, organization_id: str) -> tuple[Ed25519PrivateKey, OrganisationKey]:
    """The organisation's signing key, created on first use (private half on disk, mode 0600)."""
    path = _key_path(ctx, organization_id)
    with _key_lock:
        with ctx.db.read() as session:
            row = session.scalar(select(OrganisationKey).where(OrganisationKey.organization_id == organization_id))
        if row is not None:
            key = _load_key(path)
            if _key_id(key) != row.key_id:
                raise ApiError(503, "signing_key_unavailable",
                               f"the key file of organisation {organization_id} does not match its registered key")
            return key, row
        if path.exists():  # written by an attempt that died before its row committed
            key = _load_key(path)
        else:
            key = Ed25519PrivateKey.generate()
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        try:
            with ctx.db.write() as session:
                row = OrganisationKey(key_id=_key_id(key), organization_id=organization_id,
                                      algorithm="Ed25519", public_key_pem=_public_pem(key))
                session.add(row)
        except IntegrityError:  # another process registered this organisation's key first
            return organisation_key(ctx, organization_id)
        return key, row


def _signature_out(sig: DocumentSignature, key_row: OrganisationKey) -> SignatureOut:
    return SignatureOut(id=sig.id, document_id=sig.document_id, organization_id=sig.organization_id, sha256=sig.sha256,
                        key_id=sig.key_id, signature=sig.signature, signed_message=SIGNATURE_CONTEXT + sig.sha256,
                        public_key_pem=key_row.public_key_pem, signed_by=sig.signed_by, created_at=sig.created_at)


@router.post("/{document_id}/sign", response_model=SignatureOut, status_code=201,
             summary="Sign the document's sha256 with your organisation's key (detached)", description=SIGNATURE_HELP)
def sign(document_id: str, principal: CurrentPrincipal, ctx: Service) -> SignatureOut:
    principal.require("document:sign")
    with ctx.db.read() as session:
        doc = _visible(session, principal, document_id)
        digest = doc.file_hash
        existing = session.scalar(select(DocumentSignature).where(
            DocumentSignature.document_id == document_id,
            DocumentSignature.organization_id == principal.organization_id))
    if existing is not None:
        raise ApiError(409, "already_signed", "your organisation has signed this document", {"signature_id": existing.id})
    _verified_bytes(ctx, digest)
    key, key_row = organisation_key(ctx, principal.organization_id)
    signature = base64.b64encode(key.sign((SIGNATURE_CONTEXT + digest).encode())).decode()
    try:
        with ctx.db.write() as session:
            row = DocumentSignature(document_id=document_id, organization_id=principal.organization_id,
                                    key_id=key_row.key_id, sha256=digest, signature=signature,
                                    signed_by=principal.actor)
            session.add(row)
            session.flush()
            audit.record(session, entity_type="document", entity_id=document_id, action="sign",
                         actor=principal.actor, user_id=principal.user_id, organization_id=principal.organization_id,
                         new={"sha256": digest, "key_id": key_row.key_id, "signature": signature})
    except IntegrityError:
        raise ApiError(409, "already_signed", "your organisation has signed this document") from None
    return _signature_out(row, key_row)


@router.get("/{document_id}/signatures", response_model=list[SignatureOut], summary="Signatures on a document")
def signatures(document_id: str, principal: CurrentPrincipal, ctx: Service) -> list[SignatureOut]:
    principal.require("document:view")
    with ctx.db.read() as session:
        _visible(session, principal, document_id)
        rows: list[Any] = list(session.execute(
            select(DocumentSignature, OrganisationKey).join(OrganisationKey,
                                                            OrganisationKey.key_id == DocumentSignature.key_id)
            .where(DocumentSignature.document_id == document_id).order_by(DocumentSignature.created_at)))
    return [_signature_out(sig, key_row) for sig, key_row in rows]

"""Typed models of a presentation: the letter of credit and the documents presented under it.

Every value read from a document is an ``Extracted[T]``: the value plus its provenance
(file, page, box, raw text, extractor, confidence), so a finding can always point at the
place on the page it came from. Money is ``Decimal`` with a currency, dates are ``date``,
quantities carry a unit. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

T = TypeVar("T")

# The document-type vocabulary of DESIGN.md; other tools depend on these exact strings.
DocumentType = Literal[
    "letter_of_credit",
    "commercial_invoice",
    "bill_of_lading",
    "packing_list",
    "certificate_of_origin",
    "insurance_certificate",
    "draft",
]
DOCUMENT_TYPES: tuple[str, ...] = DocumentType.__args__  # type: ignore[attr-defined]
PRESENTATION = "presentation"  # pseudo-type for presentation-level findings

ExtractorName = Literal["mt700", "mt707", "text", "ocr", "template", "derived", "bundle"]

# Decimal published as a string with a pattern (a bare pydantic Decimal becomes
# anyOf[number, string] in OpenAPI; schemathesis found a real bug with that).
DecimalStr = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
]

BBox = tuple[float, float, float, float]
"""x0, top, x1, bottom in PDF points, origin at the top-left of the page (pdfplumber's)."""


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Provenance(Model):
    """Where a value came from."""

    file: str
    page: int | None = None  # 1-based; None for the MT700 (see line)
    line: int | None = None  # 1-based line in a SWIFT message
    bbox: BBox | None = None
    raw: str = ""
    extractor: ExtractorName = "text"
    confidence: float = 1.0
    # OCR only (all optional, additive): the lowest Tesseract word confidence (0..1) of the
    # words the value came from; whether a person must check the value before it is trusted
    # (low confidence, or an OCR near-miss of the credit's value) and why; hints for the
    # examiner ("same as the credit's 20 once O/0 is allowed for"); the YAML template used.
    ocr_confidence: float | None = None
    needs_review: bool = False
    review_reason: str | None = None
    notes: list[str] = []
    template: str | None = None


class Extracted(Model, Generic[T]):
    """A value together with the place it was read from."""

    value: T
    source: Provenance


class Money(Model):
    amount: DecimalStr
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.2f}"


class Quantity(Model):
    amount: DecimalStr
    unit: str  # normalised upper-case unit: PCS, KGS, MT, CARTONS, SETS, ...

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.unit}"


class Party(Model):
    """A named party: name plus the address lines as written; country as ISO 3166 alpha-2."""

    name: str
    address: list[str] = []
    country: str | None = None  # ISO alpha-2 when it can be resolved from the address
    bic: str | None = None


# --------------------------------------------------------------------------- the credit


class DocumentRequirement(Model):
    """One item of field 46A, parsed."""

    raw: str
    document_type: DocumentType | None  # None: a document we have no type for (e.g. beneficiary certificate)
    originals: int | None = None
    copies: int | None = None
    full_set: bool = False
    signed: bool = False
    issuer: str | None = None  # "ISSUED BY ..." wording
    to_order_of: str | None = None  # "TO THE ORDER OF ...", "TO ORDER" -> "SHIPPER" when blank
    blank_endorsed: bool = False
    consignee: str | None = None
    notify: str | None = None
    notations: list[str] = []  # clean_on_board, on_board, freight_prepaid, freight_collect, ...
    insurance_percent: DecimalStr | None = None  # 110 for "110 PCT OF CIF VALUE"
    insurance_basis: str | None = None  # CIF / CIP / INVOICE
    insurance_clauses: list[str] = []  # "INSTITUTE CARGO CLAUSES (A)", "WAR CLAUSES", ...
    source: Provenance


class GoodsItem(Model):
    """A line of goods, from 45A or an invoice/packing list table."""

    description: str
    quantity: Quantity | None = None
    unit_price: Money | None = None
    amount: Money | None = None
    about: bool = False  # "ABOUT"/"APPROXIMATELY" on this quantity or price: UCP 600 30(a)
    hs_code: str | None = None
    source: Provenance | None = None


class PresentationPeriod(Model):
    days: int
    after: str = "SHIPMENT"  # what the days run from, as written ("DATE OF SHIPMENT", "B/L DATE")
    text: str = ""


class Amendment(Model):
    """One MT707 applied to the credit, kept in the history."""

    number: int  # 26E
    date: dt.date | None = None  # 30
    changes: dict[str, Any]  # field name -> new value (already parsed), for the record
    raw_fields: dict[str, str]  # tag -> raw text as received
    source: Provenance


class LetterOfCredit(Model):
    """The credit, parsed from an MT700 (plus MT701 continuations) and amended by MT707s."""

    file: str
    sender_bic: str | None = None
    receiver_bic: str | None = None
    sequence: Extracted[str] | None = None  # 27
    form: Extracted[str] | None = None  # 40A
    number: Extracted[str]  # 20
    pre_advice_reference: Extracted[str] | None = None  # 23
    date_of_issue: Extracted[dt.date] | None = None  # 31C
    applicable_rules: Extracted[str] | None = None  # 40E
    expiry_date: Extracted[dt.date]  # 31D
    expiry_place: Extracted[str] | None = None  # 31D
    applicant_bank: Extracted[Party] | None = None  # 51a
    applicant: Extracted[Party]  # 50
    beneficiary: Extracted[Party]  # 59
    amount: Extracted[Money]  # 32B
    tolerance_plus: Extracted[DecimalStr] | None = None  # 39A, percent
    tolerance_minus: Extracted[DecimalStr] | None = None  # 39A, percent
    additional_amounts: Extracted[str] | None = None  # 39C
    available_with: Extracted[str] | None = None  # 41a
    available_by: Extracted[str] | None = None  # 41a: BY PAYMENT / ACCEPTANCE / NEGOTIATION / DEF PAYMENT / MIXED PYMT
    drafts_at: Extracted[str] | None = None  # 42C
    drawee: Extracted[Party] | None = None  # 42a
    mixed_payment: Extracted[str] | None = None  # 42M
    deferred_payment: Extracted[str] | None = None  # 42P
    partial_shipments: Extracted[str] | None = None  # 43P: ALLOWED / NOT ALLOWED / CONDITIONAL
    transhipment: Extracted[str] | None = None  # 43T
    place_of_receipt: Extracted[str] | None = None  # 44A
    port_of_loading: Extracted[str] | None = None  # 44E
    port_of_discharge: Extracted[str] | None = None  # 44F
    place_of_delivery: Extracted[str] | None = None  # 44B
    latest_shipment_date: Extracted[dt.date] | None = None  # 44C
    shipment_period: Extracted[str] | None = None  # 44D
    goods: list[GoodsItem] = []  # 45A, one per item
    goods_description: Extracted[str] | None = None  # 45A as a whole
    incoterm: Extracted[str] | None = None  # from 45A: "CIF", "FOB", ...
    incoterm_place: Extracted[str] | None = None
    documents_required: list[DocumentRequirement] = []  # 46A
    additional_conditions: list[Extracted[str]] = []  # 47A, one per item
    special_payment_beneficiary: Extracted[str] | None = None  # 49G
    special_payment_bank: Extracted[str] | None = None  # 49H
    charges: Extracted[str] | None = None  # 71D
    presentation_period: Extracted[PresentationPeriod] | None = None  # 48
    confirmation: Extracted[str] | None = None  # 49: CONFIRM / MAY ADD / WITHOUT
    requested_confirmation_party: Extracted[str] | None = None  # 58a
    reimbursing_bank: Extracted[str] | None = None  # 53a
    instructions_to_bank: Extracted[str] | None = None  # 78
    advise_through: Extracted[str] | None = None  # 57a
    sender_to_receiver: Extracted[str] | None = None  # 72Z
    amendments: list[Amendment] = []


# --------------------------------------------------------------------------- documents


class DocumentBase(Model):
    """Fields every presented document has."""

    file: str
    pages: int = 1
    extraction: Literal["text", "ocr"] = "text"
    number: Extracted[str] | None = None  # the document's own reference
    date: Extracted[dt.date] | None = None  # date of issue
    issuer: Extracted[Party] | None = None
    signed: Extracted[bool] | None = None  # a signature / "signed" / "for and on behalf of" seen
    lc_number: Extracted[str] | None = None  # credit number where the document states one
    invoice_number: Extracted[str] | None = None  # the commercial invoice a document refers to (14(d))
    goods_description: Extracted[str] | None = None
    marks: Extracted[str] | None = None  # shipping marks
    original: Extracted[bool] | None = None  # marked "ORIGINAL" (True) / "COPY" (False)
    text: str = ""  # the full text layer, for rules that search wording


class CommercialInvoice(DocumentBase):
    type: Literal["commercial_invoice"] = "commercial_invoice"
    addressee: Extracted[Party] | None = None
    currency: Extracted[str] | None = None
    total: Extracted[Money] | None = None
    lines: list[GoodsItem] = []
    incoterm: Extracted[str] | None = None
    incoterm_place: Extracted[str] | None = None
    country_of_origin: Extracted[str] | None = None
    gross_weight: Extracted[Quantity] | None = None
    net_weight: Extracted[Quantity] | None = None
    packages: Extracted[Quantity] | None = None


class BillOfLading(DocumentBase):
    type: Literal["bill_of_lading"] = "bill_of_lading"
    carrier: Extracted[Party] | None = None
    # who signed and in what capacity: carrier / master / agent_for_carrier / agent_for_master
    signatory: Extracted[str] | None = None
    signatory_capacity: Extracted[str] | None = None
    shipper: Extracted[Party] | None = None
    consignee: Extracted[Party] | None = None  # "TO ORDER OF XYZ BANK" kept as the name
    notify_party: Extracted[Party] | None = None
    vessel: Extracted[str] | None = None
    voyage: Extracted[str] | None = None
    place_of_receipt: Extracted[str] | None = None
    port_of_loading: Extracted[str] | None = None
    port_of_discharge: Extracted[str] | None = None
    place_of_delivery: Extracted[str] | None = None
    on_board: Extracted[bool] | None = None  # "SHIPPED ON BOARD" pre-printed or a notation
    on_board_date: Extracted[dt.date] | None = None
    originals_issued: Extracted[int] | None = None  # "NUMBER OF ORIGINAL B/Ls: THREE (3)"
    clauses: list[Extracted[str]] = []  # superimposed clauses as written
    unclean_clauses: list[Extracted[str]] = []  # clauses declaring a defective condition: UCP 600 27
    on_deck: Extracted[bool] | None = None  # "shipped on deck" (not "may be carried on deck")
    transhipment: Extracted[bool] | None = None
    transhipment_port: Extracted[str] | None = None
    containers: list[Extracted[str]] = []  # ISO 6346 container numbers
    freight: Extracted[str] | None = None  # PREPAID / COLLECT
    charter_party: Extracted[bool] | None = None
    gross_weight: Extracted[Quantity] | None = None
    net_weight: Extracted[Quantity] | None = None
    packages: Extracted[Quantity] | None = None


class PackingList(DocumentBase):
    type: Literal["packing_list"] = "packing_list"
    lines: list[GoodsItem] = []
    packages: Extracted[Quantity] | None = None
    total_quantity: Extracted[Quantity] | None = None
    net_weight: Extracted[Quantity] | None = None
    gross_weight: Extracted[Quantity] | None = None
    consignee: Extracted[Party] | None = None


class CertificateOfOrigin(DocumentBase):
    type: Literal["certificate_of_origin"] = "certificate_of_origin"
    country_of_origin: Extracted[str] | None = None  # ISO alpha-2 where it can be resolved
    exporter: Extracted[Party] | None = None
    consignee: Extracted[Party] | None = None
    vessel: Extracted[str] | None = None
    port_of_loading: Extracted[str] | None = None
    port_of_discharge: Extracted[str] | None = None
    gross_weight: Extracted[Quantity] | None = None
    packages: Extracted[Quantity] | None = None


class InsuranceCertificate(DocumentBase):
    type: Literal["insurance_certificate"] = "insurance_certificate"
    is_cover_note: Extracted[bool] | None = None  # UCP 600 28(c): cover notes not accepted
    assured: Extracted[Party] | None = None
    currency: Extracted[str] | None = None
    insured_amount: Extracted[Money] | None = None
    clauses: list[Extracted[str]] = []  # risks covered: "INSTITUTE CARGO CLAUSES (A)", ...
    exclusions: list[Extracted[str]] = []
    from_place: Extracted[str] | None = None
    to_place: Extracted[str] | None = None
    cover_start: Extracted[dt.date] | None = None  # "cover effective from"
    vessel: Extracted[str] | None = None
    originals_issued: Extracted[int] | None = None
    claims_payable_at: Extracted[str] | None = None


class Draft(DocumentBase):
    type: Literal["draft"] = "draft"
    drawer: Extracted[Party] | None = None
    drawee: Extracted[Party] | None = None
    payee: Extracted[Party] | None = None
    tenor: Extracted[str] | None = None  # "AT SIGHT", "90 DAYS AFTER B/L DATE"
    tenor_days: Extracted[int] | None = None  # 0 for sight
    amount: Extracted[Money] | None = None
    amount_in_words: Extracted[str] | None = None


PresentedDocument = Annotated[
    CommercialInvoice
    | BillOfLading
    | PackingList
    | CertificateOfOrigin
    | InsuranceCertificate
    | Draft,
    Field(discriminator="type"),
]

DOCUMENT_MODELS: dict[str, type[DocumentBase]] = {
    "commercial_invoice": CommercialInvoice,
    "bill_of_lading": BillOfLading,
    "packing_list": PackingList,
    "certificate_of_origin": CertificateOfOrigin,
    "insurance_certificate": InsuranceCertificate,
    "draft": Draft,
}


class InputProblem(Model):
    """A file that could not be used as a document; becomes an error finding, never silence."""

    file: str
    code: Literal[
        "needs_ocr", "unreadable", "encrypted", "empty", "unknown_type", "duplicate", "unsupported_format",
        "too_large", "ocr_timeout", "ocr_failed",
    ]
    message: str
    page: int | None = None
    document_type: str | None = None  # best guess, when the type is known but fields are not


class FileInfo(Model):
    """How each file of the bundle was handled (the `documents` list of `check --json`)."""

    file: str
    type: str | None  # a DocumentType, or None when unknown
    pages: int = 0
    extraction: Literal["text", "ocr", "mt700", "none"] = "text"
    sha256: str = ""


class Presentation(Model):
    """Everything read from one bundle."""

    bundle: str
    presented_on: dt.date | None = None
    lc: LetterOfCredit
    documents: list[PresentedDocument] = []
    files: list[FileInfo] = []
    problems: list[InputProblem] = []

    def of_type(self, doc_type: str) -> list[DocumentBase]:
        return [d for d in self.documents if d.type == doc_type]

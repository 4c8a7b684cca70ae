"""Bundle loading: a folder or .zip of files → a ``Presentation``.

Every file is hashed (sha256) and sniffed by its magic bytes, never by its name. The credit
is the file whose content is an MT700 (text, or a PDF whose text is one); MT707s are
applied in the order of their field 26E. Every other file becomes a document or an
``InputProblem`` saying why it could not be (corrupt, too large, OCR failed on a page,
duplicate, unknown type): nothing is skipped silently. Images and PDF pages without a text
layer are read by OCR (extractors.ocr), all pages of all files in one process pool, after the
text files; their values carry extractor "ocr" and per-word confidence. A bundle without a
credit cannot be examined: ``InputError``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from extractors.classify import classify
from extractors.errors import InputError
from extractors.fields import extract_document
from extractors.models import FileInfo, InputProblem, LetterOfCredit, Presentation
from extractors.pdf_text import Page, PdfDocument, PdfReadError, read_pdf

PRESENTATION_FILE = "presentation.json"
MAX_ZIP_MEMBER_BYTES = 200 * 1024 * 1024  # a bigger member is not a trade document: refuse it

Format = Literal["pdf", "png", "jpeg", "tiff", "zip", "text", "empty", "unknown"]


@dataclass(slots=True)
class BundleFile:
    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> Format:
    """The file format from its first bytes."""
    if not data:
        return "empty"
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text"
        except UnicodeDecodeError:
            # a multi-byte character cut at 1024 bytes is still text
            try:
                head[:-4].decode("utf-8")
                return "text"
            except UnicodeDecodeError:
                if all(32 <= b < 127 or b in (9, 10, 13) or b >= 160 for b in head):
                    return "text"
    return "unknown"


def _read_files(path: Path) -> list[BundleFile]:
    if not path.exists():
        raise InputError(str(path), "bundle not found")
    if path.is_dir():
        files: list[BundleFile] = []
        for child in sorted(path.rglob("*")):
            relative = child.relative_to(path)
            if child.is_dir() or any(part.startswith(".") for part in relative.parts):
                continue
            try:
                files.append(BundleFile(relative.as_posix(), child.read_bytes()))
            except OSError as exc:
                raise InputError(relative.as_posix(), f"cannot read the file: {exc.strerror}") from None
        return files
    if sniff(path.read_bytes()[:8]) != "zip":
        raise InputError(path.name, "a bundle must be a folder or a .zip archive")
    try:
        with zipfile.ZipFile(path) as archive:
            files = []
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                parts = Path(info.filename).parts
                if any(part.startswith(".") or part == "__MACOSX" for part in parts):
                    continue
                if info.file_size > MAX_ZIP_MEMBER_BYTES:
                    raise InputError(f"{path.name}:{info.filename}", "archive member is too large")
                files.append(BundleFile(info.filename, archive.read(info)))
            return files
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise InputError(path.name, f"not a readable .zip archive ({exc})") from None


def _presented_on(files: list[BundleFile]) -> dt.date | None:
    for bundle_file in files:
        try:
            meta = json.loads(bundle_file.data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(bundle_file.name, f"not valid JSON: {exc}") from None
        if not isinstance(meta, dict):
            raise InputError(bundle_file.name, "must hold a JSON object")
        value = meta.get("presented_on")
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise InputError(bundle_file.name, f'presented_on "{value}" is not a date YYYY-MM-DD') from None
    return None


def _decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_MT707_RE = re.compile(r"\{2:[IO]707|^\s*:26E:", re.MULTILINE)
_AMENDMENT_NUMBER_RE = re.compile(r"^\s*:26E:\s*(\d+)", re.MULTILINE)


def _is_mt707(text: str) -> bool:
    return bool(_MT707_RE.search(text)) and ":40A:" not in text


@dataclass(slots=True)
class _PendingOcr:
    """A file waiting for OCR: an image, or a PDF with pages that have no text layer."""

    bundle_file: BundleFile
    info: FileInfo
    text_pages: list[Page] = field(default_factory=list)  # pages of a mixed PDF that have text
    images: list = field(default_factory=list)  # extractors.images.PageImage, to OCR


def load_bundle(
    path: Path,
    presented_on: dt.date | None = None,
    *,
    ocr_settings=None,  # extractors.ocr.OcrSettings | None
    progress=None,  # extractors.ocr.Progress | None: called as each page is OCR'd
) -> Presentation:
    """Read a bundle. Raises ``InputError`` when it cannot be examined at all."""
    from extractors import swift  # written alongside; imported here so a missing module names itself

    path = Path(path)
    everything = _read_files(path)
    meta_date = _presented_on([f for f in everything if f.name == PRESENTATION_FILE])
    files = [f for f in everything if f.name != PRESENTATION_FILE]
    infos: list[FileInfo] = []
    problems: list[InputProblem] = []
    documents = []
    lc: LetterOfCredit | None = None
    lc_file: str | None = None
    amendments: list[tuple[int, str, str]] = []  # (26E, file, text)
    seen: dict[str, str] = {}
    pending: list[_PendingOcr] = []
    with tempfile.TemporaryDirectory(prefix="blocktrade-ocr-") as workdir:
        for bundle_file in sorted(files, key=lambda f: f.name):
            lc, lc_file = _load_file(
                path,
                bundle_file,
                infos,
                problems,
                documents,
                amendments,
                seen,
                pending,
                lc,
                lc_file,
                Path(workdir),
            )
        if pending:
            for outcome in _run_ocr(pending, problems, ocr_settings, progress):
                lc, lc_file = outcome.take(lc, lc_file, documents, problems)

    if lc is None:
        raise InputError(path.name, "no letter of credit (MT700) found in the bundle")
    for _, name, text in sorted(amendments, key=lambda a: (a[0], a[1])):
        lc = swift.apply_mt707(lc, text, name)
    from extractors.ocr_normalize import (
        annotate_against_lc,
        corroborate,
        mend_goods_against_lc,
        reconcile_invoice_references,
    )

    for document in documents:
        if document.extraction == "ocr":
            annotate_against_lc(document, lc)
            mend_goods_against_lc(document, lc)
    reconcile_invoice_references(documents)
    corroborate(documents, lc)
    documents.sort(key=lambda d: d.file)
    return Presentation(
        bundle=str(path),
        presented_on=presented_on or meta_date,
        lc=lc,
        documents=documents,  # type: ignore[arg-type]
        files=infos,
        problems=problems,
    )


def _load_file(
    path: Path,
    bundle_file: BundleFile,
    infos: list[FileInfo],
    problems: list[InputProblem],
    documents: list,
    amendments: list[tuple[int, str, str]],
    seen: dict[str, str],
    pending: list[_PendingOcr],
    lc: LetterOfCredit | None,
    lc_file: str | None,
    workdir: Path,
) -> tuple[LetterOfCredit | None, str | None]:
    """Handle one file of the bundle; returns the credit found so far."""
    from extractors import swift

    name = bundle_file.name
    digest = bundle_file.sha256
    info = FileInfo(file=name, type=None, pages=0, extraction="none", sha256=digest)
    infos.append(info)
    if digest in seen:
        problems.append(InputProblem(file=name, code="duplicate", message=f"same content as {seen[digest]}"))
        return lc, lc_file
    seen[digest] = name
    kind = sniff(bundle_file.data)
    if kind == "empty":
        problems.append(InputProblem(file=name, code="empty", message="the file is empty (0 bytes)"))
    elif kind in ("png", "jpeg", "tiff"):
        _queue_image(bundle_file, info, problems, pending, workdir)
    elif kind == "text":
        text = _decode_text(bundle_file.data)
        if swift.is_swift_message(text) and _is_mt707(text):
            match = _AMENDMENT_NUMBER_RE.search(text)
            number = int(match.group(1)) if match else 0
            amendments.append((number, name, text))
            info.type, info.extraction = "letter_of_credit", "mt700"
        elif swift.is_swift_message(text):
            if lc is not None:
                raise InputError(name, f"a second credit in the bundle (the first is {lc_file})")
            lc, lc_file = swift.parse_mt700(text, name), name
            info.type, info.extraction, info.pages = "letter_of_credit", "mt700", 1
        else:
            problems.append(
                InputProblem(
                    file=name, code="unknown_type", message="a text file that is not a SWIFT message"
                )
            )
    elif kind == "pdf":
        document_or_lc = _read_pdf_file(path, bundle_file, info, problems, pending, workdir)
        if isinstance(document_or_lc, LetterOfCredit):
            if lc is not None:
                raise InputError(name, f"a second credit in the bundle (the first is {lc_file})")
            lc, lc_file = document_or_lc, name
        elif document_or_lc is not None:
            documents.append(document_or_lc)
    else:
        from extractors.images import sniff_format

        problems.append(
            InputProblem(
                file=name,
                code="unsupported_format",
                message=f"not a PDF, PNG/JPEG/TIFF image or SWIFT text (content is {sniff_format(bundle_file.data)})",
            )
        )
    return lc, lc_file


def _queue_image(
    bundle_file: BundleFile,
    info: FileInfo,
    problems: list[InputProblem],
    pending: list[_PendingOcr],
    workdir: Path,
) -> None:
    from extractors.images import ImageInputError, image_pages

    try:
        images = image_pages(bundle_file.data, bundle_file.name, workdir)
    except ImageInputError as exc:
        problems.append(
            InputProblem(file=bundle_file.name, code=exc.code, message=exc.message, page=exc.page)
        )
        return
    info.pages = len(images)
    pending.append(_PendingOcr(bundle_file, info, images=images))


def _read_pdf_file(
    bundle: Path,
    bundle_file: BundleFile,
    info: FileInfo,
    problems: list[InputProblem],
    pending: list[_PendingOcr] | None = None,
    workdir: Path | None = None,
):
    """A document model, the credit (MT700 printed to PDF), or None with a problem recorded.

    A PDF with pages that have no text layer is queued for OCR (those pages only) and None
    returned; without a queue it is reported as ``needs_ocr``.
    """
    name = bundle_file.name
    try:
        pdf = _read_pdf_bytes(bundle, bundle_file)
    except PdfReadError as exc:
        problems.append(InputProblem(file=name, code=exc.code, message=exc.message))
        return None
    info.pages = len(pdf.pages)
    missing = [p.number for p in pdf.pages if not p.has_text_layer]
    if missing and (pending is None or workdir is None):
        problems.append(
            InputProblem(
                file=name,
                code="needs_ocr",
                message=f"no text layer on page(s) {', '.join(map(str, missing))}: needs OCR",
                page=missing[0],
            )
        )
        return None
    if missing and pending is not None and workdir is not None:
        from extractors.images import ImageInputError, render_pdf_pages

        try:
            with _pdf_on_disk(bundle, bundle_file) as pdf_path:
                images = render_pdf_pages(pdf_path, name, missing, workdir)
        except ImageInputError as exc:
            problems.append(InputProblem(file=name, code=exc.code, message=exc.message, page=exc.page))
            return None
        pending.append(
            _PendingOcr(
                bundle_file, info, text_pages=[p for p in pdf.pages if p.has_text_layer], images=images
            )
        )
        return None
    return _document_from_pdf(pdf, name, info, problems, "text")


def _document_from_pdf(
    pdf: PdfDocument,
    name: str,
    info: FileInfo,
    problems: list[InputProblem],
    extraction: str,
    *,
    templates=None,  # passed to extract_document
    document_type: str | None = None,  # skip classification (CLI --type)
):
    """Classify a read PDF (text or OCR) and extract its fields; the credit when it is an MT700."""
    from extractors import swift

    if document_type is not None:
        info.type, info.extraction = document_type, extraction  # type: ignore[assignment]
        document = extract_document(document_type, pdf, name, templates=templates)
        document.extraction = extraction  # type: ignore[assignment]
        return document
    result = classify(pdf)
    text = pdf.text.replace("\f", "")
    if result.type == "letter_of_credit" or (result.type is None and swift.is_swift_message(text)):
        if not swift.is_swift_message(text):
            problems.append(
                InputProblem(
                    file=name,
                    code="unknown_type",
                    message="a letter of credit that is not an MT700 message",
                    document_type="letter_of_credit",
                )
            )
            return None
        info.type, info.extraction = "letter_of_credit", "mt700"
        return swift.parse_mt700(text, name)
    if result.type is None:
        from extractors.templates import document_type_by_template

        known = document_type_by_template(text) if templates is not False else None
        if known is None:
            problems.append(InputProblem(file=name, code="unknown_type", message="; ".join(result.reasons)))
            return None
        result.type = known[0]  # type: ignore[assignment]  # the layout of issuer template known[1]
    info.type, info.extraction = result.type, extraction  # type: ignore[assignment]
    document = extract_document(result.type, pdf, name, templates=templates)
    document.extraction = extraction  # type: ignore[assignment]
    return document


@dataclass(slots=True)
class _OcrOutcome:
    name: str
    value: object  # a document, the credit, or None (problem already recorded)

    def take(self, lc, lc_file, documents: list, problems: list[InputProblem]):
        if isinstance(self.value, LetterOfCredit):
            if lc is not None:
                raise InputError(self.name, f"a second credit in the bundle (the first is {lc_file})")
            return self.value, self.name
        if self.value is not None:
            documents.append(self.value)
        return lc, lc_file


def _run_ocr(
    pending: list[_PendingOcr], problems: list[InputProblem], settings, progress
) -> list[_OcrOutcome]:
    """OCR the pages of every pending file in one pool, then build each file's document."""
    from extractors.ocr import assemble, ocr_pages

    images = [image for item in pending for image in item.images]
    results = ocr_pages(images, settings, progress)
    outcomes: list[_OcrOutcome] = []
    position = 0
    for item in pending:
        name = item.bundle_file.name
        mine = results[position : position + len(item.images)]
        position += len(item.images)
        built = assemble(name, [*item.text_pages, *mine])
        for error in built.errors:
            problems.append(InputProblem(file=name, code=error.code, message=error.message, page=error.page))
        if not built.document.pages:
            outcomes.append(_OcrOutcome(name, None))  # every page failed: the errors say why
            continue
        if not built.document.has_text_layer:
            blank = [p.number for p in built.document.pages if not p.has_text_layer]
            problems.append(
                InputProblem(
                    file=name,
                    code="unreadable",
                    message=f"OCR found no readable text on page(s) {', '.join(map(str, blank))}",
                    page=blank[0],
                )
            )
            outcomes.append(_OcrOutcome(name, None))
            continue
        value = _document_from_pdf(built.document, name, item.info, problems, "ocr")
        if isinstance(value, LetterOfCredit):
            value_lc: object = value
            outcomes.append(_OcrOutcome(name, value_lc))
        else:
            outcomes.append(_OcrOutcome(name, value))
    return outcomes


class _pdf_on_disk:
    """The PDF as a file path: the bundle's own file, or a temporary copy of a zip member."""

    def __init__(self, bundle: Path, bundle_file: BundleFile):
        self.bundle, self.bundle_file = bundle, bundle_file
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if self.bundle.is_dir():
            return self.bundle / self.bundle_file.name
        self._tmp = tempfile.TemporaryDirectory()
        target = Path(self._tmp.name) / "member.pdf"
        target.write_bytes(self.bundle_file.data)
        return target

    def __exit__(self, *exc_info: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _read_pdf_bytes(bundle: Path, bundle_file: BundleFile):
    if bundle.is_dir():
        return _renamed(read_pdf(bundle / bundle_file.name), bundle_file.name)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "member.pdf"
        target.write_bytes(bundle_file.data)
        return _renamed(read_pdf(target), bundle_file.name)


def _renamed(pdf, name: str):
    pdf.file = name
    return pdf


@dataclass(slots=True)
class ReadResult:
    """One file read on its own (``blocktrade extract``, the template tests, the benchmarks)."""

    document: object  # a DocumentBase, the LetterOfCredit, or None (see problems)
    info: FileInfo
    problems: list[InputProblem]
    pdf: PdfDocument | None  # the words the fields were read from (OcrPage pages where OCR'd)


def read_document(
    path: Path,
    *,
    document_type: str | None = None,
    ocr_settings=None,
    progress=None,
    templates=None,
) -> ReadResult:
    """Read one PDF, image or SWIFT file: classify it (unless ``document_type``) and extract."""
    from extractors import swift
    from extractors.images import ImageInputError, image_pages
    from extractors.ocr import assemble, is_ocr_document, ocr_pages, ocr_pdf_file

    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read the file: {exc.strerror}") from None
    info = FileInfo(file=name, type=None, pages=0, extraction="none", sha256=hashlib.sha256(data).hexdigest())
    problems: list[InputProblem] = []
    pdf: PdfDocument | None = None
    extraction = "text"
    kind = sniff(data)
    with tempfile.TemporaryDirectory(prefix="blocktrade-ocr-") as workdir:
        try:
            if kind == "empty":
                problems.append(InputProblem(file=name, code="empty", message="the file is empty (0 bytes)"))
            elif kind in ("png", "jpeg", "tiff"):
                images = image_pages(data, name, Path(workdir))
                built = assemble(name, ocr_pages(images, ocr_settings, progress))
                pdf, extraction = built.document, "ocr"
                for error in built.errors:
                    problems.append(
                        InputProblem(file=name, code=error.code, message=error.message, page=error.page)
                    )
            elif kind == "pdf":
                built = ocr_pdf_file(path, name, Path(workdir), ocr_settings, progress)
                pdf = built.document
                extraction = "ocr" if is_ocr_document(pdf) else "text"
                for error in built.errors:
                    problems.append(
                        InputProblem(file=name, code=error.code, message=error.message, page=error.page)
                    )
            elif kind == "text" and swift.is_swift_message(_decode_text(data)):
                info.type, info.extraction, info.pages = "letter_of_credit", "mt700", 1
                return ReadResult(swift.parse_mt700(_decode_text(data), name), info, problems, None)
            else:
                problems.append(
                    InputProblem(
                        file=name, code="unsupported_format", message=f"not a PDF, image or MT700 ({kind})"
                    )
                )
        except ImageInputError as exc:
            problems.append(InputProblem(file=name, code=exc.code, message=exc.message, page=exc.page))
        except PdfReadError as exc:
            problems.append(InputProblem(file=name, code=exc.code, message=exc.message))
    document = None
    if pdf is not None:
        info.pages = len(pdf.pages) + len(
            [p for p in problems if p.page is not None and p.code.startswith("ocr")]
        )
        if pdf.pages and pdf.has_text_layer:
            document = _document_from_pdf(
                pdf, name, info, problems, extraction, templates=templates, document_type=document_type
            )
        elif pdf.pages:
            blank = [p.number for p in pdf.pages if not p.has_text_layer]
            problems.append(
                InputProblem(
                    file=name,
                    code="unreadable",
                    message=f"no readable text on page(s) {', '.join(map(str, blank))}",
                    page=blank[0],
                )
            )
    return ReadResult(document, info, problems, pdf)

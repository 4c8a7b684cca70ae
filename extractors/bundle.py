"""Bundle loading: a folder or .zip of files → a ``Presentation``.

Every file is hashed (sha256) and sniffed by its magic bytes, never by its name. The credit
is the file whose content is an MT700 (text, or a PDF whose text is one); MT707s are
applied in the order of their field 26E. Every other file becomes a document or an
``InputProblem`` saying why it could not be (needs OCR, corrupt, duplicate, unknown type):
nothing is skipped silently. A bundle without a credit cannot be examined: ``InputError``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from extractors.classify import classify
from extractors.errors import InputError
from extractors.fields import extract_document
from extractors.models import FileInfo, InputProblem, LetterOfCredit, Presentation
from extractors.pdf_text import PdfReadError, read_pdf

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


def load_bundle(path: Path, presented_on: dt.date | None = None) -> Presentation:
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

    for bundle_file in sorted(files, key=lambda f: f.name):
        name = bundle_file.name
        digest = bundle_file.sha256
        info = FileInfo(file=name, type=None, pages=0, extraction="none", sha256=digest)
        infos.append(info)
        if digest in seen:
            problems.append(
                InputProblem(file=name, code="duplicate", message=f"same content as {seen[digest]}")
            )
            continue
        seen[digest] = name
        kind = sniff(bundle_file.data)
        if kind == "empty":
            problems.append(InputProblem(file=name, code="empty", message="the file is empty (0 bytes)"))
        elif kind in ("png", "jpeg", "tiff"):
            problems.append(
                InputProblem(file=name, code="needs_ocr", message=f"{kind.upper()} image: text needs OCR")
            )
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
            document_or_lc = _read_pdf_file(path, bundle_file, info, problems)
            if isinstance(document_or_lc, LetterOfCredit):
                if lc is not None:
                    raise InputError(name, f"a second credit in the bundle (the first is {lc_file})")
                lc, lc_file = document_or_lc, name
            elif document_or_lc is not None:
                documents.append(document_or_lc)
        else:
            problems.append(
                InputProblem(
                    file=name, code="unsupported_format", message=f"not a PDF, image or SWIFT text ({kind})"
                )
            )

    if lc is None:
        raise InputError(path.name, "no letter of credit (MT700) found in the bundle")
    for _, name, text in sorted(amendments, key=lambda a: (a[0], a[1])):
        lc = swift.apply_mt707(lc, text, name)
    return Presentation(
        bundle=str(path),
        presented_on=presented_on or meta_date,
        lc=lc,
        documents=documents,  # type: ignore[arg-type]
        files=infos,
        problems=problems,
    )


def _read_pdf_file(bundle: Path, bundle_file: BundleFile, info: FileInfo, problems: list[InputProblem]):
    """A document model, the credit (MT700 printed to PDF), or None with a problem recorded."""
    from extractors import swift

    name = bundle_file.name
    try:
        pdf = _read_pdf_bytes(bundle, bundle_file)
    except PdfReadError as exc:
        problems.append(InputProblem(file=name, code=exc.code, message=exc.message))
        return None
    info.pages = len(pdf.pages)
    missing = [p.number for p in pdf.pages if not p.has_text_layer]
    if missing:
        problems.append(
            InputProblem(
                file=name,
                code="needs_ocr",
                message=f"no text layer on page(s) {', '.join(map(str, missing))}: needs OCR",
                page=missing[0],
            )
        )
        return None
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
        problems.append(InputProblem(file=name, code="unknown_type", message="; ".join(result.reasons)))
        return None
    info.type, info.extraction = result.type, "text"
    return extract_document(result.type, pdf, name)


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

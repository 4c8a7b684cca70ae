"""Bundle loading: folder or zip, sniffing by content, problems per file, the credit found by content.

The SWIFT parser is written by another module; these tests replace it with a small stand-in
so that they test the loader's own decisions (which file is the credit, amendment order,
problems) and nothing of the parser's.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
import zipfile
from pathlib import Path

import pytest

import extractors
from extractors.bundle import load_bundle, sniff
from extractors.errors import InputError
from extractors.models import LetterOfCredit
from tests.unit.pdf_samples import PageSpec, build_pdf, documents, image_only_pdf

MT700 = "{1:F01BKRTNL2AXXX0000000000}{2:O7001200260202BKCHCNBJXXXX}{4:\n:40A:IRREVOCABLE\n:20:LC-778812\n-}"


def _mt707(number: int) -> str:
    return f"{{1:F01BKRTNL2AXXX0000000000}}{{2:O7071200260202BKCHCNBJXXXX}}{{4:\n:20:LC-778812\n:26E:{number}\n-}}"


@pytest.fixture
def fake_swift(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    applied: list[str] = []

    def parse_mt700(text: str, file: str) -> LetterOfCredit:
        if ":20:" not in text:
            raise InputError(file, "field 20 missing", tag="20")
        return LetterOfCredit.model_validate(
            {
                "file": file,
                "number": {"value": "LC-778812", "source": {"file": file, "line": 3, "extractor": "mt700"}},
                "expiry_date": {"value": "2026-04-30", "source": {"file": file, "extractor": "mt700"}},
                "applicant": {"value": {"name": "A"}, "source": {"file": file, "extractor": "mt700"}},
                "beneficiary": {"value": {"name": "B"}, "source": {"file": file, "extractor": "mt700"}},
                "amount": {
                    "value": {"amount": "1", "currency": "USD"},
                    "source": {"file": file, "extractor": "mt700"},
                },
            }
        )

    def apply_mt707(lc: LetterOfCredit, text: str, file: str) -> LetterOfCredit:
        applied.append(file)
        return lc

    module = types.ModuleType("extractors.swift")
    module.is_swift_message = lambda text: text.lstrip().startswith("{1:") or ":20:" in text  # type: ignore[attr-defined]
    module.parse_mt700 = parse_mt700  # type: ignore[attr-defined]
    module.apply_mt707 = apply_mt707  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "extractors.swift", module)
    monkeypatch.setattr(extractors, "swift", module, raising=False)
    return applied


def _bundle(folder: Path) -> Path:
    folder.mkdir()
    (folder / "credit.txt").write_text(MT700)
    documents.invoice_labels_left(folder / "doc1.pdf")
    documents.bill_of_lading(folder / "doc2.pdf")
    documents.packing_list(folder / "scan_me.bin")  # names lie: content decides
    return folder


def test_folder_bundle_reads_every_document(tmp_path: Path, fake_swift: list[str]) -> None:
    bundle = _bundle(tmp_path / "b")
    (bundle / ".DS_Store").write_bytes(b"\x00\x01")
    presentation = load_bundle(bundle)
    assert presentation.lc.number.value == "LC-778812"
    assert sorted(d.type for d in presentation.documents) == [
        "bill_of_lading",
        "commercial_invoice",
        "packing_list",
    ]
    assert [f.file for f in presentation.files] == ["credit.txt", "doc1.pdf", "doc2.pdf", "scan_me.bin"]
    assert [f.type for f in presentation.files] == [
        "letter_of_credit",
        "commercial_invoice",
        "bill_of_lading",
        "packing_list",
    ]
    assert all(len(f.sha256) == 64 for f in presentation.files)
    assert presentation.problems == []
    invoice = next(d for d in presentation.documents if d.type == "commercial_invoice")
    assert (
        invoice.file == "doc1.pdf" and invoice.number is not None and invoice.number.source.file == "doc1.pdf"
    )


def test_problems_are_reported_per_file(tmp_path: Path, fake_swift: list[str]) -> None:
    bundle = _bundle(tmp_path / "b")
    (bundle / "copy.pdf").write_bytes((bundle / "doc1.pdf").read_bytes())
    (bundle / "photo.jpg").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)  # a PNG named .jpg
    image_only_pdf(bundle / "scan.pdf")
    (bundle / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    (bundle / "zero.pdf").write_bytes(b"")
    build_pdf(bundle / "locked.pdf", [PageSpec().text(50, 50, "INVOICE")], encrypt="pw")
    build_pdf(bundle / "notes.pdf", [PageSpec().text(50, 50, "Minutes of the meeting held on Monday")])
    problems = {p.file: p.code for p in load_bundle(bundle).problems}
    assert problems == {
        "doc1.pdf": "duplicate",  # the first in name order (copy.pdf) is the one kept
        "photo.jpg": "unreadable",  # a PNG header with no image behind it (sniffed, not named)
        "scan.pdf": "unreadable",  # read by OCR now: drawings only, no text in them
        "broken.pdf": "unreadable",
        "zero.pdf": "empty",
        "locked.pdf": "encrypted",
        "notes.pdf": "unknown_type",
    }


def test_zip_bundle_and_presentation_date(tmp_path: Path, fake_swift: list[str]) -> None:
    folder = _bundle(tmp_path / "b")
    (folder / "presentation.json").write_text('{"presented_on": "2026-03-20"}')
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, path.name)
    presentation = load_bundle(archive)
    assert presentation.presented_on == dt.date(2026, 3, 20)
    assert len(presentation.documents) == 3 and "presentation.json" not in [
        f.file for f in presentation.files
    ]
    assert load_bundle(archive, presented_on=dt.date(2026, 3, 25)).presented_on == dt.date(2026, 3, 25)


def test_amendments_apply_in_order_of_26E(tmp_path: Path, fake_swift: list[str]) -> None:
    bundle = _bundle(tmp_path / "b")
    (bundle / "a.txt").write_text(_mt707(2))
    (bundle / "z.txt").write_text(_mt707(1))
    load_bundle(bundle)
    assert fake_swift == ["z.txt", "a.txt"]


def test_credit_printed_as_pdf(tmp_path: Path, fake_swift: list[str]) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    documents.printed_mt700(folder / "lc.pdf")
    documents.draft(folder / "d.pdf")
    presentation = load_bundle(folder)
    assert presentation.lc.file == "lc.pdf"
    assert [d.type for d in presentation.documents] == ["draft"]


def test_bundle_without_credit_is_an_input_error(tmp_path: Path, fake_swift: list[str]) -> None:
    folder = tmp_path / "nolc"
    folder.mkdir()
    documents.draft(folder / "d.pdf")
    with pytest.raises(InputError, match="no letter of credit"):
        load_bundle(folder)


def test_missing_bundle_and_bad_presentation_json(tmp_path: Path, fake_swift: list[str]) -> None:
    with pytest.raises(InputError, match="bundle not found"):
        load_bundle(tmp_path / "missing")
    bundle = _bundle(tmp_path / "b")
    (bundle / "presentation.json").write_text('{"presented_on": "20/03/2026"}')
    with pytest.raises(InputError, match=r"presentation.json: presented_on \"20/03/2026\" is not a date"):
        load_bundle(bundle)


def test_bad_mt700_names_the_file(tmp_path: Path, fake_swift: list[str]) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "lc.fin").write_text("{1:F01BKRTNL2AXXX0000000000}{4:\n:40A:IRREVOCABLE\n-}")
    with pytest.raises(InputError, match=r"^lc\.fin: field 20: field 20 missing"):
        load_bundle(folder)


def test_sniff_by_magic_bytes() -> None:
    assert sniff(b"%PDF-1.7 ...") == "pdf"
    assert sniff(b"\xff\xd8\xff\xe0....") == "jpeg"
    assert sniff(b"II*\x00....") == "tiff"
    assert sniff(b"{1:F01...") == "text"
    assert sniff(b"") == "empty"
    assert sniff(b"\x00\x01\x02\x03") == "unknown"

"""Page images for OCR: sniffing by content, size and page caps, multi-page TIFF, PDF rendering."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from extractors import images
from extractors.images import ImageInputError, crop_png, image_pages, render_pdf_pages, sniff_format
from tests.unit.pdf_samples import PageSpec, build_pdf, image_only_pdf


def _png_bytes(size: tuple[int, int] = (2400, 1600), dpi: tuple[int, int] | None = (300, 300)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("L", size, 255)
    if dpi:
        image.save(buffer, format="PNG", dpi=dpi)
    else:
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def _png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge image (a decompression bomb's first bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_sniff_by_magic_bytes_not_names() -> None:
    assert sniff_format(_png_bytes()) == "png"
    assert sniff_format(b"\xff\xd8\xff\xe0rest") == "jpeg"
    assert sniff_format(b"II*\x00rest") == "tiff" and sniff_format(b"MM\x00*rest") == "tiff"
    assert sniff_format(b"GIF89a....") == "gif"
    assert sniff_format(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_format(b"%PDF-1.7\n") == "pdf"
    assert sniff_format(b"") == "empty"
    assert sniff_format(b"\x00\x01\x02\x03\x04") == "unknown"


def test_png_named_jpg_is_read_as_png(tmp_path: Path) -> None:
    pages = image_pages(_png_bytes(), "photo.jpg", tmp_path)
    assert [(p.file, p.page, p.width_px, p.height_px) for p in pages] == [("photo.jpg", 1, 2400, 1600)]
    assert pages[0].points_per_pixel == pytest.approx(72 / 300)
    assert pages[0].path.is_file()


def test_missing_resolution_assumes_a_page_wide_image(tmp_path: Path) -> None:
    (page,) = image_pages(_png_bytes((1224, 1584), dpi=None), "scan.png", tmp_path)
    assert page.width_pt == pytest.approx(612.0)


def test_zero_byte_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError) as err:
        image_pages(b"", "empty.png", tmp_path)
    assert err.value.code == "empty" and "empty.png" in str(err.value)


def test_decompression_bomb_refused_from_the_header(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError) as err:
        image_pages(_png_header_claiming(100_000, 100_000), "bomb.png", tmp_path)
    assert err.value.code == "too_large"
    assert "bomb.png" in str(err.value) and "pixel" in str(err.value)


def test_pixel_cap_applies_per_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    image_pages(_png_bytes((100, 100)), "ok.png", tmp_path)
    with pytest.raises(ImageInputError) as err:
        image_pages(_png_bytes((101, 100)), "big.png", tmp_path)
    assert err.value.code == "too_large" and "101x100 = 10,100 pixels" in str(err.value)


def _tiff(pages: int) -> bytes:
    frames = [Image.new("L", (2000, 40), 255 - 20 * i) for i in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
    return buffer.getvalue()


def test_multi_page_tiff_gives_one_image_per_page(tmp_path: Path) -> None:
    pages = image_pages(_tiff(3), "scan.tif", tmp_path)
    assert [p.page for p in pages] == [1, 2, 3]
    assert len({p.path for p in pages}) == 3
    assert pages[2].points_per_pixel == pytest.approx(72 / 200)


def test_absurd_page_count_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PAGES", 2)
    with pytest.raises(ImageInputError) as err:
        image_pages(_tiff(3), "many.tif", tmp_path)
    assert err.value.code == "too_large" and "3 pages" in str(err.value)


def test_unsupported_and_truncated_images(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError) as err:
        image_pages(b"GIF89a" + b"\x00" * 40, "anim.gif", tmp_path)
    assert err.value.code == "unsupported_format" and "gif" in str(err.value)
    with pytest.raises(ImageInputError) as err:
        image_pages(_png_bytes()[:60], "cut.png", tmp_path)
    assert err.value.code == "unreadable" and "cut.png" in str(err.value)


def test_scanned_pdf_page_rendered_at_300_dpi_in_pdf_points(tmp_path: Path) -> None:
    pdf = image_only_pdf(tmp_path / "scan.pdf")
    (page,) = render_pdf_pages(pdf, "scan.pdf", [1], tmp_path)
    assert page.width_px == pytest.approx(595.28 * 300 / 72, abs=2)
    assert page.width_pt == pytest.approx(595.28, abs=0.5)
    with pytest.raises(ImageInputError) as err:
        render_pdf_pages(pdf, "scan.pdf", [2], tmp_path)
    assert err.value.page == 2 and "scan.pdf: page 2" in str(err.value)


def test_pdf_page_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = build_pdf(tmp_path / "two.pdf", [PageSpec().text(50, 50, "one"), PageSpec().text(50, 50, "two")])
    monkeypatch.setattr(images, "MAX_PAGES", 1)
    with pytest.raises(ImageInputError) as err:
        images.pdf_page_count(pdf, "two.pdf")
    assert err.value.code == "too_large"


def test_small_images_are_enlarged_for_ocr_keeping_page_points(tmp_path: Path) -> None:
    (page,) = image_pages(_png_bytes((800, 500), dpi=(100, 100)), "small.png", tmp_path)
    assert (page.width_px, page.height_px) == (2000, 1250)
    assert page.width_pt == pytest.approx(800 * 72 / 100)


def test_crop_for_the_reviewer(tmp_path: Path) -> None:
    (page,) = image_pages(_png_bytes((2400, 2400)), "p.png", tmp_path)
    data = crop_png(page.path, (72.0, 72.0, 96.0, 84.0), page.points_per_pixel, margin_pt=0)
    with Image.open(io.BytesIO(data)) as crop:
        assert crop.size == (101, 51)  # 24 x 12 points at 300 dpi, inclusive edges
    with pytest.raises(ValueError, match="outside the page"):
        crop_png(page.path, (700.0, 700.0, 710.0, 710.0), page.points_per_pixel, margin_pt=0)

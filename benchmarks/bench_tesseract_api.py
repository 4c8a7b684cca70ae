"""In-process Tesseract (extractors.tesseract_api) against the ``tesseract`` program, per image.

    .venv/bin/python -m benchmarks.bench_tesseract_api [--shared-data DIR] [--runs 3] [--crops 10]

For each page image of the shared data set (invoice2data's PNGs, the Mindee invoice and bill of
lading photos) it times, one OpenMP thread everywhere, median of ``--runs``:

  cli     ``tesseract IMG - --psm 6 tsv`` as a subprocess
  pytess  ``pytesseract.image_to_data(path, config="--psm 6")`` (what extractors/ocr.py runs)
  api     ``tesseract_api.image_to_data(path)`` on this thread's warm engine (decode included)
  crops   ``--crops`` strips of 600x60 px cut down the page, read with psm 7: one subprocess per
          crop (crop files written beforehand, not timed) against the warm engine

and whether the in-process rows equal the command's (words, boxes, confidences).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CROP = (600, 60)


def shared_data_dir() -> Path:
    env = os.environ.get("BLOCKTRADE_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def images(shared: Path) -> list[Path]:
    found = sorted((shared / "invoices" / "invoice2data").rglob("*.png"))
    found += [
        shared / "invoices" / "mindee" / "default_sample.jpg",
        shared / "trade_docs" / "bill_of_lading" / "mindee" / "default_sample.jpg",
    ]
    return [path for path in found if path.is_file()]


def median_seconds(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def command(path: Path, psm: int) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return subprocess.run(
        ["tesseract", str(path), "-", "--psm", str(psm), "tsv"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout


def command_rows(tsv: str) -> list[tuple]:
    rows = [line.split("\t") for line in tsv.rstrip("\n").split("\n")[1:]]
    return [(*row[:10], round(float(row[10]), 3), row[11] if len(row) > 11 else "") for row in rows]


def api_rows(data: dict[str, list]) -> list[tuple]:
    from extractors import tesseract_api

    return [
        (
            *(str(data[name][i]) for name in tesseract_api.TSV_COLUMNS[:10]),
            round(data["conf"][i], 3),
            data["text"][i],
        )
        for i in range(len(data["text"]))
    ]


def crop_boxes(width: int, height: int, count: int) -> list[tuple[int, int, int, int]]:
    """``count`` strips down the page, CROP-sized where the page allows."""
    w, h = min(CROP[0], width), min(CROP[1], height)
    left = max(0, min(width - w, width // 20))
    step = max(1, (height - h) // (count + 1))
    return [
        (left, min(height - h, (i + 1) * step), left + w, min(height - h, (i + 1) * step) + h)
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared-data", type=Path, default=shared_data_dir())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--crops", type=int, default=10)
    args = parser.parse_args()

    os.environ["OMP_THREAD_LIMIT"] = "1"  # before pytesseract's children and libtesseract load
    import pytesseract
    from PIL import Image

    from extractors import tesseract_api

    paths = images(args.shared_data)
    if not paths:
        raise SystemExit(f"no images under {args.shared_data}")
    warm = time.perf_counter()
    tesseract_api.available()
    print(f"engine init (eng): {1000 * (time.perf_counter() - warm):.0f} ms, once per thread\n")

    header = (
        f"{'image':<40} {'size':>10} {'cli':>7} {'pytess':>7} {'api':>7} {'x':>5}"
        f" {'crops cli':>10} {'crops api':>10} {'x':>5}  same as cli"
    )
    print(header)
    print("-" * len(header))
    totals = [0.0, 0.0, 0.0, 0.0, 0.0]
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            with Image.open(path) as opened:
                opened.load()
                page = opened
            tesseract_api.image_to_data(path)  # warm: first-page allocations are not the point
            cli = median_seconds(lambda p=path: command(p, 6), args.runs)
            pytess = median_seconds(
                lambda p=path: pytesseract.image_to_data(
                    str(p), config="--psm 6", output_type=pytesseract.Output.DICT
                ),
                args.runs,
            )
            api = median_seconds(lambda p=path: tesseract_api.image_to_data(p), args.runs)
            same = command_rows(command(path, 6)) == api_rows(tesseract_api.image_to_data(path))

            crops = [page.crop(box) for box in crop_boxes(*page.size, args.crops)]
            crop_files = []
            for i, crop in enumerate(crops):
                crop_path = Path(tmp) / f"{path.stem}-{i}.png"
                crop.save(crop_path, dpi=page.info.get("dpi", (300, 300)))
                crop_files.append(crop_path)
            crops_cli = median_seconds(lambda files=crop_files: [command(f, 7) for f in files], args.runs)
            crops_api = median_seconds(
                lambda cs=crops: [tesseract_api.image_to_data(c, psm=7) for c in cs], args.runs
            )
            crops_same = all(
                command_rows(command(f, 7)) == api_rows(tesseract_api.image_to_data(c, psm=7))
                for f, c in zip(crop_files, crops, strict=True)
            )
            for i, value in enumerate((cli, pytess, api, crops_cli, crops_api)):
                totals[i] += value
            name = f"{path.parent.parent.name}/{path.name}"  # invoice2data/oyo.png, bill_of_lading/...
            size = f"{page.width}x{page.height}"
            print(
                f"{name[-40:]:<40} {size:>10} {1000 * cli:>7.0f} {1000 * pytess:>7.0f} {1000 * api:>7.0f}"
                f" {cli / api:>5.2f} {1000 * crops_cli:>10.0f} {1000 * crops_api:>10.0f}"
                f" {crops_cli / crops_api:>5.1f}  page {'yes' if same else 'NO'}, crops {'yes' if crops_same else 'NO'}"
            )
    cli, pytess, api, crops_cli, crops_api = totals
    print("-" * len(header))
    print(
        f"{'total (ms)':<40} {'':>10} {1000 * cli:>7.0f} {1000 * pytess:>7.0f} {1000 * api:>7.0f}"
        f" {cli / api:>5.2f} {1000 * crops_cli:>10.0f} {1000 * crops_api:>10.0f} {crops_cli / crops_api:>5.1f}"
    )
    print(
        f"\nms, median of {args.runs}; x = cli time / api time; crops: {args.crops} strips of {CROP[0]}x{CROP[1]} px"
    )


if __name__ == "__main__":
    main()

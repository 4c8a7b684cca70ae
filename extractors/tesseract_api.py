"""Tesseract 5 in-process, through its C API (``libtesseract.so.5``) with ctypes.

Why not pytesseract: it runs the ``tesseract`` program for every call, and each run pays
~0.17 s to start and load the language model before reading anything. A page is read once and
then up to ~10 small crops are re-read alone, so much of the time was start-up. Here each
thread keeps one initialised engine per language and re-uses it, so a crop costs only its
recognition time.

What the results are meant to equal: ``tesseract FILE - --psm N tsv`` on the same image file.
A path is read by Leptonica, as the command reads it; a PIL image is handed over as the
Leptonica image the command would have read from its file (grey stays 8-bit grey, colour stays
RGB, transparency is flattened onto white). Either way the resolution is set on the image. So
words, boxes and confidences are the command's (tests/unit/test_tesseract_api.py compares them
row for row); the one known exception is a palette image passed in memory (see the tests).

Rules the binding keeps:

* one engine per thread and language (``threading.local``): a TessBaseAPI is not thread-safe,
  and ctypes releases the GIL during each call, so threads do read in parallel; the page
  segmentation mode is set before every call, so psm 6 pages and psm 7 crops share the model;
* an engine whose call failed or ran out of time is thrown away (``End`` + ``Delete``) and a
  fresh one made next time, since its state after an abandoned page is not promised;
* ``OMP_THREAD_LIMIT=1`` is set before the library (and with it libgomp) is loaded: libgomp
  reads it once, when it is loaded. Unlimited, 5.3 starts 4 OpenMP threads per engine, which
  on a 2-core machine made a page 4x slower, and the callers already run one page per core;
* the resolution is always given to Tesseract: raw pixels carry none, and Tesseract would
  print "Invalid resolution 0 dpi" and size its layout (and OSD) for 70 dpi.
"""

from __future__ import annotations

import atexit
import ctypes
import math
import os
import re
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

LIBRARY = "libtesseract.so.5"
LIBRARY_PACKAGE = "libtesseract5"
# Leptonica, Tesseract's image library (a dependency of libtesseract5): 1.82 in Debian 12 is
# liblept.so.5, later releases are libleptonica.so.6.
LEPTONICA = ("liblept.so.5", "libleptonica.so.6")
# Where Debian's tesseract-ocr-* packages put the models; TESSDATA_PREFIX overrides it as it
# does for the ``tesseract`` command.
TESSDATA = Path(os.environ.get("TESSDATA_PREFIX") or "/usr/share/tesseract-ocr/5/tessdata")
DEFAULT_DPI = 300
# Tesseract's credible range (kMinCredibleResolution..kMaxCredibleResolution in baseapi.cpp).
MIN_DPI, MAX_DPI = 70, 2400

TSV_COLUMNS = (
    "level",
    "page_num",
    "block_num",
    "par_num",
    "line_num",
    "word_num",
    "left",
    "top",
    "width",
    "height",
    "conf",
    "text",
)
_INT_COLUMNS = TSV_COLUMNS[:10]

PSM_OSD_ONLY = 0
_LANGUAGE = re.compile(r"^~?[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-]+)?$")  # "eng", "script/Latin"
# OrientationIdToValue in Tesseract: orientation id (text turned 0/90/180/270° counter-clockwise)
# -> clockwise degrees that make it upright, which ``tesseract --psm 0`` prints as "Rotate:".
_ROTATE_FOR_ORIENTATION = {0: 0, 1: 270, 2: 180, 3: 90}
_INT_MAX = 2**31 - 1


class TesseractUnavailable(Exception):
    """The Tesseract library or the language data asked for is not installed here."""


class TesseractTimeout(Exception):
    """Recognition did not finish within its time limit (the engine was discarded)."""


class TesseractFailed(Exception):
    """Tesseract reported an error for this image (the engine was discarded)."""


# --------------------------------------------------------------------------- the libraries

_load_lock = threading.Lock()
_tess: ctypes.CDLL | None = None
_lept: ctypes.CDLL | None = None
_inits = 0  # engines initialised in this process; tests check that warm engines are re-used


def _libgomp_loaded() -> bool:
    try:
        return "libgomp" in Path("/proc/self/maps").read_text()
    except OSError:
        return False


def _declare(lib: ctypes.CDLL, signatures: dict[str, tuple[Any, list[Any]]]) -> None:
    """Set result and argument types: without them ctypes passes pointers as 32-bit ints."""
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


_P, _INT, _STR, _FLOAT = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_float
_TESSERACT_API: dict[str, tuple[Any, list[Any]]] = {  # capi.h of Tesseract 5
    "TessBaseAPICreate": (_P, []),
    "TessBaseAPIDelete": (None, [_P]),
    "TessBaseAPIInit3": (_INT, [_P, _STR, _STR]),
    "TessBaseAPIEnd": (None, [_P]),
    "TessBaseAPISetVariable": (_INT, [_P, _STR, _STR]),
    "TessBaseAPISetPageSegMode": (None, [_P, _INT]),
    "TessBaseAPISetImage2": (None, [_P, _P]),
    "TessBaseAPIRecognize": (_INT, [_P, _P]),
    # a char* that must go back to TessDeleteText: a c_char_p result would lose the pointer
    "TessBaseAPIGetTsvText": (_P, [_P, _INT]),
    "TessDeleteText": (None, [_P]),
    "TessBaseAPIClear": (None, [_P]),
    "TessBaseAPIDetectOrientationScript": (
        _INT,
        [_P, ctypes.POINTER(_INT), ctypes.POINTER(_FLOAT), ctypes.POINTER(_STR), ctypes.POINTER(_FLOAT)],
    ),
    "TessMonitorCreate": (_P, []),
    "TessMonitorDelete": (None, [_P]),
    "TessMonitorSetDeadlineMSecs": (None, [_P, _INT]),
}
_LEPTONICA_API: dict[str, tuple[Any, list[Any]]] = {  # allheaders.h of Leptonica
    "pixRead": (_P, [_STR]),
    "pixGetYRes": (_INT, [_P]),
    "pixCreate": (_P, [_INT, _INT, _INT]),
    "pixDestroy": (None, [ctypes.POINTER(_P)]),
    "pixGetData": (_P, [_P]),
    "pixGetWpl": (_INT, [_P]),
    "pixEndianByteSwap": (_INT, [_P]),
    "pixInvert": (_P, [_P, _P]),
    "pixSetResolution": (_INT, [_P, _INT, _INT]),
}


def _library() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    """libtesseract and Leptonica, loaded on first use with OpenMP limited to one thread."""
    global _tess, _lept
    if _tess is not None and _lept is not None:
        return _tess, _lept
    with _load_lock:
        if _tess is None or _lept is None:
            if os.environ.get("OMP_THREAD_LIMIT") != "1" and _libgomp_loaded():
                # something else loaded libgomp, which read its environment then: too late
                warnings.warn(
                    "libgomp was loaded before extractors.tesseract_api set OMP_THREAD_LIMIT=1: "
                    "Tesseract may run several OpenMP threads per engine",
                    RuntimeWarning,
                    stacklevel=3,
                )
            os.environ["OMP_THREAD_LIMIT"] = "1"
            try:
                tess = ctypes.CDLL(LIBRARY)
                _declare(tess, _TESSERACT_API)
            except (OSError, AttributeError) as exc:
                raise TesseractUnavailable(
                    f"{LIBRARY} not found (Debian package {LIBRARY_PACKAGE}): {exc}"
                ) from None
            lept = None
            for name in LEPTONICA:
                try:
                    lept = ctypes.CDLL(name)
                    _declare(lept, _LEPTONICA_API)
                    break
                except (OSError, AttributeError):
                    lept = None
            if lept is None:
                raise TesseractUnavailable(f"Leptonica ({' or '.join(LEPTONICA)}) not found")
            _tess, _lept = tess, lept
    return _tess, _lept


# --------------------------------------------------------------------------- engines


class _Engine:
    """One initialised TessBaseAPI for one language, used by one thread only."""

    def __init__(self, tess: ctypes.CDLL, lang: str):
        global _inits
        self.lang = lang
        self.busy = False
        handle = tess.TessBaseAPICreate()
        if not handle:
            raise MemoryError("TessBaseAPICreate failed")
        if tess.TessBaseAPIInit3(handle, os.fsencode(TESSDATA), lang.encode()) != 0:
            tess.TessBaseAPIDelete(handle)
            raise TesseractUnavailable(f"Tesseract could not load language {lang!r} from {TESSDATA}")
        # Tesseract's debug dumps ("Bottom=0, top=60 ... Total count=0" on some one-line crops)
        # would fill a user's terminal; the command hides nothing either, pytesseract did
        tess.TessBaseAPISetVariable(handle, b"debug_file", os.fsencode(os.devnull))
        self.handle: int = handle
        with _registry_lock:
            _inits += 1
            _registry.add(self)
        # Free the engine (~20 MB for eng) when its thread ends and the thread-local cache goes.
        # Not through the finalizer at interpreter exit: _end_idle_engines does that.
        self._finalizer = weakref.finalize(self, _free_engine, tess, handle)
        self._finalizer.atexit = False

    def close(self) -> None:
        # detach and call, not finalizer(): once weakref's own exit hook has run, calling a
        # finalizer does nothing, and _end_idle_engines runs after that hook
        detached = self._finalizer.detach()
        if detached is not None:
            _, free, args, _ = detached
            free(*args)


def _free_engine(tess: ctypes.CDLL, handle: int) -> None:
    tess.TessBaseAPIEnd(handle)
    tess.TessBaseAPIDelete(handle)


_registry: weakref.WeakSet[_Engine] = weakref.WeakSet()
_registry_lock = threading.Lock()
_shutting_down = False
_local = threading.local()


def _after_fork_in_child() -> None:
    # a lock another thread held at fork() stays held forever in the child: start afresh
    global _load_lock, _registry_lock
    _load_lock = threading.Lock()
    _registry_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def _end_idle_engines() -> None:
    """End the engines at exit: Tesseract's model cache prints "WARNING! LEAK!" for each one left.

    An engine a daemon thread is still inside is left alone (freeing it would crash that thread).
    """
    global _shutting_down
    with _registry_lock:
        _shutting_down = True
        idle = [engine for engine in _registry if not engine.busy]
    for engine in idle:
        engine.close()


def _check_language(lang: str) -> None:
    """Name the missing model, rather than let Tesseract print "Error opening data file"."""
    if not TESSDATA.is_dir():
        raise TesseractUnavailable(
            f"Tesseract language data folder {TESSDATA} not found (Debian package tesseract-ocr)"
        )
    for part in lang.split("+"):
        name = part.lstrip("~")
        if not _LANGUAGE.match(part):
            raise TesseractUnavailable(
                f"language data {part!r} not installed in {TESSDATA} (not a language name)"
            )
        if not (TESSDATA / f"{name}.traineddata").is_file():
            raise TesseractUnavailable(
                f"language data {name!r} not installed in {TESSDATA} (Debian package tesseract-ocr-{name})"
            )


def _engine(lang: str) -> _Engine:
    """This thread's warm engine for ``lang``, initialised on first use."""
    engines: dict[str, _Engine] | None = getattr(_local, "engines", None)
    if engines is None:
        engines = _local.engines = {}
    engine = engines.get(lang)
    if engine is None:
        tess, _ = _library()
        _check_language(lang)
        engine = engines[lang] = _Engine(tess, lang)
    return engine


def _discard(engine: _Engine) -> None:
    engines: dict[str, _Engine] = getattr(_local, "engines", {})
    if engines.get(engine.lang) is engine:
        del engines[engine.lang]
    engine.close()


@contextmanager
def _using(lang: str) -> Iterator[_Engine]:
    """This thread's engine for ``lang`` for one image; thrown away if anything goes wrong."""
    engine = _engine(lang)
    with _registry_lock:
        if _shutting_down:
            raise TesseractUnavailable("Tesseract engines are closed: the interpreter is exiting")
        engine.busy = True
    try:
        yield engine
    except BaseException:
        engine.busy = False
        _discard(engine)
        raise
    engine.busy = False


def available() -> bool:
    """Whether the library loads and reads English; keeps that engine warm for this thread."""
    try:
        _engine("eng")
    except TesseractUnavailable:
        return False
    return True


# --------------------------------------------------------------------------- images


def _resolution(image: Image.Image, dpi: int | None) -> int:
    """``dpi`` if given, else the image's (rounded as Leptonica does), else 300.

    The vertical resolution, the one Tesseract uses.
    """
    found = image.info.get("dpi")
    try:
        value = round(float(found[1] if isinstance(found, tuple | list) else found))
    except (TypeError, ValueError, IndexError, OverflowError):
        value = 0
    return _choose_dpi(dpi, value)


def _choose_dpi(dpi: int | None, found: int) -> int:
    """A file resolution outside Tesseract's credible range counts as missing (the command
    would warn and assume 70 dpi instead)."""
    if dpi is not None:
        if not MIN_DPI <= dpi <= MAX_DPI:
            raise ValueError(f"dpi {dpi} outside Tesseract's range {MIN_DPI}..{MAX_DPI}")
        return int(dpi)
    return found if MIN_DPI <= found <= MAX_DPI else DEFAULT_DPI


def _as_leptonica_reads(image: Image.Image) -> Image.Image:
    """The image in the mode ("1", "L" or "RGB") Leptonica would have read from its file.

    It matters: Tesseract thresholds colour per channel and greys it with its own weights, so
    colour turned grey here would read (slightly) differently from the command.
    """
    from PIL import Image

    mode = image.mode
    if mode in ("1", "L", "RGB"):
        return image
    if mode == "P" and "transparency" not in image.info:
        # a palette without colour becomes grey, as Tesseract's pixRemoveColormap does
        palette = image.getpalette() or []
        used = [index for index, count in enumerate(image.histogram()) if count]
        grey = all(
            palette[3 * i] == palette[3 * i + 1] == palette[3 * i + 2]
            for i in used
            if 3 * i + 2 < len(palette)
        )
        return image.convert("L" if grey else "RGB")
    if mode.startswith("I;16") or mode == "I":
        # 16-bit grey: Leptonica keeps the high byte (PIL's convert("L") would clip instead)
        wide = image.convert("I")
        return wide.point(lambda v: v / 256, "L") if wide.getextrema()[1] > 255 else wide.convert("L")
    if "A" in mode or "a" in mode or mode == "P" or "transparency" in image.info:
        # Tesseract flattens a PNG's alpha onto white (pixRemoveAlpha)
        rgba = image.convert("RGBA")
        flat = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
        return flat.convert("L") if mode in ("LA", "La") else flat
    return image.convert("RGB")


def _open(image: Image.Image | str | os.PathLike[str]) -> Image.Image:
    from PIL import Image

    if isinstance(image, str | os.PathLike):
        with Image.open(image) as opened:
            opened.load()
            return opened
    return image


def _pix(lept: ctypes.CDLL, image: Image.Image, dpi: int) -> int:
    """A Leptonica Pix of ``image`` with its resolution set; the caller destroys it.

    A Pix rather than TessBaseAPISetImage's raw bytes because a raw image has no resolution
    of its own: SetSourceResolution fixes recognition, but orientation detection reads the
    resolution from the image and would warn and assume 70 dpi.
    """
    ready = _as_leptonica_reads(image)
    width, height = ready.size
    if width < 1 or height < 1:
        raise ValueError(f"empty image ({width}x{height})")
    depth = {"1": 1, "L": 8, "RGB": 32}[ready.mode]
    # Leptonica keeps pixels in native 32-bit words, the first pixel in the high byte; its
    # RGB pixel is the word 0xRRGGBB00, which PIL packs directly on a little-endian machine
    swap = depth != 32
    if depth == 32:
        raw = ready.tobytes("raw", "XBGR" if sys.byteorder == "little" else "RGBX")
    else:
        raw = ready.tobytes()
    pix = lept.pixCreate(width, height, depth)
    if not pix:
        raise MemoryError(f"pixCreate({width}, {height}, {depth}) failed")
    try:
        row = len(raw) // height
        stride = lept.pixGetWpl(pix) * 4  # rows are padded to 32-bit words
        data = lept.pixGetData(pix)
        if row == stride:
            ctypes.memmove(data, raw, len(raw))
        else:
            source = ctypes.cast(ctypes.c_char_p(raw), ctypes.c_void_p).value or 0
            for y in range(height):
                ctypes.memmove(data + y * stride, source + y * row, row)
        if swap:  # bytes in pixel order -> words (no-op on a big-endian machine)
            lept.pixEndianByteSwap(pix)
        if depth == 1:  # PIL's set bit is white, Leptonica's black
            lept.pixInvert(pix, pix)
        lept.pixSetResolution(pix, dpi, dpi)
    except BaseException:
        _destroy_pix(lept, pix)
        raise
    return pix


def _destroy_pix(lept: ctypes.CDLL, pix: int) -> None:
    lept.pixDestroy(ctypes.byref(ctypes.c_void_p(pix)))


def _read_file(lept: ctypes.CDLL, path: str | os.PathLike[str], dpi: int | None) -> int:
    """The file as Leptonica reads it for the ``tesseract`` command, or 0 if it cannot."""
    pix = lept.pixRead(os.fsencode(path))
    if pix:
        found = lept.pixGetYRes(pix)
        try:
            wanted = _choose_dpi(dpi, found)
        except ValueError:
            _destroy_pix(lept, pix)
            raise
        if wanted != found:
            lept.pixSetResolution(pix, wanted, wanted)
    return pix or 0


@contextmanager
def _prepared(image: Image.Image | str | os.PathLike[str], dpi: int | None) -> Iterator[int]:
    """The image as a Pix for TessBaseAPISetImage2 (which copies it), destroyed afterwards.

    A file is read by Leptonica, as the command reads it (same decoders; a palette or alpha
    is left to Tesseract, as for the command), PIL only reads what Leptonica cannot. Made
    before an engine is taken, so that a bad image or dpi does not cost the engine.
    """
    _, lept = _library()
    pix = _read_file(lept, image, dpi) if isinstance(image, str | os.PathLike) else 0
    if not pix:
        picture = _open(image)
        pix = _pix(lept, picture, _resolution(picture, dpi))
    try:
        yield pix
    finally:
        _destroy_pix(lept, pix)


# --------------------------------------------------------------------------- results


def _parse_tsv(text: str) -> dict[str, list]:
    """GetTsvText's rows (it writes no header line) as pytesseract's ``Output.DICT``.

    Confidences stay floats (pytesseract truncates them to ints).
    """
    result: dict[str, list] = {name: [] for name in TSV_COLUMNS}
    ints = [result[name] for name in _INT_COLUMNS]
    confs, texts = result["conf"], result["text"]
    for line in text.split("\n"):
        if not line:
            continue
        cells = line.split("\t", 11)
        if len(cells) < 11:
            raise TesseractFailed(f"unexpected TSV row from Tesseract: {line!r}")
        for column, cell in zip(ints, cells, strict=False):
            column.append(int(cell))
        # std::to_string writes the confidence with the C library's LC_NUMERIC decimal point
        confs.append(float(cells[10].replace(",", ".")))
        texts.append(cells[11] if len(cells) > 11 else "")
    return result


def _deadline_ms(timeout_s: float) -> int:
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be positive, not {timeout_s}")
    return min(_INT_MAX, max(1, math.ceil(timeout_s * 1000)))


# --------------------------------------------------------------------------- public calls


def image_to_data(
    image: Image.Image | str | os.PathLike[str],
    *,
    lang: str = "eng",
    psm: int = 6,
    timeout_s: float = 90.0,
    dpi: int | None = None,
) -> dict[str, list]:
    """Words of ``image`` with boxes and confidences, as pytesseract.image_to_data gives them.

    ``image``: a PIL image (any mode) or a path. Returns pytesseract's ``Output.DICT`` shape:
    level, page_num, block_num, par_num, line_num, word_num, left, top, width, height (ints),
    conf (float, -1 for rows that are not words), text (str; words read as "" stay, as in
    pytesseract). The resolution is ``dpi``, else the image's ``info["dpi"]``, else 300.

    Raises TesseractUnavailable, TesseractFailed, and TesseractTimeout after about
    ``timeout_s``: recognition stops at the next word once the deadline has passed, but page
    layout analysis before it (~0.3-0.9 s on a full page here) cannot be interrupted.
    """
    deadline_ms = _deadline_ms(timeout_s)
    if not 1 <= psm <= 13:  # 0 is orientation only: detect_orientation
        raise ValueError(f"psm must be 1..13, not {psm}")
    tess, _ = _library()
    with _prepared(image, dpi) as pix, _using(lang) as engine:
        handle = engine.handle
        tess.TessBaseAPISetPageSegMode(handle, psm)
        tess.TessBaseAPISetImage2(handle, pix)
        monitor = tess.TessMonitorCreate()
        try:
            started = time.monotonic()
            tess.TessMonitorSetDeadlineMSecs(monitor, deadline_ms)
            status = tess.TessBaseAPIRecognize(handle, monitor)
        finally:
            tess.TessMonitorDelete(monitor)
        if status < 0:
            # -1 both for a passed deadline and for an error: the clock tells them apart
            # (time.monotonic and the deadline's std::chrono::steady_clock are CLOCK_MONOTONIC)
            if time.monotonic() - started >= deadline_ms / 1000:
                raise TesseractTimeout(f"Tesseract did not finish within {timeout_s:g} s")
            raise TesseractFailed(f"Tesseract could not recognise the image (status {status})")
        raw = tess.TessBaseAPIGetTsvText(handle, 0)
        if not raw:
            raise TesseractFailed("Tesseract returned no TSV text")
        try:
            tsv = ctypes.string_at(raw).decode("utf-8", errors="replace")
        finally:
            tess.TessDeleteText(raw)
        tess.TessBaseAPIClear(handle)  # drop the page's image and results, keep the model
    return _parse_tsv(tsv)


def detect_orientation(
    image: Image.Image | str | os.PathLike[str], *, timeout_s: float = 90.0, dpi: int | None = None
) -> int | None:
    """Clockwise degrees (0, 90, 180, 270) that turn the page upright; None when OSD cannot tell.

    The "Rotate:" of ``tesseract FILE - --psm 0`` (orientation and script detection with the
    "osd" model); None where the command says "Too few characters". The C API takes no
    deadline for OSD, so it cannot be interrupted: a call that overran ``timeout_s`` raises
    TesseractTimeout afterwards, so that callers keep one time budget per page.
    """
    _deadline_ms(timeout_s)
    tess, _ = _library()
    degrees, degrees_conf = ctypes.c_int(0), ctypes.c_float(0.0)
    script, script_conf = ctypes.c_char_p(), ctypes.c_float(0.0)
    with _prepared(image, dpi) as pix, _using("osd") as engine:
        handle = engine.handle
        tess.TessBaseAPISetPageSegMode(handle, PSM_OSD_ONLY)
        tess.TessBaseAPISetImage2(handle, pix)
        started = time.monotonic()
        found = tess.TessBaseAPIDetectOrientationScript(
            handle,
            ctypes.byref(degrees),
            ctypes.byref(degrees_conf),
            ctypes.byref(script),
            ctypes.byref(script_conf),
        )
        if time.monotonic() - started > timeout_s:
            raise TesseractTimeout(f"Tesseract orientation detection took more than {timeout_s:g} s")
        tess.TessBaseAPIClear(handle)
    if not found:
        return None
    return _ROTATE_FOR_ORIENTATION.get(degrees.value // 90 % 4)

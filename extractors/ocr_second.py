"""A second OCR engine's reading of one cut-out word or line, to confirm or correct Tesseract.

Tesseract's word confidence falls where an O meets a 0 ("CO26107099" at 0.58 with every
character at 0.94 or better), and re-reading with Tesseract itself at other scales flips the
same characters back and forth: one engine cannot settle its own doubt. A recogniser trained
differently can. This one is PaddleOCR's PP-OCRv4 text-line recogniser (an SVTR network with
CTC output, Apache-2.0), run with onnxruntime on the model file that the
``rapidocr-onnxruntime`` package ships; only the recogniser is used, on boxes Tesseract found.

The network takes a line image 48 px high, normalised to [-1, 1] on three channels, and gives
for each column step a probability over its character set (index 0 is CTC's blank). The
reading is the best character of each step, repeats and blanks removed; each kept character
keeps its probability, so a caller can ask how sure the least sure character is.

If onnxruntime or the model file is missing, ``read_line`` returns None and callers keep
Tesseract's reading with its doubt: a value nobody confirmed still goes to a person.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

MODEL_PACKAGE = "rapidocr_onnxruntime"
MODEL_FILE = ("models", "ch_PP-OCRv4_rec_infer.onnx")
LINE_HEIGHT_PX = 48
# Wider than this (in model pixels) a cut-out is not one word or short run: left to Tesseract.
MAX_WIDTH_PX = 1600


@dataclass(frozen=True)
class SecondReading:
    text: str  # as read, spaces inside kept, stripped at the ends
    probabilities: tuple[float, ...]  # one per character of ``text``

    @property
    def mean(self) -> float:
        return sum(self.probabilities) / len(self.probabilities) if self.probabilities else 0.0

    @property
    def least(self) -> float:
        return min(self.probabilities, default=0.0)

    def without_stray_edges(self) -> SecondReading:
        """Without a lone character set apart by a space at either end: a piece of a
        neighbour's ink at the cut-out's edge (": 01-Jul-2026")."""
        text, probabilities = self.text, self.probabilities
        if len(text) > 2 and text[1] == " ":
            text, probabilities = text[2:], probabilities[2:]
        if len(text) > 2 and text[-2] == " ":
            text, probabilities = text[:-2], probabilities[:-2]
        return self if text == self.text else SecondReading(text, probabilities)

    def same_characters(self, other: SecondReading | None) -> bool:
        """Whether ``other`` (this word read stretched) has as many characters, each alike or
        a lookalike. Stretching gives CTC more steps a character, so a doubled one cannot have
        run together; it also distorts widths, the very cue between O and 0, so those may
        differ."""
        if other is None:
            return False
        first, second = self.text.replace(" ", ""), other.text.replace(" ", "")
        return len(first) == len(second) and all(
            a == b or lookalike(a, b) for a, b in zip(first, second, strict=True)
        )


# The model's character set is Chinese and English: its wide and typographic marks stand for
# the plain ones a Latin-script document prints ("40′" for "40'").
_ASCII_MARKS = {
    **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},  # full-width forms
    "′": "'",
    "’": "'",
    "‘": "'",
    "″": '"',
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "　": " ",
}


class _Recogniser:
    def __init__(self, model: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # one thread: pages already run one per core in the process pool
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        characters = self.session.get_modelmeta().custom_metadata_map["character"].splitlines()
        # CTC blank first; the model's last class is a space; wide and typographic marks are
        # read as the plain ones, and a mark's probability is that of all its forms together
        self.characters = [_ASCII_MARKS.get(ch, ch) for ch in ["", *characters, " "]]
        forms: dict[str, list[int]] = {}
        for index, ch in enumerate(self.characters):
            forms.setdefault(ch, []).append(index)
        self.other_forms = {i: group for group in forms.values() if len(group) > 1 for i in group}

    def read(self, image, stretch: float = 1.0) -> SecondReading:  # image: PIL image, mode "L"
        import numpy
        from PIL import Image

        width = max(1, round(stretch * LINE_HEIGHT_PX * image.width / max(1, image.height)))
        if width > MAX_WIDTH_PX:
            return SecondReading("", ())
        line = image.resize((width, LINE_HEIGHT_PX), Image.BILINEAR)
        pixels = numpy.asarray(line, dtype=numpy.float32) / 127.5 - 1.0
        batch = numpy.broadcast_to(pixels, (1, 3, *pixels.shape)).copy()
        steps = self.session.run(None, {self.input_name: batch})[0][0]
        best = steps.argmax(axis=1)
        probability = steps.max(axis=1)
        kept: list[tuple[str, float]] = []
        previous = ""  # the blank; two forms of one mark in a row are one character
        for step, (index, p) in enumerate(zip(best.tolist(), probability.tolist(), strict=True)):
            character = self.characters[index]
            if character and character != previous:
                if index in self.other_forms:
                    p = float(steps[step, self.other_forms[index]].sum())
                kept.append((character, p))
            previous = character
        text = "".join(ch for ch, _ in kept)
        # the end spaces are the neighbours' ink at the cut-out's edge, not part of the word
        stripped = text.strip()
        start = len(text) - len(text.lstrip())
        return SecondReading(stripped, tuple(p for _, p in kept[start : start + len(stripped)]))


_lock = threading.Lock()
_loaded: dict[str, _Recogniser | None] = {}


def model_path() -> Path | None:
    """Where the recogniser's model file is, or None when it is not installed."""
    override = os.environ.get("BLOCKTRADE_OCR_SECOND_MODEL")
    if override:
        return Path(override) if Path(override).is_file() else None
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # found without importing it (and OpenCV)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), *MODEL_FILE)
    return path if path.is_file() else None


def _recogniser() -> _Recogniser | None:
    with _lock:
        if "model" not in _loaded:
            path = model_path()
            try:
                _loaded["model"] = _Recogniser(path) if path is not None else None
                problem = None if path is not None else "its model file is not installed"
            except (ImportError, OSError, RuntimeError, KeyError) as exc:
                _loaded["model"], problem = None, f"{type(exc).__name__}: {exc}"
            if problem:
                # no second opinion: Tesseract's doubts stand, so more values go to a person
                logging.getLogger(__name__).warning("second OCR engine unavailable (%s)", problem)
        return _loaded["model"]


def is_available() -> bool:
    return _recogniser() is not None


def read_line(image, stretch: float = 1.0) -> SecondReading | None:
    """The second engine's reading of a cut-out (PIL image, mode "L"), or None without one.

    ``stretch`` widens the line before it is read: more column steps per character, so a
    doubled character ("00") cannot merge into one by CTC's collapsing of repeats."""
    recogniser = _recogniser()
    if recogniser is None or image.width < 2 or image.height < 2:
        return None
    return recogniser.read(image, stretch)


# Characters a scan (or an engine) confuses with each other; a difference between two readings
# made only of these is a matter of shape, which the surer engine settles.
LOOKALIKES = ("O0Qo", "Il1|!i", "S5$s", "B8", "Z2z", "G6")
_CLASS = {ch: n for n, group in enumerate(LOOKALIKES) for ch in group}
PUNCTUATION = " .,:;'\"`()[]{}/\\-_~"


@dataclass(frozen=True)
class Difference:
    """How a second reading differs from the first, character by character."""

    shape_only: bool  # every difference is a lookalike, a stray mark or a space
    positions: tuple[int, ...]  # indices in the second reading next to or at each difference


def lookalike(a: str, b: str) -> bool:
    return a in _CLASS and _CLASS[a] == _CLASS.get(b)


def compare(first: str, second: str) -> Difference:
    """Align ``first`` (Tesseract's) with ``second`` (this engine's) at least cost: a lookalike
    swapped, a mark or space added or dropped, or an extra character in ``first`` lookalike to
    its neighbour ("LO0" for "L0", "L2Z" for "LZ") cost 1; any other change costs ``_OTHER``."""
    rows, cols = len(first) + 1, len(second) + 1
    cost = [[0] * cols for _ in range(rows)]
    for i in range(1, rows):
        cost[i][0] = cost[i - 1][0] + _drop_cost(first, i - 1)
    for j in range(1, cols):
        cost[0][j] = cost[0][j - 1] + _add_cost(second[j - 1])
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i][j] = min(
                cost[i - 1][j - 1] + _swap_cost(first[i - 1], second[j - 1]),
                cost[i - 1][j] + _drop_cost(first, i - 1),
                cost[i][j - 1] + _add_cost(second[j - 1]),
            )
    # walk back for the positions of the second reading that differ or sit beside a drop
    positions: set[int] = set()
    i, j = rows - 1, cols - 1
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            swap = _swap_cost(first[i - 1], second[j - 1])
            if cost[i][j] == cost[i - 1][j - 1] + swap:
                if swap:
                    positions.add(j - 1)
                i, j = i - 1, j - 1
                continue
        if i > 0 and cost[i][j] == cost[i - 1][j] + _drop_cost(first, i - 1):
            positions.update(p for p in (j - 1, j) if 0 <= p < len(second))
            i -= 1
            continue
        positions.add(j - 1)
        j -= 1
    return Difference(shape_only=cost[rows - 1][cols - 1] < _OTHER, positions=tuple(sorted(positions)))


_OTHER = 10  # the cost of a change that is not a matter of shape


def _swap_cost(a: str, b: str) -> int:
    return 0 if a == b else 1 if lookalike(a, b) else _OTHER


def _add_cost(ch: str) -> int:
    return 1 if ch in PUNCTUATION else _OTHER


def _drop_cost(text: str, index: int) -> int:
    ch = text[index]
    if ch in PUNCTUATION:
        return 1
    beside = [text[k] for k in (index - 1, index + 1) if 0 <= k < len(text)]
    # never a repeat ("00" for "0"): that is the difference a collapsed read would make
    return 1 if any(lookalike(ch, b) and ch != b for b in beside) else _OTHER

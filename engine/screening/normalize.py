"""Name normalisation for screening: one canonical form for every way a name is written.

Steps, in order: refuse what is not a name (empty, absurdly long, control characters);
Unicode NFKC; transliterate any script to Latin (Unidecode covers Cyrillic, Greek,
Arabic, Hebrew, CJK, ...); upper case; join dotted abbreviations ("S.A." -> "SA") and
apostrophes ("NU'MAN" -> "NUMAN"); every other non-alphanumeric character becomes a
space; multi-word legal forms collapse to one token ("LIMITED LIABILITY COMPANY" -> LLC);
legal forms and stopwords are set aside (they say little about who a party is).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from unidecode import unidecode

MAX_NAME_CHARS = 400  # the longest SDN name is ~230 characters; beyond this is not a name


class NameError_(ValueError):
    """A query that is not a screenable name (empty, too long, control characters)."""


# Multi-word legal forms, matched on the folded text (word boundaries), longest first.
_LEGAL_PHRASES: tuple[tuple[str, str], ...] = (
    ("OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU", "OOO"),
    ("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTIU", "OOO"),
    ("PUBLICHNOE AKTSIONERNOE OBSHCHESTVO", "PAO"),
    ("ZAKRYTOE AKTSIONERNOE OBSHCHESTVO", "ZAO"),
    ("OTKRYTOE AKTSIONERNOE OBSHCHESTVO", "OAO"),
    ("AKTSIONERNOE OBSHCHESTVO", "AO"),
    ("GESELLSCHAFT MIT BESCHRANKTER HAFTUNG", "GMBH"),
    ("PUBLIC JOINT STOCK COMPANY", "PJSC"),
    ("CLOSED JOINT STOCK COMPANY", "CJSC"),
    ("OPEN JOINT STOCK COMPANY", "OJSC"),
    ("JOINT STOCK COMPANY", "JSC"),
    ("LIMITED LIABILITY COMPANY", "LLC"),
    ("LIMITED LIABILITY PARTNERSHIP", "LLP"),
    ("PUBLIC LIMITED COMPANY", "PLC"),
    ("PRIVATE LIMITED", "LTD"),
    ("FREE ZONE ESTABLISHMENT", "FZE"),
    ("FREE ZONE COMPANY", "FZCO"),
    ("SOCIEDAD ANONIMA", "SA"),
    ("SOCIETE ANONYME", "SA"),
    ("SA DE CV", "SA CV"),
    ("S DE RL", "SRL"),
    ("DE CV", "CV"),
)

# Single-token legal forms, with their canonical spelling.
LEGAL_FORMS: dict[str, str] = {
    form: form
    for form in ["LTD", "LLC", "LLP", "LP", "INC", "CORP", "CO", "PLC", "GMBH", "AG", "KG", "OHG", "SA", "SAS", "SARL", "SRL", "SPA", "BV", "NV", "OY", "AB", "ASA", "OOO", "ZAO", "OAO", "PAO", "AO", "PJSC", "OJSC", "CJSC", "JSC", "TOO", "FZE", "FZCO", "FZC", "FZ", "DMCC", "PTE", "PVT", "PTY", "BHD", "KFT", "DOO", "EOOD", "OOD", "SE", "CV", "SAC", "EIRL", "LDA", "SPRL", "AS", "APS", "GIE", "KK", "YK", "TBK"]
}
LEGAL_FORMS.update(
    {
        "LIMITED": "LTD",
        "COMPANY": "CO",
        "CORPORATION": "CORP",
        "INCORPORATED": "INC",
        "AKTIENGESELLSCHAFT": "AG",
        "SPZOO": "SPZOO",
    }
)

STOPWORDS: frozenset[str] = frozenset(["THE", "OF", "AND", "FOR", "DE", "DEL", "DES", "DU", "LA", "LE", "LES", "Y", "ET", "UND", "AT", "IN"])

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DOTTED_LETTER = re.compile(r"\b([A-Z])\.")
_APOSTROPHES = re.compile(r"['`´’‘ʼʻ]")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_PHRASES = [
    (phrase.split()[0], re.compile(rf"\b{re.escape(phrase)}\b"), short) for phrase, short in _LEGAL_PHRASES
]


def check_name(name: object, *, what: str = "name") -> str:
    """Return ``name`` stripped, or raise ``NameError_`` saying why it cannot be screened."""
    if not isinstance(name, str):
        raise NameError_(f"{what} must be a string, got {type(name).__name__}")
    bad = _CONTROL.search(name)
    if bad:
        raise NameError_(f"{what} contains a control character U+{ord(bad.group()):04X} at position {bad.start()}")
    stripped = name.replace("\t", " ").strip()
    if not stripped:
        raise NameError_(f"{what} is empty")
    if len(stripped) > MAX_NAME_CHARS:
        raise NameError_(f"{what} is {len(stripped)} characters long; the limit is {MAX_NAME_CHARS}")
    if not fold(stripped):
        raise NameError_(f"{what} {stripped!r} has no letters or digits")
    return stripped


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Upper-case Latin letters and digits separated by single spaces; any script transliterated."""
    text = unicodedata.normalize("NFKC", text)
    text = unidecode(text).upper()
    text = _APOSTROPHES.sub("", text)
    text = _DOTTED_LETTER.sub(r"\1", text)
    text = text.replace("&", " AND ")
    text = _NON_ALNUM.sub(" ", text).strip()
    for first_word, pattern, short in _PHRASES:
        if first_word in text:  # a cheap test first: most names hold no legal phrase
            text = pattern.sub(short, text)
    return text


@dataclass(frozen=True, slots=True)
class NormalizedName:
    """A name ready for matching: significant tokens, set-aside legal forms, compact forms."""

    original: str
    folded: str
    tokens: tuple[str, ...]  # significant tokens in written order
    legal_forms: tuple[str, ...]

    @property
    def compact(self) -> str:
        return "".join(self.tokens)

    @property
    def compact_sorted(self) -> str:
        return "".join(sorted(self.tokens))


@lru_cache(maxsize=131072)
def normalize_name(name: str) -> NormalizedName:
    """Normalise a name. When a name is nothing but legal forms and stopwords ("THE COMPANY"),
    those words are kept as its tokens, so it still has something to match on."""
    folded = fold(name)
    words = folded.split()
    tokens: list[str] = []
    legal: list[str] = []
    for word in words:
        if word in LEGAL_FORMS:
            legal.append(LEGAL_FORMS[word])
        elif word not in STOPWORDS:
            tokens.append(word)
    if not tokens:
        tokens = words
    return NormalizedName(original=name, folded=folded, tokens=tuple(tokens), legal_forms=tuple(legal))


# --------------------------------------------------------------------------- phonetic key

_PHONETIC_REWRITES: tuple[tuple[str, str], ...] = (
    ("DZH", "J"),
    ("TCH", "CH"),
    ("SCH", "SH"),
    ("DJ", "J"),
    ("ZH", "J"),
    ("KH", "H"),
    ("GH", "G"),
    ("PH", "F"),
    ("TH", "T"),
    ("DH", "D"),
    ("CK", "K"),
    ("CH", "X"),
    ("SH", "X"),
    ("Q", "K"),
    ("C", "K"),
    ("Z", "S"),
    ("W", "V"),
)
_VOWELS = frozenset("AEIOUY")


@lru_cache(maxsize=131072)
def phonetic_key(token: str) -> str:
    """A consonant skeleton: digraphs unified across transliteration schemes (KH/H, ZH/J,
    PH/F, Q/K, ...), vowels dropped after the first letter (a leading vowel becomes ``A``),
    doubled letters collapsed. ``MUHAMMAD``, ``MOHAMMED`` and Unidecode's Arabic ``MHMD`` all
    give ``MHMD``. Tokens with digits have no key (numbers must match exactly)."""
    if not token or not token.isalpha():
        return ""
    text = token
    for old, new in _PHONETIC_REWRITES:
        text = text.replace(old, new)
    first = "A" if text[0] in _VOWELS else text[0]
    out = [first]
    for char in text[1:]:
        if char in _VOWELS:
            continue
        if char != out[-1]:
            out.append(char)
    return "".join(out)

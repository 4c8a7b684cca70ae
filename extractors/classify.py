"""Document type from content (title and characteristic labels), never from the file name.

Each type has title patterns and label patterns with weights. A title counts fully when it
stands as a heading (a whole segment, near the top of the first page) and much less when
it is only mentioned in running text — a B/L that says "commercial invoice" in a clause is
still a B/L. The best-scoring type wins when it reaches ``MIN_SCORE`` and beats the
runner-up clearly; the reasons list says what was seen, for the examiner and for tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.models import DocumentType
from extractors.pdf_text import Line, PdfDocument

MIN_SCORE = 4.0
HEADING_WEIGHT = 8.0  # title as a segment of its own in the top part of page 1
TITLE_IN_TEXT_WEIGHT = 1.5  # title wording anywhere else
TOP_FRACTION = 0.4  # "near the top": the upper 40% of the first page


@dataclass(frozen=True)
class TypeSignature:
    titles: list[re.Pattern[str]]
    labels: list[tuple[re.Pattern[str], float]]


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


SIGNATURES: dict[str, TypeSignature] = {
    "commercial_invoice": TypeSignature(
        titles=[
            _p(r"(commercial|proforma|pro-forma|tax|retail)?\s*invoices?(/bill)?"),
            _p(r"facture"),
            _p(r"factuur"),
            _p(r"rechnung"),
            _p(r"factura"),
            _p(r"fattura"),
        ],
        labels=[
            (_p(r"\b(invoice|inv\.?)\s*(no\b|number|#|date)"), 1.5),
            (_p(r"\bunit\s*price|price\s*per\s*unit|\bamount\b"), 1.0),
            (_p(r"\b(sold\s*to|bill\s*to|messrs)"), 1.0),
            (_p(r"\b(grand\s*total|invoice\s*total|total\s*amount)"), 1.0),
            (_p(r"\b(terms\s*of\s*delivery|incoterms?|delivery\s*terms)"), 0.5),
        ],
    ),
    "bill_of_lading": TypeSignature(
        titles=[
            _p(r"((ocean|marine|multimodal|combined)\s*(transport\s*)?)?bills?\s*of\s*lading"),
            _p(r"(charter\s*party|sea)\s*(b/l|waybill)"),
            _p(r"sea\s*waybill"),
        ],
        labels=[
            (_p(r"\bb/l\s*(no|number)"), 2.0),
            (_p(r"\bshipper\b"), 1.0),
            (_p(r"\bconsignee\b"), 0.5),
            (_p(r"\bnotify(\s*party)?\b"), 1.0),
            (_p(r"\bport\s*of\s*loading"), 0.5),
            (_p(r"\bport\s*of\s*discharge"), 0.5),
            (_p(r"\b(ocean\s*)?vessel\b"), 0.5),
            (_p(r"\bshipped\s*on\s*board|\bon\s*board\b|laden\s*on\s*board"), 1.0),
            (_p(r"\bfreight\s*(prepaid|collect)"), 1.0),
            (_p(r"\boriginal\s*b\(?s?\)?/l|number\s*of\s*originals?\s*b"), 1.0),
        ],
    ),
    "packing_list": TypeSignature(
        titles=[_p(r"packing\s*(/\s*weight\s*)?(list|note|slip)"), _p(r"weight\s*(and|&)\s*packing\s*list")],
        labels=[
            (_p(r"\b(n\.\s*w\.|net\s*weight)"), 0.5),
            (_p(r"\b(g\.\s*w\.|gross\s*weight)"), 0.5),
            (_p(r"\b(cartons?|ctns)\b"), 1.0),
            (_p(r"\b(total\s*packages|no\.?\s*of\s*packages)"), 1.0),
            (_p(r"\bpacking\s*list\s*no"), 2.0),
            (_p(r"\bmeasurement|\bcbm\b"), 0.5),
        ],
    ),
    "certificate_of_origin": TypeSignature(
        titles=[
            _p(r"certificat(e|ion)\s*of\s*origin"),
            _p(r"(qualification|explanation)\s*of\s*origin(ating\s*status)?"),
            _p(r"statement\s*on\s*origin"),
            _p(r"origin\s*certificat(e|ion)(\s*document)?"),
        ],
        labels=[
            (_p(r"\bcountry\s*of\s*origin|origin\s*of\s*goods"), 1.5),
            (_p(r"\bhereby\s*certif|\bi\s*certify|\bcertifier\b|certifying\s*authority"), 1.5),
            (_p(r"\boriginat(e|ing|es)\b"), 1.5),
            (_p(r"\bchamber\s*of\s*commerce"), 1.5),
            (_p(r"\bexporter\b|\bconsignor\b"), 0.5),
            (_p(r"\b(hs\s*(code|tariff)|origin\s*criterion|criterion)\b"), 1.0),
            (_p(r"\bcptpp\b|preferential"), 1.0),
        ],
    ),
    "insurance_certificate": TypeSignature(
        titles=[
            _p(r"(marine\s*)?(insurance\s*(certificate|policy)|certificate\s*of\s*insurance)"),
            _p(r"(marine\s*)?(cargo\s*)?insurance\s*policy"),
            _p(r"cover\s*note"),
        ],
        labels=[
            (_p(r"\b(amount|sum)\s*insured|insured\s*value"), 2.0),
            (_p(r"\b(assured|insured)\b"), 1.0),
            (_p(r"\binstitute\s*(cargo|war|strikes)\s*clauses"), 2.0),
            (_p(r"\bclaims?\s*(are\s*)?payable"), 1.5),
            (_p(r"\bunderwriters?|\binsurers?\b"), 1.0),
            (_p(r"\bpolicy\s*(no|number)"), 1.0),
        ],
    ),
    "draft": TypeSignature(
        titles=[_p(r"bill\s*of\s*exchange"), _p(r"draft"), _p(r"exchange\s*for\b.*")],
        labels=[
            (_p(r"\bpay\s*(to\s*)?the\s*order\s*of"), 2.0),
            (_p(r"\bthe\s*sum\s*of"), 1.5),
            (_p(r"\bat\s*(\d+\s*days|_+|sight)"), 1.5),
            (_p(r"\bdrawn\s*under"), 2.0),
            (_p(r"\bvalue\s*received"), 1.0),
        ],
    ),
    "letter_of_credit": TypeSignature(
        titles=[_p(r"(irrevocable\s*)?(documentary\s*credit|letter\s*of\s*credit)"), _p(r"mt\s*700")],
        labels=[
            (_p(r":40A:|\b40A\s*:"), 3.0),
            (_p(r":31D:|\b31D\s*:"), 3.0),
            (_p(r":46A:|\b46A\s*:"), 3.0),
            (_p(r":45A:|\b45A\s*:"), 2.0),
            (_p(r"\{2:[IO]700"), 5.0),
        ],
    ),
}


@dataclass
class Classification:
    type: DocumentType | None
    score: float
    reasons: list[str] = field(default_factory=list)


_LABEL_AFTER_TITLE = re.compile(
    r"(no\b|no\.|nr|number|n°|#|date|ref|to\b|address|:|total|amount)", re.IGNORECASE
)


def _title_lines(pdf: PdfDocument) -> list[Line]:
    first = pdf.pages[0]
    limit = first.height * TOP_FRACTION
    return [line for line in first.lines if line.top <= limit]


def _heading_match(pattern: re.Pattern[str], lines: list[Line]) -> str | None:
    for line in lines:
        for segment in line.segments:
            text = segment.text.strip(" .:-_*")
            if pattern.fullmatch(text):
                return text
            # a heading followed by its number on the same segment: "INVOICE INV/2023/03/0008"
            first_words = " ".join(w.text for w in segment.words[:5])
            match = pattern.match(first_words)
            if match and match.end() > 0 and len(segment.words) <= 6 and segment.words[0].text[0].isalpha():
                head = match.group().strip()
                rest = first_words[match.end() :].strip()
                # "Invoice Number: 42183017" is a label, not a heading; "INVOICE INV-7" is.
                if head and rest and first_words[match.end()] == " " and not _LABEL_AFTER_TITLE.match(rest):
                    return head
    return None


def classify(pdf: PdfDocument) -> Classification:
    """The type of a document from what it says. ``type`` None when unsure or unreadable."""
    if not pdf.pages or not pdf.has_text_layer:
        missing = [p.number for p in pdf.pages if not p.has_text_layer]
        return Classification(None, 0.0, [f"needs OCR: no text layer on page(s) {missing}"])
    text = pdf.text
    title_lines = _title_lines(pdf)
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    for doc_type, signature in SIGNATURES.items():
        score = 0.0
        why: list[str] = []
        heading = None
        for pattern in signature.titles:
            heading = _heading_match(pattern, title_lines)
            if heading:
                score += HEADING_WEIGHT
                why.append(f"title '{heading}'")
                break
        if heading is None:
            for pattern in signature.titles:
                match = pattern.search(text)
                if match and match.group().strip():
                    score += TITLE_IN_TEXT_WEIGHT
                    why.append(f"mentions '{match.group().strip()}'")
                    break
        for pattern, weight in signature.labels:
            match = pattern.search(text)
            if match:
                score += weight
                why.append(f"label '{match.group().strip()}' (+{weight:g})")
        scores[doc_type] = score
        reasons[doc_type] = why
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    runner_up, runner_score = ranked[1]
    if best_score < MIN_SCORE:
        return Classification(
            None, best_score, [f"no document type recognised (best {best}: {best_score:g} < {MIN_SCORE:g})"]
        )
    if best_score - runner_score < 1.0:
        return Classification(
            None,
            best_score,
            [f"ambiguous: {best} {best_score:g} vs {runner_up} {runner_score:g}", *reasons[best]],
        )
    return Classification(best, best_score, reasons[best])  # type: ignore[arg-type]

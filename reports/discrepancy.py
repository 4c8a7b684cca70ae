"""The discrepancy report: HTML (Jinja2) and PDF (WeasyPrint), hashed and signed.

What an examiner needs to decide within the five banking days of UCP 600 14(b): the credit
and the presentation at a glance, the examination deadline at the place of presentation,
each finding with its citation, the values compared and a crop of the page with the value
boxed, the screening results with the list versions used, and who decided what.

    data = DiscrepancyReportInput(report, presentation=p, files=bundle_source(bundle))
    write_discrepancy_report(data, Path("out.pdf"))      # or .html; both are signed
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from engine.findings import Evidence, Finding, Report
from extractors.models import Draft, Extracted, LetterOfCredit, Party, Presentation
from reports.banking_days import ExaminationDeadline, examination_deadline
from reports.inputs import (
    ReportInputError,
    ReviewerDecision,
    ScreeningHit,
    ScreeningResult,
    decisions_by_finding,
    validate_entries,
)
from reports.page_images import FileSource, PageRenderer
from reports.signing import load_or_create_signing_key, sign_bytes
from reports.ucp import article_label, ucp_article

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
MISSING = "—"
SEVERITY_ORDER = {"discrepancy": 0, "warning": 1, "info": 2}
# Fonts tried in order; WeasyPrint falls back to any installed font, so a machine without
# these still renders (glyph shapes differ, the text is the same).
FONT_STACK = '"DejaVu Sans", "Liberation Sans", "Noto Sans", Arial, sans-serif'


@dataclass
class DiscrepancyReportInput:
    """Everything one discrepancy report shows; only ``report`` is required."""

    report: Report | None
    presentation: Presentation | None = None
    files: FileSource | None = None  # bundle files by name, for the page crops
    screening: Iterable[ScreeningResult | Mapping[str, Any]] | None = None  # None: not supplied
    decisions: Iterable[ReviewerDecision | Mapping[str, Any]] | None = None
    place_of_presentation: str | None = None  # calendar id or place; default 31D's place
    bundle_name: str | None = None
    generated_at: dt.datetime | None = None
    status: str | None = None  # the service's status of the presentation, for the not-ready message
    extra: dict[str, Any] = field(default_factory=dict)


def examination_digest(report: Report) -> str:
    """SHA-256 of the examination result as canonical JSON: ties the report to the record."""
    canonical = json.dumps(report.contract_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- values as text


def value_text(value: Any) -> str:
    """An Evidence value as an examiner reads it (money with separators, parties by name)."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if "amount" in value and "currency" in value:
            return f"{value['currency']} {Decimal(str(value['amount'])):,.2f}"
        if "amount" in value and "unit" in value:
            return f"{Decimal(str(value['amount'])).normalize():f} {value['unit']}"
        if "name" in value:
            lines = [str(value["name"]), *[str(a) for a in value.get("address") or []]]
            return "\n".join(lines)
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value) if value else MISSING
    return str(value)


def where_text(evidence: Evidence) -> str:
    if evidence.file is None:
        return "computed by the examination"
    if evidence.line is not None:
        return f"{evidence.file}, line {evidence.line}"
    if evidence.page is not None:
        return f"{evidence.file}, page {evidence.page}"
    return evidence.file


def _x(item: Extracted[Any] | None) -> Any:
    return None if item is None else item.value


def _party(item: Extracted[Party] | None) -> str:
    party = _x(item)
    if party is None:
        return MISSING
    lines = [party.name, *party.address]
    return "\n".join(lines)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else MISSING


def _money(item: Any) -> str:
    return MISSING if item is None else str(item)


# --------------------------------------------------------------------------- context


def credit_summary(lc: LetterOfCredit) -> list[tuple[str, str]]:
    """Label/value rows of the credit, in the order of the MT700."""
    tolerance = MISSING
    if lc.tolerance_plus is not None or lc.tolerance_minus is not None:
        tolerance = f"+{_x(lc.tolerance_plus) or 0}% / -{_x(lc.tolerance_minus) or 0}%"
    period = _x(lc.presentation_period)
    rows = [
        ("Credit number (20)", _x(lc.number) or MISSING),
        ("Form (40A)", _x(lc.form) or MISSING),
        ("Date of issue (31C)", _date(_x(lc.date_of_issue))),
        ("Applicable rules (40E)", _x(lc.applicable_rules) or MISSING),
        ("Expiry (31D)", f"{_date(_x(lc.expiry_date))} {_x(lc.expiry_place) or ''}".strip()),
        ("Issuing bank", lc.sender_bic or MISSING),
        ("Advising bank", lc.receiver_bic or MISSING),
        ("Applicant (50)", _party(lc.applicant)),
        ("Beneficiary (59)", _party(lc.beneficiary)),
        ("Amount (32B)", _money(_x(lc.amount))),
        ("Tolerance (39A)", tolerance),
        ("Available with / by (41a)", f"{_x(lc.available_with) or MISSING} / {_x(lc.available_by) or MISSING}"),
        ("Drafts at (42C)", _x(lc.drafts_at) or MISSING),
        ("Partial shipments (43P)", _x(lc.partial_shipments) or MISSING),
        ("Transhipment (43T)", _x(lc.transhipment) or MISSING),
        ("Port of loading (44E)", _x(lc.port_of_loading) or MISSING),
        ("Port of discharge (44F)", _x(lc.port_of_discharge) or MISSING),
        ("Latest shipment (44C)", _date(_x(lc.latest_shipment_date))),
        ("Incoterm", " ".join(v for v in (_x(lc.incoterm), _x(lc.incoterm_place)) if v) or MISSING),
        ("Presentation period (48)", f"{period.days} days after {period.after.lower()}" if period else MISSING),
        ("Amendments (MT707)", ", ".join(str(a.number) for a in lc.amendments) or "none"),
    ]
    return rows


def amount_claimed(presentation: Presentation) -> str:
    """What the beneficiary asks to be paid: the draft amount, else the invoice total."""
    for document in presentation.documents:
        if isinstance(document, Draft) and document.amount is not None:
            return f"{document.amount.value} (draft)"
    for document in presentation.of_type("commercial_invoice"):
        total = getattr(document, "total", None)
        if total is not None:
            return f"{total.value} (invoice)"
    return MISSING


def _evidence_rows(finding: Finding, renderer: PageRenderer) -> list[dict[str, Any]]:
    rows = []
    for evidence in finding.evidence:
        row: dict[str, Any] = {
            "label": f"{evidence.document}.{evidence.field}",
            "value": value_text(evidence.value),
            "where": where_text(evidence),
            "raw": evidence.raw if evidence.raw and evidence.raw != value_text(evidence.value) else "",
            "confidence": f"{evidence.confidence:.0%}" if evidence.confidence is not None else "",
            "crop": None,
            "placeholder": "",
            "source_text": "",
        }
        if evidence.line is not None:
            # A SWIFT field: the text as received is the evidence; there is no page to show.
            row["source_text"] = evidence.raw or ""
        elif evidence.file is not None and (evidence.page is not None or evidence.bbox is not None):
            crop = renderer.crop(evidence.file, evidence.page, evidence.bbox)
            if crop.png is not None:
                row["crop"] = crop.data_uri
            else:
                row["placeholder"] = f"Page image not available: {crop.reason}."
        rows.append(row)
    return rows


def _citation(ref: str) -> dict[str, str]:
    article = ucp_article(ref)
    return {"ref": ref, "title": article_label(article) if article else ""}


def _state(finding: Finding, decision: ReviewerDecision | None) -> str:
    if decision is not None:
        return {"waive": "waived", "confirm": "confirmed"}[decision.action]
    return "pending" if finding.severity == "discrepancy" or finding.hold else "not for decision"


def screening_from_report(report: Report) -> list[ScreeningResult] | None:
    """The examination's own screening record (every name screened, its hits and the list
    versions), when the caller supplies no screening results of its own; None if none ran."""
    summary = report.screening
    if summary is None or not summary.available:
        return None
    results: list[ScreeningResult] = []
    for screened in summary.screened:
        matches = [
            ScreeningHit(
                id=hit["entry_id"], name=hit.get("entry_name", ""), score=hit.get("score", 0.0),
                list_version=hit.get("list_version_label") or hit.get("list_version", ""),
                programs=hit.get("programs", []), matched_name=hit.get("matched_name"),
                disposition=DISPOSITIONS.get(hit.get("decision", ""), "pending"),
                decided_by=hit.get("decided_by"), reason=hit.get("decision_reason"),
            )
            for hit in summary.hits
            if hit.get("query") == screened.get("query") and hit.get("role") == screened.get("role")
        ]
        results.append(ScreeningResult(query=str(screened.get("query", "")), role=str(screened.get("role", "")),
                                       type=str(screened.get("type") or ""), matches=matches,
                                       list_versions=list(summary.list_versions)))
    return results


# reviewer decisions of the screening store -> the report's dispositions
DISPOSITIONS = {"false_positive": "false_positive", "true_positive": "true_positive", "true_match": "true_positive"}


def build_context(data: DiscrepancyReportInput) -> dict[str, Any]:
    """The template's variables; ReportInputError for input a report cannot be built from."""
    report = data.report
    if report is None:
        status = f" (status: {data.status})" if data.status else ""
        raise ReportInputError(
            f"the presentation has not been examined yet{status}; a discrepancy report needs an examination result"
        )
    decisions = validate_entries(data.decisions, ReviewerDecision, "decision")
    if data.screening is not None:
        screening = validate_entries(data.screening, ScreeningResult, "screening result")
    else:
        screening = screening_from_report(report)
    in_force = decisions_by_finding(report, decisions)
    presentation = data.presentation
    lc = presentation.lc if presentation else None

    presented_on = presentation.presented_on if presentation and presentation.presented_on else None
    if presented_on is None and report.presented_on:
        presented_on = dt.date.fromisoformat(report.presented_on)
    place = data.place_of_presentation or (_x(lc.expiry_place) if lc else None)
    deadline: ExaminationDeadline | None = examination_deadline(presented_on, place) if presented_on else None

    renderer = PageRenderer(data.files)
    order = sorted(range(len(report.findings)), key=lambda i: (SEVERITY_ORDER[report.findings[i].severity], i))
    findings = []
    for number, index in enumerate(order, start=1):
        finding = report.findings[index]
        decision = in_force.get(index)
        findings.append(
            {
                "number": number,
                "rule": finding.rule,
                "title": finding.title or finding.rule,
                "severity": "hold" if finding.hold else finding.severity,
                "message": finding.message,
                "citations": [_citation(ref) for ref in finding.refs],
                "documents": ", ".join(finding.documents),
                "evidence": _evidence_rows(finding, renderer),
                "decision": decision,
                "state": _state(finding, decision),
            }
        )

    discrepancies = [i for i, f in enumerate(report.findings) if f.severity == "discrepancy" and not f.hold]
    holds = [i for i, f in enumerate(report.findings) if f.hold]
    pending = [i for i in discrepancies + holds if i not in in_force]
    confirmed = [i for i in discrepancies + holds if i in in_force and in_force[i].action == "confirm"]
    if holds:
        review_state = "On hold: a sanctions/AML stop that no waiver can cure."
    elif pending:
        review_state = f"Awaiting decision on {len(pending)} of {len(discrepancies)} discrepancies."
    elif confirmed:
        review_state = (
            f"{len(confirmed)} {'discrepancy' if len(confirmed) == 1 else 'discrepancies'} confirmed: "
            "the presentation may be refused (UCP 600 16(c))."
        )
    elif discrepancies:
        review_state = "All discrepancies waived."
    else:
        review_state = "No discrepancies."

    list_versions: list[str] = []
    for result in screening or []:
        for label in [*result.list_versions, *(m.list_version for m in result.matches)]:
            if label and label not in list_versions:
                list_versions.append(label)

    generated = data.generated_at or dt.datetime.now(dt.UTC)
    return {
        "title": f"Discrepancy report — credit {report.lc_number or 'unknown'}",
        "bundle": data.bundle_name or (presentation.bundle if presentation else ""),
        "outcome": report.outcome,
        "lc_number": report.lc_number or MISSING,
        "presented_on": _date(presented_on),
        "deadline": deadline,
        "place": place or MISSING,
        "credit": credit_summary(lc) if lc else [],
        "amount_claimed": amount_claimed(presentation) if presentation else MISSING,
        "documents": report.documents,
        "findings": findings,
        "counts": {s: sum(1 for f in report.findings if f.severity == s) for s in SEVERITY_ORDER},
        "hold_count": len(holds),
        "review_state": review_state,
        "decisions": sorted(decisions, key=lambda d: d.when),
        "screening": screening,
        "list_versions": list_versions,
        "packs": report.packs,
        "digest": examination_digest(report),
        "generated_at": generated.isoformat(timespec="seconds"),
        "font_stack": FONT_STACK,
        "css": (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8"),
    }


@cache
def _environment() -> Environment:
    # StrictUndefined: a template naming a missing variable is a bug to surface, not a blank.
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(data: DiscrepancyReportInput) -> str:
    return _environment().get_template("discrepancy.html.j2").render(**build_context(data))


def render_pdf(data: DiscrepancyReportInput) -> bytes:
    """The report as PDF bytes (unsigned)."""
    return html_to_pdf(render_html(data))


def system_fonts_available() -> bool:
    """Whether fontconfig knows any font. With none, Pango crashes the process inside
    WeasyPrint (measured: SIGSEGV), so we must know before rendering."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = ffi.gc(fontconfig.FcInitLoadConfigAndFonts(), fontconfig.FcConfigDestroy)
    return bool(fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem).nfont > 0)


def bundled_fallback_font() -> Path | None:
    """DejaVu Sans as shipped inside matplotlib (a dependency of the nightly report)."""
    try:
        import matplotlib
    except ImportError:
        return None
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return path if path.is_file() else None


@cache
def _font_fallback_css() -> str | None:
    """None when system fonts exist; else an @font-face for the bundled font; ReportInputError
    when there is no font at all, rather than a crashed process."""
    if system_fonts_available():
        return None
    font = bundled_fallback_font()
    if font is None:
        raise ReportInputError(
            "no fonts are installed (fontconfig lists none) and no fallback font was found: "
            "install a font package such as Debian's fonts-dejavu-core to render PDF reports"
        )
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{font.as_uri()}"); }}'
        for family in ("DejaVu Sans", "DejaVu Sans Mono")
    )


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import CSS, HTML  # imported late: loading pango costs ~0.3 s and HTML needs none of it
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    fallback = _font_fallback_css()
    stylesheets = [CSS(string=fallback, font_config=font_config)] if fallback else []
    pdf = HTML(string=html, base_url=base_url or str(TEMPLATE_DIR)).write_pdf(
        stylesheets=stylesheets, font_config=font_config
    )
    if not pdf:
        raise ReportInputError("WeasyPrint produced no PDF")
    return pdf


def write_discrepancy_report(
    data: DiscrepancyReportInput, out: Path, *, key: Ed25519PrivateKey | None = None
) -> Path:
    """Render to ``out`` (.pdf or .html by its suffix) and sign it; returns ``out``."""
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise ReportInputError(f"{out}: the report file must end in .pdf or .html")
    html = render_html(data)
    if suffix == ".pdf":
        body, kind = html_to_pdf(html), "pdf"
    else:
        body, kind = html.encode("utf-8"), "html"
    signed = sign_bytes(body, kind, key or load_or_create_signing_key())
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(signed)
    except OSError as err:
        raise ReportInputError(f"{out}: cannot write the report: {err.strerror}") from None
    return out

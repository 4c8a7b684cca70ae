"""The readable report `blocktrade check` prints for people (the JSON is for machines)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.evaluate import render_value
from engine.findings import Evidence, Finding, Report

OUTCOME_STYLE = {"compliant": "bold green", "discrepant": "bold yellow", "hold": "bold red"}
SEVERITY_STYLE = {"discrepancy": "yellow", "warning": "magenta", "info": "cyan"}
SEVERITY_ORDER = {"discrepancy": 0, "warning": 1, "info": 2}


def where(evidence: Evidence) -> str:
    """`doc2.pdf p1` or `lc.txt:14`: enough for an examiner to find the value."""
    if evidence.file is None:
        return ""
    if evidence.line is not None:
        return f"{evidence.file}:{evidence.line}"
    if evidence.page is not None:
        return f"{evidence.file} p{evidence.page}"
    return evidence.file


def evidence_text(finding: Finding) -> Text:
    text = Text()
    for i, ev in enumerate(finding.evidence):
        if i:
            text.append("\n")
        text.append(f"{ev.document}.{ev.field} = ", style="dim")
        text.append(render_value(ev.value))  # as the messages write values
        place = where(ev)
        if place:
            text.append(f"  ({place})", style="dim")
    return text


def print_report(report: Report, *, bundle: str, console: Console | None = None) -> None:
    console = console or Console()
    title = f"Presentation {bundle}"
    if report.lc_number:
        title += f" under credit {report.lc_number}"
    console.print(Text(title, style="bold"))
    if report.presented_on:
        console.print(f"Presented on {report.presented_on}")

    docs = Table(title="Documents", title_justify="left", show_lines=False)
    docs.add_column("file")
    docs.add_column("type")
    docs.add_column("pages", justify="right")
    docs.add_column("read by")
    for info in report.documents:
        docs.add_row(info.file, info.type or "[red]unknown[/red]", str(info.pages), info.extraction)
    console.print(docs)

    findings = sorted(report.findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.rule))
    if findings:
        table = Table(title="Findings", title_justify="left", show_lines=True)
        table.add_column("severity")
        table.add_column("rule / refs", overflow="fold", min_width=22)
        table.add_column("message")
        table.add_column("evidence")
        for f in findings:
            severity = "HOLD" if f.hold else f.severity
            table.add_row(
                Text(severity, style="bold red" if f.hold else SEVERITY_STYLE[f.severity]),
                Text(f"{f.rule}\n{', '.join(f.refs)}"),
                Text(f.message),
                evidence_text(f),
            )
        console.print(table)
    else:
        console.print("No findings.")

    counts = {s: sum(1 for f in report.findings if f.severity == s) for s in SEVERITY_ORDER}
    plural = {"discrepancy": "discrepancies", "warning": "warnings", "info": "info"}
    summary = ", ".join(f"{n} {s if n == 1 else plural[s]}" for s, n in counts.items() if n)
    console.print(
        Text("Outcome: ", style="bold")
        + Text(report.outcome.upper(), style=OUTCOME_STYLE[report.outcome])
        + Text(f"  ({summary})" if summary else "")
    )

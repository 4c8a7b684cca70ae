"""`blocktrade extract FILE` and `blocktrade templates test|list`: read one document and show
every field with its provenance; run the YAML extraction templates against their samples.

The lead wires ``COMMANDS`` into api/cli.py (``for command in COMMANDS: main.add_command(command)``).
Exit codes follow `check`: 0 success, 1 a template sample does not match, 3 input error (a
message naming the file, never a traceback).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from api.cli_common import EXIT_INPUT_ERROR
from api.cli_common import fail as _fail

EXIT_MISMATCH = 1




class _Progress:
    """A rich progress bar on stderr for multi-page OCR; silent for a single page or no terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int, image: Any) -> None:
        if not self.enabled or total < 2:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("OCR"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=total)
        self._bar.update(self._task, completed=done, description=f"{image.file} p.{image.page}")
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _field_rows(document: Any) -> list[dict[str, Any]]:
    """Every field of a document model with a value, flattened: name, value, provenance."""
    from pydantic import BaseModel

    from extractors.models import Extracted

    rows: list[dict[str, Any]] = []

    def add(path: str, value: Any) -> None:
        if isinstance(value, Extracted):
            rows.append(
                {
                    "field": path,
                    "value": _json_value(value.value),
                    "provenance": value.source.model_dump(mode="json", exclude_defaults=False),
                }
            )
        elif isinstance(value, list):
            for index, item in enumerate(value):
                add(f"{path}[{index}]", item)
        elif isinstance(value, BaseModel) and "source" in type(value).model_fields:
            data = value.model_dump(mode="json", exclude={"source"})
            source = getattr(value, "source", None)
            rows.append(
                {
                    "field": path,
                    "value": data,
                    "provenance": source.model_dump(mode="json") if source is not None else None,
                }
            )

    for name in type(document).model_fields:
        if name in ("text", "file", "pages", "extraction", "type"):
            continue
        value = getattr(document, name)
        if value is None or value == []:
            continue
        add(name, value)
    return rows


def _json_value(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _page_rows(pdf: Any) -> list[dict[str, Any]]:
    from extractors.ocr import OcrPage

    rows = []
    for page in pdf.pages if pdf is not None else []:
        row: dict[str, Any] = {"page": page.number, "extractor": "text", "words": len(page.words)}
        if isinstance(page, OcrPage):
            row |= {
                "extractor": "ocr",
                "rotation": page.rotation,
                "skew_degrees": page.skew_degrees,
                "mean_confidence": page.mean_confidence,
                "seconds": round(page.seconds, 3),
                "tesseract_seconds": round(page.tesseract_seconds, 3),
            }
        rows.append(row)
    return rows


@click.command("extract")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option(
    "--type", "document_type", default=None, help="Skip classification: read as this document type."
)
@click.option(
    "--lang",
    default=None,
    help="Tesseract languages, e.g. eng or eng+deu (default $BLOCKTRADE_OCR_LANG or eng).",
)
@click.option("--no-templates", is_flag=True, help="Only the built-in reader (no YAML templates).")
def extract(
    file: Path, as_json: bool, document_type: str | None, lang: str | None, no_templates: bool
) -> None:
    """Read one document (PDF, scan, PNG/JPEG/TIFF or MT700) and show every field with its provenance."""
    from extractors.bundle import read_document
    from extractors.errors import InputError
    from extractors.models import DOCUMENT_TYPES
    from extractors.ocr import OcrSettings

    if not file.is_file():
        _fail(f"{file}: no such file")
    if document_type is not None and document_type not in DOCUMENT_TYPES:
        _fail(f"--type {document_type!r}: not one of {', '.join(DOCUMENT_TYPES)}")
    settings = OcrSettings(lang=lang) if lang else OcrSettings()
    progress = _Progress(enabled=sys.stderr.isatty() and not os.environ.get("CI"))
    try:
        result = read_document(
            file,
            document_type=document_type,
            ocr_settings=settings,
            progress=progress,
            templates=False if no_templates else None,
        )
    except InputError as err:
        _fail(str(err))
    finally:
        progress.close()
    document = result.document
    fields = _field_rows(document) if document is not None and hasattr(document, "extraction") else []
    if document is not None and not hasattr(document, "extraction"):  # the credit
        fields = [
            {
                "field": name,
                "value": _json_value(value.value),
                "provenance": value.source.model_dump(mode="json"),
            }
            for name in type(document).model_fields
            if hasattr(value := getattr(document, name), "source") and hasattr(value, "value")
        ]
    payload = {
        "file": result.info.file,
        "type": result.info.type,
        "extraction": result.info.extraction,
        "pages": _page_rows(result.pdf),
        "fields": fields,
        "problems": [p.model_dump(mode="json") for p in result.problems],
    }
    if as_json:
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        _print_table(payload)
    if document is None:
        sys.exit(EXIT_INPUT_ERROR)


def _print_table(payload: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{payload['file']}[/bold]: {payload['type'] or 'unknown type'} ({payload['extraction']})"
    )
    table = Table("field", "value", "page", "box", "extractor", "conf.", "check")
    for row in payload["fields"]:
        source = row["provenance"] or {}
        value = row["value"]
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        box = source.get("bbox")
        flag = source.get("review_reason") or ""
        notes = "; ".join(source.get("notes") or [])
        table.add_row(
            row["field"],
            shown[:80],
            str(source.get("page") or source.get("line") or ""),
            ",".join(f"{v:.0f}" for v in box) if box else "",
            source.get("extractor", "") + (f" [{source['template']}]" if source.get("template") else ""),
            f"{source.get('confidence', 0):.2f}",
            "; ".join(x for x in (flag, notes) if x),
        )
    console.print(table)
    for problem in payload["problems"]:
        where = f" page {problem['page']}" if problem.get("page") else ""
        console.print(f"[red]problem[/red] {problem['file']}{where}: {problem['code']}: {problem['message']}")


@click.group("templates")
def templates() -> None:
    """YAML extraction templates (extractors/templates, $BLOCKTRADE_TEMPLATES)."""


@templates.command("list")
def templates_list() -> None:
    """List the templates that load, with their document type and file:line."""
    from extractors.templates import TemplateError, load_templates

    try:
        loaded = load_templates()
    except TemplateError as err:
        _fail(str(err))
    for template in loaded:
        kind = "generic" if template.generic else f"issuer, priority {template.priority}"
        click.echo(
            f"{template.template}\t{template.document_type}\t{kind}\t{template.source_file}:{template.lines['template']}"
        )


@templates.command("test")
@click.option(
    "--shared-data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder that 'shared:' sample paths point into (default $BLOCKTRADE_SHARED_DATA or ../shared/data).",
)
@click.option("--template", "only", multiple=True, help="Test only this template (repeatable).")
def templates_test(shared_data: Path | None, only: tuple[str, ...]) -> None:
    """Run every template against its sample documents and compare with the expected values."""
    from extractors.templates import TemplateError, load_templates

    try:
        loaded = load_templates()
    except TemplateError as err:
        _fail(str(err))
    if shared_data is None:
        env = os.environ.get("BLOCKTRADE_SHARED_DATA")
        shared_data = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    chosen = [t for t in loaded if not only or t.template in only]
    unknown = sorted(set(only) - {t.template for t in loaded})
    if unknown:
        _fail(f"no template named {', '.join(unknown)}")
    from extractors.errors import InputError

    try:
        results = run_template_samples(chosen, shared_data)
    except InputError as err:  # TemplateError included: a sample that is missing or unreadable
        _fail(str(err))
    failures = 0
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        failures += not result.ok
        click.echo(
            f"{mark} {result.template} {result.file} {result.field}: expected {result.expected!r}, got {result.got!r}"
        )
    with_samples = len({r.template for r in results})
    click.echo(f"{len(results) - failures} passed, {failures} failed ({with_samples} templates with samples)")
    sys.exit(EXIT_MISMATCH if failures else 0)


def run_template_samples(chosen: list[Any], shared_data: Path | None) -> list[Any]:
    """Read each sample of each template and compare its fields (raises TemplateError/InputError)."""
    from extractors.bundle import read_document
    from extractors.templates import SampleResult, render_value, resolve_sample

    results: list[SampleResult] = []
    with tempfile.TemporaryDirectory() as workdir:
        for template in chosen:
            for sample in template.samples:
                path = resolve_sample(template, sample, shared_data, Path(workdir))
                read = read_document(path, document_type=template.document_type, templates=[template])
                document = read.document
                for field_name, expected in sample.expect.items():
                    value = getattr(document, field_name, None) if document is not None else None
                    got = render_value(value.value) if value is not None and hasattr(value, "value") else None
                    results.append(SampleResult(template.template, sample.file, field_name, expected, got))
    return results


COMMANDS: list[click.Command] = [extract, templates]

"""Field templates, one module per document type, behind one entry point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from extractors.fields import (
    bill_of_lading,
    certificate_of_origin,
    draft,
    insurance,
    invoice,
    packing_list,
)
from extractors.fields.common import Reader
from extractors.models import DocumentBase
from extractors.pdf_text import PdfDocument

_TEMPLATES: dict[str, Callable[[Reader], DocumentBase]] = {
    "commercial_invoice": invoice.extract,
    "bill_of_lading": bill_of_lading.extract,
    "packing_list": packing_list.extract,
    "certificate_of_origin": certificate_of_origin.extract,
    "insurance_certificate": insurance.extract,
    "draft": draft.extract,
}


def extract_document(
    doc_type: str, pdf: PdfDocument, file: str, *, templates: list[Any] | Literal[False] | None = None
) -> DocumentBase:
    """The typed model of ``doc_type`` read from ``pdf``; every field carries its provenance.

    After the built-in reader, the YAML templates (extractors/templates) are applied: an
    issuer template that recognises the document replaces the fields it defines, the generic
    template of the type fills fields still empty. ``templates``: None loads the installed
    templates (raising ``TemplateError`` if one is broken), a list uses those, False none.
    """
    try:
        template = _TEMPLATES[doc_type]
    except KeyError:
        raise ValueError(f"{file}: no field template for document type {doc_type!r}") from None
    reader = Reader(pdf, file)
    document = template(reader)
    if templates is not False:
        from extractors.templates import apply_templates

        apply_templates(document, reader, templates)
    return document

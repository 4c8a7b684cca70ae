"""Presentation -> facts: conversion of every model type, absent values, provenance, derived."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.facts import FactValueError, build_facts, facts_from_test, resolve_type, scope_for
from tests.unit.packs.sample import sample_presentation

UTC = dt.UTC


def test_conversion_of_model_values() -> None:
    facts = build_facts(sample_presentation())
    lc = facts.variables["lc"]
    assert lc["expiry_date"] == dt.datetime(2026, 3, 15, tzinfo=UTC)  # date -> timestamp 00:00 UTC
    assert lc["amount"] == {"amount": 100000.0, "currency": "USD"}  # Money -> map, Decimal -> double
    assert type(lc["tolerance_plus"]) is float
    assert lc["goods"][0]["quantity"] == {"amount": 1000.0, "unit": "PCS"}
    assert lc["beneficiary"]["country"] == "NO"
    assert "bic" not in lc["beneficiary"]  # None -> absent
    assert "port_of_discharge" not in lc
    assert "source" not in lc["documents_required"][0]
    assert (
        lc["documents_required"][0]["originals"] == 3
        and type(lc["documents_required"][0]["originals"]) is int
    )


def test_docs_has_every_type_and_documents_carry_file_and_type() -> None:
    docs = build_facts(sample_presentation()).variables["docs"]
    assert sorted(docs) == sorted(
        [
            "commercial_invoice",
            "bill_of_lading",
            "packing_list",
            "certificate_of_origin",
            "insurance_certificate",
            "draft",
        ]
    )
    assert docs["packing_list"] == []
    assert (
        docs["bill_of_lading"][0]["file"] == "bl.pdf"
        and docs["bill_of_lading"][0]["type"] == "bill_of_lading"
    )


def test_provenance_side_table() -> None:
    facts = build_facts(sample_presentation())
    source = facts.source_of("docs.bill_of_lading[0].port_of_loading")
    assert source is not None and source.file == "bl.pdf" and source.bbox == (72.0, 410.0, 190.0, 424.0)
    assert facts.source_of("lc.amount.amount").line == 17  # nearest enclosing value
    assert facts.source_of("lc.documents_required[1].full_set").line == 31  # the requirement's own source


def test_presentation_and_derived_values() -> None:
    facts = build_facts(sample_presentation())
    presentation = facts.variables["presentation"]
    assert presentation["shipment_date"] == dt.datetime(2026, 2, 20, tzinfo=UTC)  # on-board date wins
    assert presentation["document_types"] == ["commercial_invoice", "bill_of_lading"]
    derived = facts.variables["derived"]
    assert derived["amount_max"] == 110000.0
    assert derived["presentation_deadline"] == dt.datetime(2026, 3, 13, tzinfo=UTC)  # 21 days
    assert derived["invoice_amount"] == 110000.0 and derived["cif_value"] == 110000.0
    assert derived["insurance_minimum"] == pytest.approx(121000.0)
    assert derived["required_types"] == ["commercial_invoice", "bill_of_lading", "certificate_of_origin"]
    assert derived["lc_quantity"] == {"amount": 1000.0, "unit": "PCS"}
    assert derived["quantity_tolerance_plus"] == 0.0  # counted in pieces: no 5% (30(b))


def test_deadline_never_after_expiry_and_about_wording() -> None:
    shared, _ = facts_from_test(
        {
            "lc": {
                "expiry_date": "2026-03-01",
                "amount": {"amount": 50000, "currency": "EUR"},
                "goods_description": "ABOUT 500 MT WHEAT, ABOUT EUR 50,000",
                "presentation_period": {"days": 48},
                "goods": [{"description": "WHEAT", "quantity": {"amount": 500, "unit": "MT"}}],
            },
            "docs": {"bill_of_lading": [{"on_board_date": "2026-02-01"}]},
        },
        "presentation",
        None,
    )
    derived = shared["derived"]
    assert derived["presentation_deadline"] == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert derived["amount_about"] is True and derived["amount_tolerance_plus"] == 10.0
    assert derived["amount_max"] == 55000.0
    assert derived["quantity_about"] is True and derived["quantity_tolerance_minus"] == 10.0


def test_bulk_quantity_gets_five_percent() -> None:
    shared, _ = facts_from_test(
        {"lc": {"goods": [{"description": "UREA", "quantity": {"amount": 1000, "unit": "MT"}}]}},
        "presentation",
        None,
    )
    assert shared["derived"]["quantity_tolerance_plus"] == 5.0


def test_test_facts_use_the_catalogue_types() -> None:
    shared, bound = facts_from_test(
        {
            "lc": {"expiry_date": dt.date(2026, 3, 15), "tolerance_plus": 10},
            "doc": {"port_of_loading": "ANTWERP"},
        },
        "bill_of_lading",
        None,
    )
    assert shared["lc"]["expiry_date"] == dt.datetime(2026, 3, 15, tzinfo=UTC)
    assert type(shared["lc"]["tolerance_plus"]) is float  # int written in YAML -> double, like real facts
    assert bound["doc"]["type"] == "bill_of_lading"
    assert shared["docs"]["bill_of_lading"] == [bound["doc"]]


@pytest.mark.parametrize(
    ("raw", "keys", "text"),
    [
        ({"lc": {"expiry_date": "15/03/2026"}}, ["lc", "expiry_date"], "expected a date"),
        ({"lc": {"number": 417}}, ["lc", "number"], "quote it"),
        ({"doc": {"hs_code": 101.21}}, ["doc", "hs_code"], "unknown field 'hs_code'"),
        (
            {"lc": {"goods": [{"description": "X", "hs_code": 101.21}]}},
            ["lc", "goods", 0, "hs_code"],
            "quote it",
        ),
        ({"item": 1}, ["item"], "unknown variable 'item'"),
    ],
)
def test_bad_test_facts_name_the_key(raw: dict, keys: list, text: str) -> None:
    with pytest.raises(FactValueError, match=text) as caught:
        facts_from_test(raw, "bill_of_lading", None)
    assert caught.value.keys == keys


def test_catalogue_resolves_paths() -> None:
    scope = scope_for("bill_of_lading", None)
    assert resolve_type(scope, "doc.port_of_loading").kind == "string"
    assert resolve_type(scope, "docs.draft[0].amount.amount").kind == "double"
    assert resolve_type(scope, "lc.applicant.address").describe() == "list of string"
    with pytest.raises(KeyError, match="no field 'vessel'"):
        resolve_type(scope, "lc.vessel")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # goods split over lines add up; a line without a quantity (freight) is left out
        ([(6000, "PCS"), (4000.5, "PCS"), None], {"amount": 10000.5, "unit": "PCS"}),
        ([(20, "MT")], {"amount": 20.0, "unit": "MT"}),
        ([(20, "MT"), (500, "KGS")], None),  # lines in different units: no total
        ([None], None),
    ],
)
def test_invoice_quantity_sums_lines_sharing_a_unit(lines: list, expected: dict | None) -> None:
    invoice_lines = [
        {"description": f"LINE {i}", **({"quantity": {"amount": x[0], "unit": x[1]}} if x else {})}
        for i, x in enumerate(lines)
    ]
    shared, _ = facts_from_test(
        {"docs": {"commercial_invoice": [{"lines": invoice_lines}]}}, "presentation", None
    )
    assert shared["derived"].get("invoice_quantity") == expected

"""A presentation with AML problems, built by hand, for the AML pack tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from engine.screening.match import Screener
from engine.screening.store import load_sample
from extractors.models import (
    Amendment,
    BillOfLading,
    CommercialInvoice,
    Extracted,
    FileInfo,
    GoodsItem,
    LetterOfCredit,
    Money,
    Party,
    Presentation,
    Provenance,
    Quantity,
)

AML_PACK = Path(__file__).resolve().parents[2] / "rules" / "aml"


def mt(line: int) -> Provenance:
    return Provenance(file="lc.txt", line=line, extractor="mt700")


def page(file: str, top: float, raw: str = "") -> Provenance:
    return Provenance(file=file, page=1, bbox=(72.0, top, 300.0, top + 14), raw=raw, extractor="text")


def sample_screener() -> Screener:
    """The bundled fictional list (sanctions_data/sample): NORDVIK MARINE TRADING CO., LTD.,
    the vessel NORTHERN STAR (IMO 9999992), ACME TRADING HOLDINGS INTERNATIONAL LTD (BIC ACMEXXB1)."""
    return Screener(lists=[load_sample()])


def presentation(*, shipper: str = "BALTIC COTTON MILLS LTD", consignee_address: tuple[str, ...] = ("OSLO", "NORWAY"),
                 port_of_discharge: str = "OSLO", vessel: str = "MAERSK EINDHOVEN", unit_price: str = "3.60",
                 goods: str = "COTTON T-SHIRTS", applicant_bank_bic: str | None = None,
                 beneficiary_amended_on: dt.date | None = None) -> Presentation:
    lc = LetterOfCredit(
        file="lc.txt",
        number=Extracted(value="LC-AML-1", source=mt(4)),
        expiry_date=Extracted(value=dt.date(2026, 4, 30), source=mt(8)),
        applicant=Extracted(value=Party(name="NORDTEX AS", address=["OSLO", "NORWAY"], country="NO"), source=mt(10)),
        beneficiary=Extracted(value=Party(name="BALTIC COTTON MILLS LTD", address=["GDANSK", "POLAND"], country="PL"),
                              source=mt(13)),
        applicant_bank=Extracted(value=Party(name="NORDBANK", bic=applicant_bank_bic), source=mt(9))
        if applicant_bank_bic else None,
        amount=Extracted(value=Money(amount=Decimal("36000.00"), currency="USD"), source=mt(16)),
        port_of_loading=Extracted(value="GDANSK", source=mt(20)),
        port_of_discharge=Extracted(value=port_of_discharge, source=mt(21)),
        goods_description=Extracted(value=goods, source=mt(24)),
        goods=[GoodsItem(description=goods, quantity=Quantity(amount=Decimal(10000), unit="PCS"))],
        amendments=[Amendment(number=1, date=beneficiary_amended_on, changes={"beneficiary": {"name": "X"}},
                              raw_fields={"59": "X"}, source=Provenance(file="amend1.txt", line=1, extractor="mt707"))]
        if beneficiary_amended_on else [],
    )
    invoice = CommercialInvoice(
        file="inv.pdf",
        issuer=Extracted(value=Party(name="BALTIC COTTON MILLS LTD", address=["GDANSK", "POLAND"]),
                         source=page("inv.pdf", 60)),
        addressee=Extracted(value=Party(name="NORDTEX AS", address=["OSLO", "NORWAY"]), source=page("inv.pdf", 120)),
        goods_description=Extracted(value=goods, source=page("inv.pdf", 300)),
        lines=[GoodsItem(description=goods, quantity=Quantity(amount=Decimal(10000), unit="PCS"),
                         unit_price=Money(amount=Decimal(unit_price), currency="USD"),
                         source=page("inv.pdf", 320, goods))],
        total=Extracted(value=Money(amount=Decimal("36000.00"), currency="USD"), source=page("inv.pdf", 600)),
    )
    bill = BillOfLading(
        file="bl.pdf",
        shipper=Extracted(value=Party(name=shipper, address=["GDANSK", "POLAND"]), source=page("bl.pdf", 100, shipper)),
        consignee=Extracted(value=Party(name="TO ORDER OF NORDBANK", address=list(consignee_address)),
                            source=page("bl.pdf", 160)),
        carrier=Extracted(value=Party(name="MAERSK A/S"), source=page("bl.pdf", 40)),
        vessel=Extracted(value=vessel, source=page("bl.pdf", 260, vessel)),
        port_of_loading=Extracted(value="GDANSK", source=page("bl.pdf", 280)),
        port_of_discharge=Extracted(value=port_of_discharge, source=page("bl.pdf", 300, port_of_discharge)),
        on_board_date=Extracted(value=dt.date(2026, 3, 20), source=page("bl.pdf", 500)),
    )
    return Presentation(
        bundle="aml", presented_on=dt.date(2026, 3, 28), lc=lc, documents=[invoice, bill],
        files=[FileInfo(file="lc.txt", type="letter_of_credit", extraction="mt700"),
               FileInfo(file="inv.pdf", type="commercial_invoice"), FileInfo(file="bl.pdf", type="bill_of_lading")],
    )

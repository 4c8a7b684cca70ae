"""Sample trade documents in several layouts, drawn with the vocabulary of the extractor."""

from __future__ import annotations

from pathlib import Path

from tests.unit.pdf_samples import PageSpec, build_pdf, table_rows


def invoice_labels_left(path: Path) -> Path:
    """Letterhead at the top, labels left of values with a colon, borderless table."""
    page = PageSpec()
    page.lines(
        50, 50, ["SHANGHAI BRIGHT TEXTILES CO., LTD.", "88 Pudong Avenue", "Shanghai 200120, CHINA"], size=10
    )
    page.text(230, 120, "COMMERCIAL INVOICE", size=16, bold=True)
    page.text(50, 160, "Invoice No.: BT-INV-2026-017")
    page.text(330, 160, "Date: 15 MAR 2026")
    page.text(50, 175, "L/C No.: LC-778812")
    page.text(330, 175, "Terms of Delivery: CIF ROTTERDAM")
    page.text(50, 200, "Buyer:")
    page.lines(50, 212, ["ROTTERDAM HOME GOODS B.V.", "Weena 100", "3012 CN Rotterdam, NETHERLANDS"])
    page.text(330, 200, "Country of Origin: CHINA")
    y = table_rows(
        page, 280,
        [(50, "Description of Goods"), (260, "Quantity"), (340, "Unit Price"), (450, "Amount")],
        [["100% COTTON T-SHIRTS", "10,000 PCS", "USD 4.50", "USD 45,000.00"],
         ["COTTON BATH TOWELS", "5,000 PCS", "USD 3.20", "USD 16,000.00"]],
    )  # fmt: skip
    page.text(340, y + 10, "TOTAL CIF ROTTERDAM")
    page.text(450, y + 10, "USD 61,000.00")
    page.text(50, y + 40, "Gross Weight: 4,250.00 KGS     Net Weight: 3,980.50 KGS")
    page.text(50, y + 55, "Shipping Marks: RHG/ROTTERDAM/1-120")
    page.text(50, y + 100, "For and on behalf of SHANGHAI BRIGHT TEXTILES CO., LTD.")
    page.text(50, y + 130, "Authorised Signatory")
    return build_pdf(path, [page])


def invoice_boxes(path: Path) -> Path:
    """Captions above values in ruled boxes, European numbers, ruled table, 'Seller' block."""
    page = PageSpec()
    page.text(250, 50, "INVOICE", size=18, bold=True)
    page.box(40, 80, 250, 70).text(45, 92, "Seller", bold=True)
    page.lines(45, 106, ["MUNICH MACHINERY GMBH", "Leopoldstrasse 12", "80802 Munich, GERMANY"])
    page.box(300, 80, 120, 35).text(305, 92, "Invoice Number", bold=True).text(305, 106, "MM-2026/0042")
    page.box(420, 80, 130, 35).text(425, 92, "Invoice Date", bold=True).text(425, 106, "2026-03-14")
    page.box(300, 115, 250, 35).text(305, 127, "Documentary Credit No.", bold=True).text(
        305, 141, "DC 55/2026"
    )
    page.box(40, 160, 250, 60).text(45, 172, "Sold to", bold=True)
    page.lines(45, 186, ["PORTO IMPORTS LDA", "Rua das Flores 5", "4050-265 Porto, PORTUGAL"])
    page.box(300, 160, 250, 35).text(305, 172, "Incoterms", bold=True).text(305, 186, "FOB HAMBURG")
    y = table_rows(
        page, 260,
        [(50, "Description"), (250, "Qty"), (330, "Price per Unit"), (450, "Total")],
        [["CNC LATHE MODEL X200", "2 SETS", "12.500,00", "25.000,00"],
         ["SPARE PARTS KIT", "2 SETS", "1.250,50", "2.501,00"]],
        ruled=True,
    )  # fmt: skip
    page.text(330, y + 15, "Grand Total").text(450, y + 15, "27.501,00 EUR")
    page.text(50, y + 60, "Signed")
    return build_pdf(path, [page])


def bill_of_lading(
    path: Path, *, unclean: bool = False, on_deck: bool = False, capacity: str = "carrier"
) -> Path:
    page = PageSpec()
    page.text(40, 40, "OCEANIC BLUE LINE", size=14, bold=True)
    page.text(300, 40, "BILL OF LADING", size=16, bold=True)
    page.text(300, 60, "B/L No.: OBLU-SHA-778123")
    page.box(40, 80, 250, 60).text(45, 92, "Shipper", bold=True)
    page.lines(45, 106, ["SHANGHAI BRIGHT TEXTILES CO., LTD.", "88 Pudong Avenue", "Shanghai, CHINA"])
    page.box(40, 140, 250, 50).text(45, 152, "Consignee", bold=True)
    page.lines(45, 166, ["TO ORDER OF", "BANK OF ROTTERDAM N.V."])
    page.box(40, 190, 250, 60).text(45, 202, "Notify Party", bold=True)
    page.lines(45, 216, ["ROTTERDAM HOME GOODS B.V.", "Weena 100", "Rotterdam, NETHERLANDS"])
    page.box(40, 250, 125, 30).text(45, 262, "Ocean Vessel", bold=True).text(45, 274, "MAERSK ESSEX")
    page.box(165, 250, 125, 30).text(170, 262, "Voyage No.", bold=True).text(170, 274, "612W")
    page.box(290, 250, 130, 30).text(295, 262, "Port of Loading", bold=True).text(295, 274, "SHANGHAI, CHINA")
    page.box(420, 250, 130, 30).text(425, 262, "Port of Discharge", bold=True).text(425, 274, "ROTTERDAM")
    page.text(45, 300, "Marks & Nos")
    page.text(160, 300, "Description of Goods")
    page.text(420, 300, "Gross Weight")
    page.text(45, 314, "RHG/ROTTERDAM")
    page.text(160, 314, "120 CARTONS 100% COTTON T-SHIRTS")
    page.text(420, 314, "4,250.00 KGS")
    page.text(160, 328, "SHIPPER'S LOAD, STOW AND COUNT - SAID TO CONTAIN")
    page.text(160, 342, "CONTAINER MSKU1234565 SEAL 0456123")
    if unclean:
        page.text(160, 356, "3 CARTONS TORN AND GOODS WET")
    if on_deck:
        page.text(160, 370, "CARGO SHIPPED ON DECK AT SHIPPER'S RISK")
    else:
        page.text(160, 370, "Goods may be carried on deck without notice")
    page.text(45, 400, "FREIGHT PREPAID")
    page.text(45, 420, "Number of Original B/Ls: THREE (3)")
    page.text(45, 440, "SHIPPED ON BOARD 12 MAR 2026")
    page.text(45, 460, "Transhipment at SINGAPORE")
    page.text(300, 420, "Place and Date of Issue: SHANGHAI, 13 MAR 2026")
    signature = {
        "carrier": "Signed by OCEANIC BLUE LINE as carrier",
        "agent_for_carrier": "BLUE AGENCY LTD as agent for the carrier OCEANIC BLUE LINE",
        "master": "Signed by CAPT. J. SMITH, MASTER",
        "agent_for_master": "BLUE AGENCY LTD as agent for the master",
    }[capacity]
    page.text(300, 480, signature)
    return build_pdf(path, [page])


def packing_list(path: Path) -> Path:
    page = PageSpec()
    page.lines(50, 40, ["SHANGHAI BRIGHT TEXTILES CO., LTD.", "88 Pudong Avenue, Shanghai, CHINA"])
    page.text(220, 90, "PACKING LIST", size=16, bold=True)
    page.text(50, 120, "Packing List No.: PL-2026-017").text(330, 120, "Date: 15.03.2026")
    page.text(50, 135, "Invoice No.: BT-INV-2026-017").text(330, 135, "L/C No.: LC-778812")
    y = table_rows(
        page, 170,
        [(50, "Description"), (230, "Qty"), (300, "Cartons"), (380, "N.W."), (460, "G.W.")],
        [["100% COTTON T-SHIRTS", "10,000 PCS", "80", "2,600 KGS", "2,800 KGS"],
         ["COTTON BATH TOWELS", "5,000 PCS", "40", "1,380.50 KGS", "1,450 KGS"]],
    )  # fmt: skip
    page.text(50, y + 20, "Total Packages: 120 CARTONS")
    page.text(50, y + 35, "Net Weight: 3,980.50 KGS")
    page.text(50, y + 50, "Gross Weight: 4,250.00 KGS")
    return build_pdf(path, [page])


def certificate_of_origin(path: Path) -> Path:
    page = PageSpec()
    page.text(200, 50, "CERTIFICATE OF ORIGIN", size=16, bold=True)
    page.text(50, 80, "Certificate No.: CCPIT-2026-99812")
    page.text(50, 100, "Exporter:")
    page.lines(50, 112, ["SHANGHAI BRIGHT TEXTILES CO., LTD.", "88 Pudong Avenue, Shanghai, CHINA"])
    page.text(320, 100, "Consignee:")
    page.lines(320, 112, ["ROTTERDAM HOME GOODS B.V.", "Rotterdam, NETHERLANDS"])
    page.text(50, 160, "Means of Transport: BY SEA, MAERSK ESSEX")
    page.text(50, 175, "Port of Loading: SHANGHAI")
    page.text(320, 175, "Port of Discharge: ROTTERDAM")
    page.text(50, 200, "The undersigned hereby certifies that the goods described below originate in CHINA.")
    page.text(50, 230, "Gross Weight: 4,250.00 KGS")
    page.text(50, 260, "Certifying Authority:")
    page.lines(50, 272, ["CHINA COUNCIL FOR THE PROMOTION OF INTERNATIONAL TRADE", "Shanghai, CHINA"])
    page.text(50, 300, "Date: 14 MAR 2026")
    return build_pdf(path, [page])


def insurance_certificate(path: Path, *, cover_note: bool = False) -> Path:
    page = PageSpec()
    page.text(40, 40, "PACIFIC MARINE INSURANCE CO. LTD", size=12, bold=True)
    page.text(200, 70, "COVER NOTE" if cover_note else "INSURANCE CERTIFICATE", size=16, bold=True)
    page.text(50, 100, "Certificate No.: PMI-CT-2026-5531")
    page.text(50, 115, "Assured: SHANGHAI BRIGHT TEXTILES CO., LTD.")
    page.text(50, 130, "Amount Insured: USD 67,100.00")
    page.text(50, 145, "Voyage: From SHANGHAI to ROTTERDAM")
    page.text(50, 160, "Vessel: MAERSK ESSEX")
    page.text(50, 175, "Conditions: INSTITUTE CARGO CLAUSES (A), INSTITUTE WAR CLAUSES (CARGO)")
    page.text(50, 190, "INSTITUTE STRIKES CLAUSES (CARGO)")
    page.text(50, 205, "Cover effective from 10 MAR 2026")
    page.text(50, 220, "Claims payable at ROTTERDAM in USD")
    page.text(50, 235, "Number of Originals: TWO (2)")
    page.text(50, 250, "Place and Date of Issue: SHANGHAI, 11 MAR 2026")
    page.text(50, 290, "PACIFIC MARINE INSURANCE CO. LTD as insurers")
    return build_pdf(path, [page])


def draft(path: Path) -> Path:
    page = PageSpec()
    page.text(220, 50, "BILL OF EXCHANGE", size=16, bold=True)
    page.text(50, 90, "No. BE-2026-017").text(350, 90, "Shanghai, 15 MAR 2026")
    page.text(50, 110, "EXCHANGE FOR USD 61,000.00")
    page.text(50, 135, "At 60 days after B/L date of this FIRST Bill of Exchange (second unpaid)")
    page.text(50, 150, "Pay to the order of BANK OF CHINA SHANGHAI BRANCH")
    page.text(50, 165, "the sum of US DOLLARS SIXTY ONE THOUSAND ONLY")
    page.text(50, 180, "Drawn under L/C No. LC-778812 dated 02 FEB 2026 issued by BANK OF ROTTERDAM N.V.")
    page.text(50, 210, "To:")
    page.lines(50, 222, ["BANK OF ROTTERDAM N.V.", "Coolsingel 40", "Rotterdam, NETHERLANDS"])
    page.text(330, 260, "For and on behalf of SHANGHAI BRIGHT TEXTILES CO., LTD.")
    return build_pdf(path, [page])


def printed_mt700(path: Path) -> Path:
    page = PageSpec()
    page.lines(
        40, 40,
        ["{1:F01BKRTNL2AXXX0000000000}{2:O7001200260202BKCHCNBJXXXX00000000002602021200N}{4:",
         ":27:1/1", ":40A:IRREVOCABLE", ":20:LC-778812", ":31C:260202", ":40E:UCP LATEST VERSION",
         ":31D:260430ROTTERDAM", ":50:ROTTERDAM HOME GOODS B.V.", ":59:SHANGHAI BRIGHT TEXTILES CO., LTD.",
         ":32B:USD61000,00", ":45A:100% COTTON T-SHIRTS", ":46A:+SIGNED COMMERCIAL INVOICE IN 3 COPIES", "-}"],
        size=9, leading=13,
    )  # fmt: skip
    return build_pdf(path, [page])

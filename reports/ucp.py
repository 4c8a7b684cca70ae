"""UCP 600 article titles and the parsing of citations (``UCP600 18(b)``, ``ISBP821 C2``)."""

from __future__ import annotations

import re

# The 39 article headings of UCP 600 (ICC Publication No. 600, 2007 revision).
UCP600_ARTICLES: dict[str, str] = {
    "1": "Application of UCP",
    "2": "Definitions",
    "3": "Interpretations",
    "4": "Credits v. Contracts",
    "5": "Documents v. Goods, Services or Performance",
    "6": "Availability, Expiry Date and Place for Presentation",
    "7": "Issuing Bank Undertaking",
    "8": "Confirming Bank Undertaking",
    "9": "Advising of Credits and Amendments",
    "10": "Amendments",
    "11": "Teletransmitted and Pre-Advised Credits and Amendments",
    "12": "Nomination",
    "13": "Bank-to-Bank Reimbursement Arrangements",
    "14": "Standard for Examination of Documents",
    "15": "Complying Presentation",
    "16": "Discrepant Documents, Waiver and Notice",
    "17": "Original Documents and Copies",
    "18": "Commercial Invoice",
    "19": "Transport Document Covering at Least Two Different Modes of Transport",
    "20": "Bill of Lading",
    "21": "Non-Negotiable Sea Waybill",
    "22": "Charter Party Bill of Lading",
    "23": "Air Transport Document",
    "24": "Road, Rail or Inland Waterway Transport Documents",
    "25": "Courier Receipt, Post Receipt or Certificate of Posting",
    "26": '"On Deck", "Shipper\'s Load and Count", "Said by Shipper to Contain" and Charges Additional to Freight',
    "27": "Clean Transport Document",
    "28": "Insurance Document and Coverage",
    "29": "Extension of Expiry Date or Last Day for Presentation",
    "30": "Tolerance in Credit Amount, Quantity and Unit Prices",
    "31": "Partial Drawings or Shipments",
    "32": "Instalment Drawings or Shipments",
    "33": "Hours of Presentation",
    "34": "Disclaimer on Effectiveness of Documents",
    "35": "Disclaimer on Transmission and Translation",
    "36": "Force Majeure",
    "37": "Disclaimer for Acts of an Instructed Party",
    "38": "Transferable Credits",
    "39": "Assignment of Proceeds",
}

_UCP_REF = re.compile(r"^\s*UCP\s*600\s+(\d{1,2})\b")


def ucp_article(ref: str) -> str | None:
    """``"UCP600 20(a)(iii)"`` -> ``"20"``; None for other citations (ISBP, house rules)."""
    match = _UCP_REF.match(ref)
    if match and match.group(1) in UCP600_ARTICLES:
        return match.group(1)
    return None


def article_label(article: str) -> str:
    """``"18"`` -> ``"Art. 18 Commercial Invoice"``."""
    title = UCP600_ARTICLES.get(article)
    return f"Art. {article} {title}" if title else f"Art. {article}"


def primary_article(refs: list[str]) -> str | None:
    """The first UCP 600 article a finding cites: where it is counted in statistics."""
    for ref in refs:
        article = ucp_article(ref)
        if article is not None:
            return article
    return None

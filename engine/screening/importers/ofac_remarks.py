"""Facts OFAC writes into the free-text remarks of the legacy CSV (and the consolidated list):
low-quality a.k.a.s, dates of birth, nationalities and identifiers such as IMO, MMSI,
SWIFT/BIC and LEI. Remarks are ``; ``-separated clauses ending with a full stop."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.screening.model import Identifier, ListedName

_WEAK_ALIAS = re.compile(r"^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'(.+)'$", re.IGNORECASE)
_DOB = re.compile(r"^DOB\s+(.+)$")
_NATIONALITY = re.compile(r"^(?:nationality|citizen)\s+(.+)$", re.IGNORECASE)
_IDENTIFIER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("IMO", re.compile(r"\bIMO\s+(\d{7})\b")),
    ("MMSI", re.compile(r"\bMMSI\s+(\d{9})\b")),
    ("BIC", re.compile(r"\bSWIFT/BIC\s+([A-Z0-9]{8,11})\b")),
    ("LEI", re.compile(r"\bLegal Entity Number\s+([A-Z0-9]{20})\b")),
    ("PASSPORT", re.compile(r"^Passport\s+([A-Z0-9][A-Z0-9 -]*?)(?:\s+\(([^)]+)\))?(?:\s+issued.*|\s+expires.*)?$")),
    ("NATIONAL_ID", re.compile(r"^National ID No\.\s+([A-Z0-9][A-Z0-9 -]*?)(?:\s+\(([^)]+)\))?$")),
    ("REGISTRATION", re.compile(r"^Registration (?:Number|ID)\s+([A-Z0-9][A-Z0-9 -]*?)(?:\s+\(([^)]+)\))?$")),
    ("TAX_ID", re.compile(r"^Tax ID No\.\s+([A-Z0-9][A-Z0-9 -]*?)(?:\s+\(([^)]+)\))?$")),
)
_ALIAS_KINDS = {"a.k.a.": "aka", "f.k.a.": "fka", "n.k.a.": "nka"}


@dataclass
class RemarkFacts:
    weak_aliases: list[ListedName] = field(default_factory=list)
    dates_of_birth: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)


def parse_remarks(remarks: str | None) -> RemarkFacts:
    facts = RemarkFacts()
    if not remarks:
        return facts
    for clause in remarks.rstrip(".").split(";"):
        clause = clause.strip().rstrip(".")
        if not clause:
            continue
        if alias := _WEAK_ALIAS.match(clause):
            kind = _ALIAS_KINDS[alias.group(1).lower()]
            facts.weak_aliases.append(ListedName(full=alias.group(2), kind=kind, strength="weak"))  # type: ignore[arg-type]
            continue
        if dob := _DOB.match(clause):
            facts.dates_of_birth.append(dob.group(1))
            continue
        if nationality := _NATIONALITY.match(clause):
            facts.nationalities.append(nationality.group(1))
            continue
        for kind, pattern in _IDENTIFIER_PATTERNS:
            found = pattern.search(clause)
            if found:
                country = found.group(2) if (found.lastindex or 0) >= 2 else None
                facts.identifiers.append(Identifier(kind=kind, value=found.group(1).strip(), country=country))
    return facts

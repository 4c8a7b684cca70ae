"""The entity model of a sanctions list entry, shared by every importer and the matcher.

One ``ListEntity`` per listed party, whatever the source format: names (primary and
aliases, with their strength), type, dates of birth, nationalities, addresses and
countries, identifiers, programs and remarks. ``ListVersion`` records one imported file
set: which source, when it was published, the sha256 of every file and what it held.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

EntityType = Literal["individual", "entity", "vessel", "aircraft"]
ENTITY_TYPES: tuple[str, ...] = EntityType.__args__  # type: ignore[attr-defined]

# What the user may ask for on the command line: "person" is the everyday word for "individual".
QUERY_TYPES: dict[str, EntityType] = {
    "person": "individual",
    "individual": "individual",
    "entity": "entity",
    "organization": "entity",
    "company": "entity",
    "vessel": "vessel",
    "aircraft": "aircraft",
}

NameKind = Literal["primary", "aka", "fka", "nka", "original_script"]
Strength = Literal["strong", "weak"]


class ScreeningModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListedName(ScreeningModel):
    """A name under which the entry is listed.

    ``weak`` follows the publishers: OFAC's low-quality a.k.a.s (quoted in remarks), the UN's
    ``Low`` quality aliases, the UK's ``Low quality`` alias strength, EU ``strong="false"``.
    """

    full: str
    kind: NameKind = "primary"
    strength: Strength = "strong"


class Identifier(ScreeningModel):
    """An identifying number. ``kind`` is upper-case: IMO, MMSI, BIC, LEI, PASSPORT, NATIONAL_ID,
    REGISTRATION, TAX_ID, CALL_SIGN or OTHER."""

    kind: str
    value: str
    country: str | None = None
    note: str | None = None


class Address(ScreeningModel):
    lines: list[str] = []
    city: str | None = None
    country: str | None = None  # as the source writes it (a name, or ISO alpha-2 for EU files)


class ListEntity(ScreeningModel):
    """One listed party. ``id`` is ``<SOURCE>:<the source's own id>`` (DESIGN.md)."""

    id: str
    source: str
    source_id: str
    type: EntityType
    names: list[ListedName]
    dates_of_birth: list[str] = []  # as written: "1962", "12 Jan 1960", "1960-01-12"
    nationalities: list[str] = []
    addresses: list[Address] = []
    countries: list[str] = []  # every country named for the entry (addresses, nationality, flag)
    identifiers: list[Identifier] = []
    programs: list[str] = []
    remarks: str = ""
    listed_on: str | None = None

    @property
    def primary_name(self) -> str:
        for name in self.names:
            if name.kind == "primary":
                return name.full
        return self.names[0].full


class SourceFile(ScreeningModel):
    name: str  # the file's base name (sdn.csv)
    sha256: str
    bytes: int


class ListVersion(ScreeningModel):
    """One import of one list: what was read, from where, and what it held."""

    version_id: str
    source: str  # OFAC-SDN, OFAC-CONS, UN, EU, UK, BIS-DPL (or SAMPLE for the bundled list)
    format: str  # importer name: ofac-sdn-csv, ofac-sdn-xml, ofac-cons-csv, un-xml, eu-xml, eu-csv, uk-csv, bis-dpl
    publication_date: str | None  # ISO date when the file states one
    imported_at: str  # ISO timestamp (UTC)
    files: list[SourceFile]
    counts: dict[str, int]  # entities, names, addresses, identifiers, individual, entity, vessel, aircraft

    @property
    def label(self) -> str:
        """How a screening result names the version: ``OFAC-SDN 2024-05-03 (sha256 1a2b3c4d)``."""
        date = self.publication_date or "undated"
        return f"{self.source} {date} (sha256 {self.files[0].sha256[:8]})"

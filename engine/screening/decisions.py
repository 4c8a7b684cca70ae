"""Reviewer decisions on screening hits, and the record of what was screened.

A compliance officer marks a hit (listed entry + the name that was screened) as a true or a
false positive, with who decided, when, why and until when the decision holds. A later
screening of the same name against the same entry respects an unexpired false-positive
decision — unless the listed entry itself changed since (a new list version gave it new
names, identifiers or programmes): the decision was taken on facts that no longer hold, so
the hit comes back for review.

Every screened query is also remembered (name, type, the entries it hit, the list versions
used), so that when a list version changes the affected queries can be screened again
(``rescreen``) and the new or vanished hits reported.

Storage: files under ``<data dir>/screening/`` (one JSON file per decision, one per screened
query), behind ``DecisionStore``; the service will move them to its database behind the same
methods.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.screening.model import ListEntity
from engine.screening.normalize import check_name, fold
from engine.screening.store import StoreError, default_data_dir

if TYPE_CHECKING:
    from engine.screening.match import Screener

Verdict = Literal["true_positive", "false_positive"]
M = TypeVar("M", bound=BaseModel)


class DecisionError(ValueError):
    """A decision that cannot be recorded (missing reviewer or reason, bad expiry, ...)."""


def query_key(query: str) -> str:
    """The form under which a screened name is remembered: folded (case, punctuation,
    diacritics and script do not matter), so "Acme Ltd." and "ACME LTD" share decisions."""
    return fold(check_name(query, what="query"))


def entry_fingerprint(entity: ListEntity) -> str:
    """A digest of what identifies a listed entry (names, identifiers, type, programmes);
    a decision taken on one fingerprint does not carry over to a changed entry."""
    material = {
        "type": entity.type,
        "names": sorted(n.full for n in entity.names),
        "identifiers": sorted(f"{i.kind}:{i.value}" for i in entity.identifiers),
        "programs": sorted(entity.programs),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]


class Decision(BaseModel):
    """One reviewer decision on one hit."""

    model_config = ConfigDict(extra="forbid")

    decision_id: str
    entry_id: str
    query: str  # the folded query (query_key)
    verdict: Verdict
    reviewer: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    decided_at: dt.datetime
    expires_at: dt.datetime | None = None  # None: until revoked
    list_version: str  # the list version the hit came from
    entry_fingerprint: str  # the entry as it was when decided

    @field_validator("reviewer", "reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    def active_at(self, when: dt.datetime) -> bool:
        return self.expires_at is None or when < self.expires_at


class ScreenedQuery(BaseModel):
    """What one query gave the last time it was screened."""

    model_config = ConfigDict(extra="forbid")

    query: str  # folded
    type: str | None = None
    entry_ids: list[str] = []
    list_versions: list[str] = []
    screened_at: dt.datetime


@dataclass(frozen=True)
class Rescreened:
    """A remembered query screened again against changed list versions."""

    query: str
    type: str | None
    previous_versions: list[str]
    current_versions: list[str]
    new_hits: list[str]  # entry ids hit now and not before: need review
    gone_hits: list[str]  # entry ids hit before and not now (delisted or changed)
    stale_decisions: list[str]  # decision ids whose entry changed since the decision


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise DecisionError(f"{value.isoformat()}: give a time zone (e.g. 2026-03-01T12:00:00+00:00)")
    return value.astimezone(dt.UTC)


def _file_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class DecisionStore:
    """Reviewer decisions and screened queries, kept as JSON files under ``root``."""

    def __init__(self, data_dir: Path | str | None = None, *, record_queries: bool = True) -> None:
        base = Path(data_dir if data_dir is not None else default_data_dir())
        self.record_queries = record_queries  # remember screened queries for re-screening
        self.root = base / "screening"
        self.decisions_dir = self.root / "decisions"
        self.queries_dir = self.root / "queries"

    # ------------------------------------------------------------------ files

    def _write(self, folder: Path, name: str, model: BaseModel) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(model.model_dump_json(indent=2))
        os.replace(temporary, folder / f"{name}.json")

    def _read_all(self, folder: Path, model: type[M]) -> list[M]:
        if not folder.is_dir():
            return []
        found: list[M] = []
        for path in sorted(folder.glob("*.json")):
            try:
                found.append(model.model_validate_json(path.read_text(encoding="utf-8")))
            except (OSError, ValidationError) as err:
                detail = err.errors()[0] if isinstance(err, ValidationError) else None
                where = ".".join(str(x) for x in detail["loc"]) if detail else ""
                message = detail["msg"] if detail else str(err)
                raise StoreError(f"{path}: damaged decision file ({where}: {message})".replace(" (: ", " (")) from None
        return found

    # ------------------------------------------------------------------ decisions

    def record(self, *, entity: ListEntity, query: str, verdict: Verdict, reviewer: str, reason: str,
               list_version: str, decided_at: dt.datetime | None = None,
               expires_at: dt.datetime | None = None) -> Decision:
        """Record a decision on the hit of ``entity`` for ``query``; a new decision on the same
        hit replaces the previous one (the file keeps the latest; the audit log keeps history)."""
        decided = _utc(decided_at) if decided_at is not None else dt.datetime.now(dt.UTC)
        expires = _utc(expires_at) if expires_at is not None else None
        if expires is not None and expires <= decided:
            raise DecisionError(f"expiry {expires.isoformat()} is not after the decision time {decided.isoformat()}")
        key = query_key(query)
        try:
            decision = Decision(
                decision_id=_file_key(entity.id, key), entry_id=entity.id, query=key, verdict=verdict,
                reviewer=reviewer, reason=reason, decided_at=decided, expires_at=expires,
                list_version=list_version, entry_fingerprint=entry_fingerprint(entity),
            )
        except ValidationError as err:
            first = err.errors()[0]
            raise DecisionError(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
        self._write(self.decisions_dir, decision.decision_id, decision)
        return decision

    def decisions(self) -> list[Decision]:
        return self._read_all(self.decisions_dir, Decision)

    def lookup(self, entity: ListEntity, query: str, at: dt.datetime | None = None) -> Decision | None:
        """The decision that applies to this hit now: same entry, same (folded) query, not
        expired, and taken on the entry as it is listed now. None otherwise."""
        when = _utc(at) if at is not None else dt.datetime.now(dt.UTC)
        path = self.decisions_dir / f"{_file_key(entity.id, query_key(query))}.json"
        if not path.is_file():
            return None
        try:
            decision = Decision.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as err:
            raise StoreError(f"{path}: damaged decision file ({err})") from None
        if not decision.active_at(when) or decision.entry_fingerprint != entry_fingerprint(entity):
            return None
        return decision

    # ------------------------------------------------------------------ screened queries

    def remember(self, query: str, type: str | None, entry_ids: Iterable[str], list_versions: Iterable[str]) -> None:
        if not self.record_queries:
            return
        key = query_key(query)
        self._write(self.queries_dir, _file_key(key, type or ""), ScreenedQuery(
            query=key, type=type, entry_ids=sorted(set(entry_ids)), list_versions=sorted(list_versions),
            screened_at=dt.datetime.now(dt.UTC)))

    def screened(self) -> list[ScreenedQuery]:
        return self._read_all(self.queries_dir, ScreenedQuery)

    def rescreen(self, screener: Screener, threshold: float | None = None) -> list[Rescreened]:
        """Screen again every remembered query made against other list versions than the
        screener's; report new and vanished hits and the decisions the change made stale."""
        current = sorted(v.version_id for v in screener.versions)
        decisions = {(d.entry_id, d.query): d for d in self.decisions()}
        results: list[Rescreened] = []
        for remembered in self.screened():
            if remembered.list_versions == current:
                continue
            matches = screener.screen(remembered.query, type=remembered.type, threshold=threshold)
            now_ids = {m.entity.id for m in matches}
            stale = []
            for match in matches:
                decision = decisions.get((match.entity.id, remembered.query))
                if decision is not None and decision.entry_fingerprint != entry_fingerprint(match.entity):
                    stale.append(decision.decision_id)
            results.append(Rescreened(
                query=remembered.query, type=remembered.type, previous_versions=remembered.list_versions,
                current_versions=current, new_hits=sorted(now_ids - set(remembered.entry_ids)),
                gone_hits=sorted(set(remembered.entry_ids) - now_ids), stale_decisions=sorted(stale)))
            self.remember(remembered.query, remembered.type, now_ids, current)
        return results


__all__ = ["Decision", "DecisionError", "DecisionStore", "Rescreened", "ScreenedQuery", "entry_fingerprint",
           "query_key"]

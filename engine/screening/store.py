"""The list store: imported list versions kept as files, one active version per source.

Layout under ``$BLOCKTRADE_DATA_DIR`` (default ``./var``)::

    sanctions/versions/<version_id>/version.json    the ListVersion (source, date, sha256, counts)
    sanctions/versions/<version_id>/entities.jsonl  one ListEntity per line
    sanctions/active.json                           {source: version_id}

An import parses the whole file set first; only then is the version written (to a temporary
folder renamed into place) and the active pointer switched (a temporary file renamed over
``active.json``). A file that does not parse raises before anything is written, so the
previous version stays active. The service issue will put this behind a database; callers
use only ``ListStore``'s methods.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from engine.screening.importers import ParsedList, parse_files
from engine.screening.model import ListEntity, ListVersion

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "sanctions_data" / "sample"
MANIFEST = REPO_ROOT / "sanctions_data" / "manifest.yaml"


class StoreError(Exception):
    """The store cannot do what was asked (unknown version, damaged store file)."""


def default_data_dir() -> Path:
    return Path(os.environ.get("BLOCKTRADE_DATA_DIR") or "var")


def _version_of(parsed: ParsedList) -> ListVersion:
    combined = hashlib.sha256("".join(sorted(f.sha256 for f in parsed.files)).encode()).hexdigest()
    version_id = f"{parsed.source}-{parsed.publication_date or 'undated'}-{combined[:12]}"
    return ListVersion(
        version_id=version_id, source=parsed.source, format=parsed.format,
        publication_date=parsed.publication_date,
        imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        files=parsed.files, counts=parsed.counts(),
    )


class ListStore:
    """Versions of the sanctions lists, kept as files under ``root``."""

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.root = Path(data_dir if data_dir is not None else default_data_dir()) / "sanctions"
        self.versions_dir = self.root / "versions"
        self.active_file = self.root / "active.json"

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def import_files(self, paths: list[Path], *, format: str | None = None, source: str | None = None,
                     publication_date: str | None = None) -> ListVersion:
        """Parse ``paths`` completely, store them as a new version, make it the active one for
        its source. Raises ``ListFormatError`` (nothing written, previous version still active)."""
        parsed = parse_files([Path(p) for p in paths], format=format, source=source,
                             publication_date=publication_date)
        return self.store_parsed(parsed)

    def store_parsed(self, parsed: ParsedList) -> ListVersion:
        version = _version_of(parsed)
        with self._locked():
            target = self.versions_dir / version.version_id
            if not (target / "version.json").is_file():
                self.versions_dir.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=".importing-", dir=self.versions_dir))
                try:
                    with (staging / "entities.jsonl").open("w", encoding="utf-8") as out:
                        for entity in parsed.entities:
                            out.write(entity.model_dump_json(exclude_defaults=True))
                            out.write("\n")
                    (staging / "version.json").write_text(version.model_dump_json(indent=2), encoding="utf-8")
                    if target.exists():  # a damaged earlier attempt: replace it
                        shutil.rmtree(target)
                    staging.rename(target)
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
            else:
                version = self.version(version.version_id)
            active = self._read_active()
            active[version.source] = version.version_id
            self._write_active(active)
        return version

    def activate(self, version_id: str) -> ListVersion:
        """Make a stored version the active one for its source (e.g. to roll back)."""
        version = self.version(version_id)
        with self._locked():
            active = self._read_active()
            active[version.source] = version.version_id
            self._write_active(active)
        return version

    def _write_active(self, active: dict[str, str]) -> None:
        handle, temporary = tempfile.mkstemp(prefix=".active-", dir=self.root)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(dict(sorted(active.items())), out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.active_file)

    # ------------------------------------------------------------------ reading

    def _read_active(self) -> dict[str, str]:
        if not self.active_file.is_file():
            return {}
        try:
            active = json.loads(self.active_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise StoreError(f"{self.active_file}: damaged ({err})") from None
        if not isinstance(active, dict) or not all(isinstance(v, str) for v in active.values()):
            raise StoreError(f"{self.active_file}: damaged (expected an object of source -> version id)")
        return active

    def version(self, version_id: str) -> ListVersion:
        path = self.versions_dir / version_id / "version.json"
        if not path.is_file():
            raise StoreError(f"no list version {version_id!r} in {self.versions_dir}")
        try:
            return ListVersion.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as err:
            raise StoreError(f"{path}: damaged ({err.errors()[0]['msg']})") from None

    def versions(self) -> list[ListVersion]:
        """Every stored version, newest import first."""
        if not self.versions_dir.is_dir():
            return []
        found = [self.version(p.name) for p in self.versions_dir.iterdir()
                 if p.is_dir() and not p.name.startswith(".") and (p / "version.json").is_file()]
        return sorted(found, key=lambda v: v.imported_at, reverse=True)

    def active_versions(self) -> list[ListVersion]:
        return [self.version(version_id) for _, version_id in sorted(self._read_active().items())]

    def entities(self, version_id: str) -> list[ListEntity]:
        path = self.versions_dir / version_id / "entities.jsonl"
        if not path.is_file():
            raise StoreError(f"list version {version_id!r} has no entities file at {path}")
        entities = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    entities.append(ListEntity.model_validate_json(line))
                except ValidationError as err:
                    raise StoreError(f"{path}:{number}: damaged ({err.errors()[0]['msg']})") from None
        expected = self.version(version_id).counts.get("entities")
        if expected != len(entities):
            raise StoreError(f"{path}: holds {len(entities)} entities, version.json says {expected}")
        return entities

    def active_lists(self) -> list[tuple[ListVersion, list[ListEntity]]]:
        """The active version of each source with its entities; the bundled sample when the
        store holds none (so screening works offline out of the box)."""
        active = self.active_versions()
        if not active:
            return [load_sample()]
        return [(version, self.entities(version.version_id)) for version in active]


def load_sample() -> tuple[ListVersion, list[ListEntity]]:
    """The small fictional list shipped in ``sanctions_data/sample`` (OFAC legacy CSV layout),
    under the source name SAMPLE so its ids can never be taken for real OFAC entries."""
    paths = sorted(SAMPLE_DIR.glob("*.csv"))
    parsed = parse_files(paths, format="ofac-sdn-csv", source="SAMPLE")
    parsed.publication_date = parsed.publication_date or "2026-01-01"
    return _version_of(parsed), parsed.entities

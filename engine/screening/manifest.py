"""``sanctions_data/manifest.yaml``: each official list's download addresses and format."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from engine.screening.importers import IMPORTERS
from engine.screening.store import MANIFEST


class ManifestError(Exception):
    pass


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    title: str
    publisher: str
    format: str
    files: list[str]


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lists: list[ManifestEntry]


def load_manifest(path: Path = MANIFEST) -> Manifest:
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as err:
        raise ManifestError(f"{path}: cannot be read ({err})") from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        raise ManifestError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    for number, entry in enumerate(manifest.lists):
        if entry.format not in IMPORTERS:
            raise ManifestError(f"{path}: lists.{number}.format: unknown format {entry.format!r}")
    return manifest

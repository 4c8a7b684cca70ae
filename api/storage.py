"""Content-addressed file storage: a file's name is the SHA-256 of its bytes.

Behind the small ``BlobStore`` interface so an object store (S3, MinIO) can replace the
local disk without touching callers. Writes go to a temporary file in the same folder and
are renamed into place, so a reader never sees a half-written blob and two writers of the
same content cannot corrupt each other.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class StorageError(Exception):
    pass


class BlobStore(Protocol):
    def put_file(self, path: Path) -> str:
        """Store the file's bytes; return their sha256 hex."""

    def put_bytes(self, data: bytes) -> str: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...

    def path_of(self, sha256: str) -> Path:
        """A local path to read the blob from (a cached copy for remote stores)."""


class LocalBlobStore:
    """Blobs under ``<root>/blobs/ab/cd/abcd…`` (two fan-out levels keep folders small)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "blobs"

    def path_of(self, sha256: str) -> Path:
        if not SHA256_HEX.match(sha256):
            raise StorageError(f"{sha256!r} is not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        path = self.path_of(sha256)
        if not path.is_file():
            raise StorageError(f"blob {sha256} is not in the store at {self.root}")
        return path.open("rb")

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self.exists(digest):
            self._write(digest, [data])
        return digest

    def put_file(self, path: Path) -> str:
        hasher = hashlib.sha256()
        with Path(path).open("rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                hasher.update(chunk)
        digest = hasher.hexdigest()
        if not self.exists(digest):
            with Path(path).open("rb") as handle:
                self._write(digest, iter(lambda: handle.read(CHUNK), b""))
        return digest

    def _write(self, digest: str, chunks: object) -> None:
        target = self.path_of(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:  # type: ignore[attr-defined]
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if hasher.hexdigest() != digest:  # the source changed under us
                raise StorageError(f"content changed while storing blob {digest}")
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

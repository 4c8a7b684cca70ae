"""Checks on uploaded bundles before anything is stored: sizes, content sniffing, zip safety.

Everything is staged in a temporary folder first; only when every file passed are blobs
stored and rows written, so a rejected upload leaves nothing behind.
"""

from __future__ import annotations

import json
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from api.errors import ApiError
from api.settings import Settings

CHUNK = 256 * 1024

# the content types we accept, recognised by their first bytes (never by name or header)
ACCEPTED = ("application/pdf", "image/png", "image/jpeg", "image/tiff", "text/plain", "application/json")
IGNORED_ZIP_ENTRIES = ("__MACOSX/",)
IGNORED_NAMES = (".DS_Store", "Thumbs.db")


@dataclass(frozen=True)
class StagedFile:
    name: str  # the file name in the bundle (no folders)
    path: Path  # where it is staged
    size: int
    content_type: str


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "application/zip"
    if not head or b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not just a multi-byte character cut at the end of the sample
            try:
                text = head.decode("latin-1")
            except UnicodeDecodeError:
                return None
        else:
            text = head[: err.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\r\n\t\f" for c in text):
        return None
    return "application/json" if text.lstrip().startswith("{") else "text/plain"


def safe_name(raw: str, where: str) -> str:
    """A bundle file name without folders; refuses anything that could escape the bundle."""
    if not raw or "\x00" in raw:
        raise ApiError(422, "invalid_file_name", f"{where}: empty or invalid file name")
    posix = PurePosixPath(raw.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or (len(raw) > 1 and raw[1] == ":"):
        raise ApiError(422, "unsafe_path", f"{where}: entry {raw!r} points outside the bundle",
                       {"entry": raw})
    name = posix.name
    if not name or name in (".", ".."):
        raise ApiError(422, "invalid_file_name", f"{where}: entry {raw!r} has no file name")
    if len(name) > 200:
        raise ApiError(422, "invalid_file_name", f"{where}: file name longer than 200 characters")
    return name


class Stager:
    def __init__(self, settings: Settings, folder: Path) -> None:
        self.settings = settings
        self.folder = folder
        self.files: dict[str, StagedFile] = {}
        self.total = 0

    def _check_counts(self, name: str, size: int) -> None:
        if len(self.files) >= self.settings.max_files:
            raise ApiError(413, "too_many_files", f"a bundle holds at most {self.settings.max_files} files")
        if size > self.settings.max_file_bytes:
            raise ApiError(413, "file_too_large",
                           f"{name}: larger than the limit of {self.settings.max_file_bytes} bytes",
                           {"file": name, "limit": self.settings.max_file_bytes})

    def add_stream(self, raw_name: str, read: object, where: str) -> StagedFile | Path:
        """Copy a stream to the staging folder under its safe name, enforcing the size limits.

        Returns the staged file, or the path of a zip (to be unpacked by ``add_zip``)."""
        name = safe_name(raw_name, where)
        if name in self.files:
            raise ApiError(422, "duplicate_file_name", f"{name}: two files of the bundle have this name",
                           {"file": name})
        target = self.folder / f"{len(self.files):03d}-{name}"
        size = 0
        head = b""
        with target.open("wb") as out:
            while True:
                chunk = read(CHUNK)  # type: ignore[operator]
                if not chunk:
                    break
                size += len(chunk)
                self.total += len(chunk)
                self._check_counts(name, size)
                if self.total > self.settings.max_upload_bytes:
                    raise ApiError(413, "upload_too_large",
                                   f"the bundle is larger than the limit of {self.settings.max_upload_bytes} bytes")
                if len(head) < 2048:
                    head += chunk[: 2048 - len(head)]
                out.write(chunk)
        if name in IGNORED_NAMES:
            target.unlink()
            return target
        content_type = sniff(head)
        if content_type == "application/zip":
            return target
        if content_type is None:
            raise ApiError(415, "unsupported_content",
                           f"{name}: not a PDF, PNG, JPEG, TIFF, text or JSON file (content sniffed)",
                           {"file": name, "accepted": list(ACCEPTED)})
        if name == "presentation.json":
            _check_presentation_json(target)
        staged = StagedFile(name, target, size, content_type)
        self.files[name] = staged
        return staged

    def add_zip(self, path: Path, zip_name: str) -> None:
        settings = self.settings
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise ApiError(422, "bad_zip", f"{zip_name}: not a readable zip archive") from None
        with archive:
            entries = archive.infolist()
            if len(entries) > settings.max_files * 4:
                raise ApiError(413, "too_many_files", f"{zip_name}: {len(entries)} entries is too many")
            declared = 0
            for info in entries:
                if info.flag_bits & 0x1:
                    raise ApiError(422, "encrypted_zip", f"{zip_name}: entry {info.filename} is encrypted")
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise ApiError(422, "unsafe_path", f"{zip_name}: entry {info.filename} is a symbolic link",
                                   {"entry": info.filename})
                safe_name(info.filename.rstrip("/") or info.filename, zip_name)  # traversal check on every entry
                declared += info.file_size
                if info.compress_size and info.file_size / info.compress_size > settings.max_zip_ratio:
                    raise ApiError(413, "zip_bomb",
                                   f"{zip_name}: entry {info.filename} expands {info.file_size // info.compress_size}"
                                   f" times (limit {settings.max_zip_ratio}); refused as a possible zip bomb",
                                   {"entry": info.filename})
            if declared > settings.max_zip_total_bytes:
                raise ApiError(413, "zip_bomb", f"{zip_name}: unpacks to {declared} bytes, more than the limit of "
                               f"{settings.max_zip_total_bytes}")
            unpacked = 0
            for info in entries:
                if info.is_dir() or info.filename.startswith(IGNORED_ZIP_ENTRIES):
                    continue
                with archive.open(info) as member:
                    def read(n: int, member: object = member) -> bytes:
                        nonlocal unpacked
                        chunk: bytes = member.read(n)  # type: ignore[attr-defined]
                        unpacked += len(chunk)
                        # the header sizes can lie; count what actually comes out
                        if unpacked > settings.max_zip_total_bytes:
                            raise ApiError(413, "zip_bomb", f"{zip_name}: unpacks to more than "
                                           f"{settings.max_zip_total_bytes} bytes")
                        return chunk

                    saved_total = self.total
                    result = self.add_stream(info.filename, read, f"{zip_name}!{info.filename}")
                    self.total = saved_total  # unpacked bytes count against the zip limit, not the upload
                    if isinstance(result, Path) and result.exists():
                        raise ApiError(422, "nested_zip", f"{zip_name}: entry {info.filename} is itself a zip; "
                                       "put all files in one archive")


def _check_presentation_json(path: Path) -> None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ApiError(422, "invalid_presentation_json", f"presentation.json: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_presentation_json", "presentation.json: must be a JSON object")

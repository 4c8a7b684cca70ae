"""Hash and Ed25519 signature of a rendered report, and their verification.

The report bytes as rendered (a complete PDF, or an HTML page) are hashed with SHA-256 and
the hash is signed together with the length and the key id. The result is appended as one
trailing comment line — ``%BLOCKTRADE-SIGNATURE {json}`` after a PDF's ``%%EOF`` (PDF readers
ignore comments there) or ``<!-- BLOCKTRADE-SIGNATURE {json} -->`` after an HTML page — so the
file stays readable and ``verify_report`` can recompute the hash of everything before it.

The signing key is ``$BLOCKTRADE_DATA_DIR/keys/report-signing.pem`` (PKCS#8); when absent it
is generated, and its public key is exported beside it as ``report-signing.pub.pem`` for
whoever must verify reports elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PDF_MARK = b"\n%BLOCKTRADE-SIGNATURE "
HTML_MARK = b"\n<!-- BLOCKTRADE-SIGNATURE "
HTML_END = b" -->\n"
SIGNATURE_VERSION = 1
PRIVATE_KEY_NAME = "report-signing.pem"
PUBLIC_KEY_NAME = "report-signing.pub.pem"


class SignatureError(Exception):
    """A report that cannot be signed or verified; the message names the file."""


def data_dir() -> Path:
    return Path(os.environ.get("BLOCKTRADE_DATA_DIR") or "./var")


def key_dir() -> Path:
    return data_dir() / "keys"


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw public key: short enough to read aloud."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_or_create_signing_key(directory: Path | None = None) -> Ed25519PrivateKey:
    """The report-signing key of this installation, generated on first use."""
    directory = directory or key_dir()
    private_path = directory / PRIVATE_KEY_NAME
    if private_path.exists():
        try:
            key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        except (ValueError, TypeError, OSError) as err:
            raise SignatureError(f"{private_path}: not a readable unencrypted PEM private key ({err})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SignatureError(f"{private_path}: expected an Ed25519 key, found {type(key).__name__}")
        return key
    key = Ed25519PrivateKey.generate()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Owner-only from the first byte written: never a moment with a readable private key.
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        export_public_key(key.public_key(), directory / PUBLIC_KEY_NAME)
    except OSError as err:
        raise SignatureError(f"{directory}: cannot store the report-signing key: {err.strerror}") from None
    return key


def export_public_key(public_key: Ed25519PublicKey, path: Path) -> Path:
    path.write_bytes(
        public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (ValueError, OSError) as err:
        raise SignatureError(f"{path}: not a readable PEM public key ({err})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError(f"{path}: expected an Ed25519 public key, found {type(key).__name__}")
    return key


def trusted_public_key(directory: Path | None = None) -> Ed25519PublicKey | None:
    """The installation's public key, when it has one (exported file or the private key)."""
    directory = directory or key_dir()
    if (directory / PUBLIC_KEY_NAME).exists():
        return load_public_key(directory / PUBLIC_KEY_NAME)
    if (directory / PRIVATE_KEY_NAME).exists():
        return load_or_create_signing_key(directory).public_key()
    return None


def _signed_message(digest: str, length: int, kid: str) -> bytes:
    return f"blocktrade-report/v{SIGNATURE_VERSION}\nsha256={digest}\nlength={length}\nkey={kid}".encode()


def sign_bytes(document: bytes, kind: str, key: Ed25519PrivateKey) -> bytes:
    """``document`` with its signature trailer appended; ``kind`` is "pdf" or "html"."""
    digest = hashlib.sha256(document).hexdigest()
    kid = key_id(key.public_key())
    signature = key.sign(_signed_message(digest, len(document), kid))
    block = {
        "v": SIGNATURE_VERSION,
        "alg": "Ed25519",
        "sha256": digest,
        "length": len(document),
        "key_id": kid,
        "public_key": base64.b64encode(
            key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        ).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    text = json.dumps(block, separators=(",", ":"), sort_keys=True).encode("ascii")
    if kind == "pdf":
        return document + PDF_MARK + text + b"\n"
    if kind == "html":
        return document + HTML_MARK + text + HTML_END
    raise SignatureError(f"cannot sign a report of kind {kind!r}")


@dataclass(frozen=True)
class Verification:
    """What ``verify_report`` established about a file."""

    path: Path
    valid: bool
    reason: str
    sha256: str = ""
    key_id: str = ""
    trusted_key: bool = False  # signed by the key we were told to trust, not just self-consistent


def _split(data: bytes) -> tuple[bytes, dict[str, object]] | str:
    for mark, end in ((PDF_MARK, b"\n"), (HTML_MARK, HTML_END)):
        position = data.rfind(mark)
        if position == -1:
            continue
        if not data.endswith(end):
            return "the signature trailer is not the last thing in the file (bytes were appended)"
        raw = data[position + len(mark) : len(data) - len(end)]
        try:
            block = json.loads(raw)
        except ValueError:
            return "the signature trailer is not valid JSON"
        if not isinstance(block, dict):
            return "the signature trailer is not a JSON object"
        return data[:position], block
    return "the file carries no BlockTrade signature"


def verify_report(path: Path, public_key: Ed25519PublicKey | None = None) -> Verification:
    """Check the hash and the signature of a signed report.

    With ``public_key`` (or, when not given, the installation's own key if it has one), the
    signature must also be by that key; otherwise only the embedded key is checked and
    ``trusted_key`` is False.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        return Verification(path, False, f"cannot read the file: {err.strerror}")
    split = _split(data)
    if isinstance(split, str):
        return Verification(path, False, split)
    document, block = split
    try:
        digest, length, kid = str(block["sha256"]), int(block["length"]), str(block["key_id"])  # type: ignore[call-overload]
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(block["public_key"]), validate=True))
        signature = base64.b64decode(str(block["signature"]), validate=True)
    except (KeyError, ValueError, TypeError) as err:
        return Verification(path, False, f"the signature trailer is malformed ({err})")
    if block.get("alg") != "Ed25519" or block.get("v") != SIGNATURE_VERSION:
        return Verification(path, False, f"unsupported signature {block.get('alg')!r} v{block.get('v')!r}")
    actual = hashlib.sha256(document).hexdigest()
    if len(document) != length or actual != digest:
        return Verification(path, False, "the content was changed after signing: its SHA-256 does not match",
                            actual, kid)
    if key_id(embedded) != kid:
        return Verification(path, False, "the key id does not belong to the embedded public key", actual, kid)
    try:
        embedded.verify(signature, _signed_message(digest, length, kid))
    except InvalidSignature:
        return Verification(path, False, "the signature does not match the hash", actual, kid)
    trusted = public_key if public_key is not None else trusted_public_key()
    if trusted is not None and key_id(trusted) != kid:
        return Verification(path, False, f"signed by key {kid}, not by the trusted key {key_id(trusted)}",
                            actual, kid)
    reason = "hash and signature are valid"
    if trusted is None:
        reason += " (no trusted key configured: the signer's identity is not established)"
    return Verification(path, True, reason, actual, kid, trusted_key=trusted is not None)

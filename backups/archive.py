"""The backup file: a manifest, the snapshot encrypted in chunks, and a checksum at the end.

Layout: ``MAGIC``, manifest length (4 bytes) and manifest JSON, then chunks (4-byte length and
AES-256-GCM ciphertext), then the SHA-256 of everything before it. Each chunk's nonce is a
random prefix and the chunk's number; its associated data binds the manifest and says whether
it is the last, so chunks cannot be reordered, dropped or cut off unnoticed. The file is
written under a ``.partial`` name and renamed only when complete.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backups.exceptions import CorruptBackupError, WrongKeyError

MAGIC = b"ANXIN-BACKUP-1\n"
CHUNK = 1 << 20
SUFFIX = ".anxbak"
PARTIAL = ".partial"
DIGEST = hashlib.sha256().digest_size


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds; readable without the key (no personal data in it)."""

    created_at: str
    dialect: str
    revisions: list[str]
    counts: dict[str, int]
    key_id: str
    snapshot_bytes: int
    nonce_prefix: str

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)


def key_id(key: bytes) -> str:
    """A short name of the key, stored in the manifest, that tells a wrong key at once."""
    return hmac.new(key, b"anxin backup key id", hashlib.sha256).hexdigest()[:16]


def write(snapshot: Path, target: Path, *, key: bytes, manifest: Manifest) -> Path:
    """Encrypt ``snapshot`` into ``target`` (via ``target.partial``); returns ``target``."""
    partial = target.with_name(target.name + PARTIAL)
    header = manifest.to_bytes()
    aead, prefix = AESGCM(key), bytes.fromhex(manifest.nonce_prefix)
    checksum = hashlib.sha256()
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, snapshot.open("rb") as source:
        _out(out, checksum, MAGIC + struct.pack(">I", len(header)) + header)
        for number, (chunk, last) in enumerate(_chunks(source)):
            sealed = aead.encrypt(prefix + struct.pack(">I", number), chunk,
                                  _associated(header, last))
            _out(out, checksum, struct.pack(">I", len(sealed)) + sealed)
        out.write(checksum.digest())
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    return target


def _out(out: BinaryIO, checksum: Any, data: bytes) -> None:
    out.write(data)
    checksum.update(data)


def _chunks(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        yield chunk, not following
        if not following:
            return
        chunk = following


def _associated(header: bytes, last: bool) -> bytes:
    return hashlib.sha256(header).digest() + (b"L" if last else b"-")


def read_manifest(path: Path) -> Manifest:
    """The manifest of a complete, unchanged file; CorruptBackupError otherwise."""
    verify(path)
    with path.open("rb") as source:
        return _header(source)[0]


def verify(path: Path) -> None:
    """Check the whole file against its closing checksum."""
    size = path.stat().st_size
    if size < len(MAGIC) + 4 + DIGEST:
        raise CorruptBackupError(f"{path.name} is too short to be a backup (cut off?)")
    checksum = hashlib.sha256()
    with path.open("rb") as source:
        left = size - DIGEST
        while left:
            block = source.read(min(CHUNK, left))
            checksum.update(block)
            left -= len(block)
        if not hmac.compare_digest(checksum.digest(), source.read(DIGEST)):
            raise CorruptBackupError(f"{path.name} is damaged: its checksum does not match "
                                     f"(cut off or changed after it was written)")


def _header(source: BinaryIO) -> tuple[Manifest, bytes]:
    if source.read(len(MAGIC)) != MAGIC:
        raise CorruptBackupError("not an Anxin backup file")
    (length,) = struct.unpack(">I", source.read(4))
    header = source.read(length)
    try:
        return Manifest.from_bytes(header), header
    except (ValueError, TypeError) as error:
        raise CorruptBackupError("the backup's manifest cannot be read") from error


def decrypt(path: Path, target: Path, *, key: bytes) -> Manifest:
    """Check and decrypt ``path`` into ``target`` (made 0600); returns the manifest."""
    verify(path)
    end = path.stat().st_size - DIGEST
    with path.open("rb") as source:
        manifest, header = _header(source)
        if manifest.key_id != key_id(key):
            raise WrongKeyError("this backup was made with another backup key (set "
                                "ANXIN_BACKUP_KEY, or ANXIN_SECRET_KEY, to the one in use then)")
        aead, prefix = AESGCM(key), bytes.fromhex(manifest.nonce_prefix)
        fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            number = 0
            while source.tell() < end:
                (length,) = struct.unpack(">I", source.read(4))
                sealed = source.read(length)
                last = source.tell() >= end
                try:
                    out.write(aead.decrypt(prefix + struct.pack(">I", number), sealed,
                                           _associated(header, last)))
                except InvalidTag as error:
                    raise WrongKeyError("the backup does not open with this key") from error
                number += 1
    return manifest

"""Face templates at rest: 128 floats sealed with AES-GCM; photos are kept only as SHA-256."""

from __future__ import annotations

import hashlib
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from liveness.exceptions import TemplateKeyError

TEMPLATE_SIZE = 128
_HKDF_INFO = b"anxin liveness face templates v1"


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 256-bit key for one purpose from a secret (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=purpose).derive(secret.encode())


def derive_template_key(secret: str) -> bytes:
    return derive_key(secret, _HKDF_INFO)


def seal_template(key: bytes, template: list[float], *, senior_id: int) -> bytes:
    """nonce ‖ ciphertext; the senior's id is bound as associated data (no swapping rows)."""
    if len(template) != TEMPLATE_SIZE:
        raise ValueError(f"a face template has {TEMPLATE_SIZE} values, not {len(template)}")
    nonce = os.urandom(12)
    plain = struct.pack(f"<{TEMPLATE_SIZE}d", *template)
    return nonce + AESGCM(key).encrypt(nonce, plain, _associated(senior_id))


def open_template(key: bytes, sealed: bytes, *, senior_id: int) -> list[float]:
    try:
        plain = AESGCM(key).decrypt(sealed[:12], sealed[12:], _associated(senior_id))
    except InvalidTag as error:
        raise TemplateKeyError("a face template could not be decrypted with this key") from error
    return list(struct.unpack(f"<{TEMPLATE_SIZE}d", plain))


def photo_digest(photo: bytes) -> str:
    return hashlib.sha256(photo).hexdigest()


def _associated(senior_id: int) -> bytes:
    return f"senior:{senior_id}".encode()

"""Biometric data at rest: face templates (128 floats) and audit thumbnails, each sealed with
AES-GCM under a key derived from ANXIN_BIOMETRIC_KEY; photos are kept only as SHA-256."""

from __future__ import annotations

import hashlib
import struct

from config.keys import SealError, seal, unseal
from liveness.exceptions import TemplateKeyError

TEMPLATE_SIZE = 128


def seal_template(key: bytes, template: list[float], *, senior_id: int) -> bytes:
    """nonce ‖ ciphertext; the senior's id is bound as associated data (no swapping rows)."""
    if len(template) != TEMPLATE_SIZE:
        raise ValueError(f"a face template has {TEMPLATE_SIZE} values, not {len(template)}")
    plain = struct.pack(f"<{TEMPLATE_SIZE}d", *template)
    return seal(key, plain, associated=_senior(senior_id))


def open_template(key: bytes, sealed: bytes, *, senior_id: int) -> list[float]:
    try:
        plain = unseal(key, sealed, associated=_senior(senior_id))
    except SealError as error:
        raise TemplateKeyError("a face template could not be decrypted with this key") from error
    return list(struct.unpack(f"<{TEMPLATE_SIZE}d", plain))


def seal_frame(key: bytes, jpeg: bytes, *, decision_id: int) -> bytes:
    """An audit thumbnail sealed to its decision record."""
    return seal(key, jpeg, associated=_decision(decision_id))


def open_frame(key: bytes, sealed: bytes, *, decision_id: int) -> bytes:
    try:
        return unseal(key, sealed, associated=_decision(decision_id))
    except SealError as error:
        raise TemplateKeyError("an audit frame could not be decrypted with this key") from error


def photo_digest(photo: bytes) -> str:
    return hashlib.sha256(photo).hexdigest()


def _senior(senior_id: int) -> bytes:
    return f"senior:{senior_id}".encode()


def _decision(decision_id: int) -> bytes:
    return f"audit-frame:{decision_id}".encode()

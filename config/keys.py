"""One key per purpose: HKDF-SHA256 of a root secret with a purpose label, and AES-GCM sealing.

Links, webhook secrets at rest and sessions each get their own key derived from
ANXIN_SECRET_KEY, so a key that leaks from one use opens nothing else. Biometric data has its
own root, ANXIN_BIOMETRIC_KEY, named by a key id stored beside every sealed row so that a
rotation can tell which rows to re-encrypt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from config.settings import Settings

NONCE_BYTES = 12


class Purpose(StrEnum):
    """What a key derived from ANXIN_SECRET_KEY is for; the value is its HKDF label."""

    PROVIDER_LINKS = "provider-links"
    CAPTURE_LINKS = "capture-links"
    WEBHOOK_SECRETS = "provider-webhook-secrets"  # seals each provider's secret at rest
    SESSIONS = "sessions"
    WECHAT_LINKS = "wechat-binding-links"  # links families open to bind their WeChat
    MESSAGE_RECEIPTS = "message-receipts"  # the secret path of gateways' receipt callbacks
    RECORDINGS = "call-recordings"  # seals recorded calls at rest
    BACKUPS = "backups"  # used when ANXIN_BACKUP_KEY is not set


class BiometricPurpose(StrEnum):
    """What a key derived from ANXIN_BIOMETRIC_KEY is for."""

    # The label templates were sealed under before keys had purposes: kept, so templates
    # sealed with ANXIN_BIOMETRIC_KEY before the upgrade still open.
    TEMPLATES = "anxin liveness face templates v1"
    AUDIT_FRAMES = "anxin liveness audit frames v1"
    KEY_ID = "anxin biometric key id v1"


class SealError(ValueError):
    """Sealed bytes that do not open with this key and associated data."""


def derive(root: str, label: str) -> bytes:
    """A 256-bit key for one label from a root secret (HKDF-SHA256, no salt)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=label.encode()).derive(root.encode())


def purpose_key(settings: Settings, purpose: Purpose) -> bytes:
    """The key for ``purpose``; call only after ``prepare_secrets``."""
    return derive(settings.secret(), f"anxin {purpose.value} v1")


@dataclass(frozen=True, slots=True)
class BiometricKey:
    """The keys of one biometric root, and the id that names the root in stored rows."""

    key_id: str
    templates: bytes
    audit_frames: bytes

    @classmethod
    def of(cls, root: str) -> BiometricKey:
        return cls(key_id=derive(root, BiometricPurpose.KEY_ID).hex()[:16],
                   templates=derive(root, BiometricPurpose.TEMPLATES),
                   audit_frames=derive(root, BiometricPurpose.AUDIT_FRAMES))


@dataclass(frozen=True, slots=True)
class BiometricKeys:
    """The current biometric key, and the previous one while a rotation re-encrypts."""

    current: BiometricKey
    previous: BiometricKey | None = None

    def by_id(self, key_id: str | None) -> BiometricKey | None:
        for key in (self.current, self.previous):
            if key is not None and key.key_id == key_id:
                return key
        return None


def biometric_keys(settings: Settings) -> BiometricKeys:
    """ANXIN_BIOMETRIC_KEY (and ANXIN_BIOMETRIC_KEY_PREVIOUS); after ``prepare_secrets``."""
    previous = settings.biometric_key_previous
    return BiometricKeys(
        current=BiometricKey.of(settings.biometric_secret()),
        previous=BiometricKey.of(previous.get_secret_value()) if previous else None)


def seal(key: bytes, plain: bytes, *, associated: bytes) -> bytes:
    """nonce ‖ AES-256-GCM ciphertext; ``associated`` binds the row it belongs to."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plain, associated)


def unseal(key: bytes, sealed: bytes, *, associated: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
    except InvalidTag as error:
        raise SealError("sealed data does not open with this key") from error

"""MQTT credentials: random passwords, stored only as PBKDF2-SHA512 hashes in Mosquitto's format.

The same ``$7$`` hash serves the registry and Mosquitto's password files (embedded or
external). A fast KDF is enough here because every password is 32 random bytes, not a human's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ITERATIONS = 101  # Mosquitto's own default for $7$ hashes
SERVICE_USERNAME = "anxin-server"
SERVICE_SECRET_FILE = "mqtt-service-secret"


def new_password() -> str:
    return secrets.token_urlsafe(32)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    return f"$7${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password_hash: str, password: str) -> bool:
    try:
        _, kind, iterations, salt, digest = password_hash.split("$")
        if kind != "7":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt),
                                     int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(expected, actual)


def service_password(data_dir: Path) -> str:
    """The server's own MQTT secret, made on first use and kept (0600) in the data directory."""
    path = data_dir / SERVICE_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = new_password()
    path.touch(mode=0o600)
    path.write_text(value)
    return value


@dataclass(frozen=True, slots=True)
class BrokerUser:
    """Who may connect to the broker: a device (its own topics) or the service (everything)."""

    username: str
    password_hash: str
    is_service: bool = False

"""Argon2id password hashing, run in worker threads so the event loop never waits for it."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return str(_hasher.hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the username does not exist, so both paths take the same time.
DUMMY_HASH = hash_password("no such user; this hash only spends time")


class PasswordWork:
    """Hashing off the loop, at most ``workers`` at a time.

    Each hash takes tens of milliseconds of CPU and 64 MiB; argon2 releases the GIL, so a
    thread keeps the loop free, and the semaphore keeps a flood of log-ins from taking every
    core and all memory (the extra ones wait their turn).
    """

    def __init__(self, workers: int) -> None:
        self._slots = asyncio.Semaphore(workers)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(verify_password, password_hash, password)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(hash_password, password)

"""Recordings at rest: AES-GCM sealed files under the data directory, one per recording,
bound to its row id (the call-recordings key); file work runs off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from config.keys import seal, unseal


@dataclass(frozen=True, slots=True)
class RecordingStore:
    directory: Path
    key: bytes

    def path(self, recording_id: int) -> Path:
        return self.directory / f"{recording_id}.sealed"

    @staticmethod
    def _associated(recording_id: int) -> bytes:
        return f"call-recording:{recording_id}".encode()

    async def put(self, recording_id: int, audio: bytes) -> None:
        sealed = seal(self.key, audio, associated=self._associated(recording_id))
        await asyncio.to_thread(self._write, self.path(recording_id), sealed)

    def _write(self, path: Path, sealed: bytes) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(sealed)
        partial.replace(path)

    async def get(self, recording_id: int) -> bytes:
        sealed = await asyncio.to_thread(self.path(recording_id).read_bytes)
        return unseal(self.key, sealed, associated=self._associated(recording_id))

    async def delete(self, recording_id: int) -> None:
        await asyncio.to_thread(self.path(recording_id).unlink, missing_ok=True)

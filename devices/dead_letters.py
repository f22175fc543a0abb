"""Dead-letter floods: past a limit per device and hour, dead letters are counted, not stored.

A device (or a broken gateway) that keeps sending what the ingest cannot read would otherwise
write a row per message. The first ``per_window`` dead letters of a device in a window are
stored; the rest add to ``repeats`` on the last stored one, so the count stays visible in
``GET /api/v1/devices/dead-letters``. Dead letters are kept ``RETENTION`` (30 days).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

RETENTION = timedelta(days=30)
PER_WINDOW = 20
WINDOW = timedelta(hours=1)
MOST_TRACKED = 50_000  # devices counted at once; older windows are forgotten past this


@dataclass
class DeadLetterLimit:
    """Per device: how many dead letters this window, and the id of the last stored one."""

    per_window: int = PER_WINDOW
    window: timedelta = WINDOW
    _counts: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    _last_rows: dict[str, int] = field(default_factory=dict)

    def admit(self, device_id: str, now: datetime) -> bool:
        """Count one dead letter; True while the device is within its limit (store it)."""
        start, count = self._counts.get(device_id, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if len(self._counts) >= MOST_TRACKED and device_id not in self._counts:
            self._forget_before(now - self.window)
        self._counts[device_id] = (start, count + 1)
        return count < self.per_window

    def stored(self, device_id: str, row_id: int) -> None:
        self._last_rows[device_id] = max(row_id, self._last_rows.get(device_id, 0))

    def last_row(self, device_id: str) -> int | None:
        return self._last_rows.get(device_id)

    def _forget_before(self, cutoff: datetime) -> None:
        for device_id, (start, _) in list(self._counts.items()):
            if start < cutoff:
                del self._counts[device_id]
                self._last_rows.pop(device_id, None)

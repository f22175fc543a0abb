"""Log-in rate per client address: a token bucket each, kept in memory."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class LoginRate:
    """``burst`` log-ins at once, then one more every ``60 / per_minute`` seconds."""

    per_minute: float = 10.0
    burst: int = 10
    max_addresses: int = 10_000  # the least recently seen are forgotten beyond this


class LoginThrottle:
    """Token buckets by client address; a log-in takes a token or is told when to retry."""

    def __init__(self, rate: LoginRate) -> None:
        self.rate = rate
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, address: str, *, now: float) -> float:
        """0 when a token was taken; else the seconds until the next token."""
        tokens, seen = self._buckets.pop(address, (float(self.rate.burst), now))
        per_second = self.rate.per_minute / 60
        tokens = min(float(self.rate.burst), tokens + max(0.0, now - seen) * per_second)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / per_second
        self._buckets[address] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._buckets) > self.rate.max_addresses:
            self._buckets.popitem(last=False)
        return wait

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))

"""Keeping full garbage collections short.

A full (generation 2) collection walks every object the process holds: modules, SQLAlchemy's
mappers and statement caches, the dispatch index. Measured on the dispatch bench it paused the
event loop for 90–175 ms, long enough to show in every latency tail. Once start-up is done,
``settled`` collects once and freezes what is alive (``gc.freeze``): later collections walk only
what was allocated since, and frozen objects are still freed by reference counting. On the way
out the objects are handed back to the collector, so a process that runs several apps in turn
(the tests) frees each one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def settled(enabled: bool = True) -> Iterator[None]:
    if not enabled:
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

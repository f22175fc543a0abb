"""The cluster bench: each SOS of both bursts comes from a pendant of its own; its feed
latency is reported per window of the run."""

from __future__ import annotations

import json

from benchmarks.cluster import SOS_EVERY, FeedLog, cluster_message, feed_windows


def _sos_pendants(first: int, count: int, *, first_seq: int = 0) -> list[str]:
    topics = [cluster_message(seq, "bench-00000", sos_devices=1000, first_seq=first_seq)[0]
              for seq in range(first, first + count)]
    return [topic.split("/")[3] for topic in topics if topic.endswith("/event")]


def test_second_burst_sos_come_from_pendants_the_first_did_not_use() -> None:
    """A second burst, numbered from 0 by its publishers, sends no SOS from a first-burst
    pendant (a repeat would join that pendant's open alarm and raise none)."""
    first = _sos_pendants(0, 3_000)
    second = _sos_pendants(0, 1_000, first_seq=(3_000 // SOS_EVERY + 2) * SOS_EVERY)
    assert len(first) == 30 and len(second) == 10
    assert not set(first) & set(second)
    assert len(set(first + second)) == 40


def test_sos_event_ids_differ_between_bursts() -> None:
    """Event ids carry the shifted number, so the store never deduplicates one burst's SOS
    against the other's."""
    topic, payload = cluster_message(0, "bench-00000", sos_devices=1000, first_seq=3_200)
    assert topic.endswith("/event")
    assert json.loads(payload)["event_id"].startswith("c3200-")


def test_feed_latency_is_reported_per_window_of_the_run() -> None:
    """An SOS's feed latency counts in the window it was sent in: the first burst (the
    issue's ``publish_to_feed_ms``), the second burst before the kill, or after it; a slow
    catch-up after the kill does not show as the steady state's p99."""
    log = FeedLog(arrivals={"c0-1000.0": 1.1, "c100-2000.0": 2.2, "c200-3000.0": 8.0})
    windows = feed_windows(log, second_began=1.5, killed_at=2.5)
    assert windows["publish_to_feed_ms"] == {"count": 1, "p50": 100.0, "p99": 100.0}
    assert windows["publish_to_feed_before_kill_ms"]["p99"] == 200.0
    assert windows["publish_to_feed_after_kill_ms"]["p99"] == 5000.0

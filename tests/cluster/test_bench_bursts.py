"""The cluster bench's traffic: each SOS of both bursts comes from a pendant of its own."""

from __future__ import annotations

import json

from benchmarks.cluster import SOS_EVERY, cluster_message


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

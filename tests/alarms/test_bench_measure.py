"""How ``anxin bench alarms`` turns feed updates into one latency per SOS."""

from __future__ import annotations

from benchmarks.alarms import FeedUpdate, StoredSos, latencies, stage_split


def test_an_update_carrying_a_newer_sos_is_the_arrival_of_the_older_ones_too() -> None:
    """Two SOS of one senior announced as one update both arrive with it; another senior's
    update does not count for them, and an SOS no update includes is not seen."""
    stored = [StoredSos(1, sent=10.0, received=10.01), StoredSos(1, sent=10.2, received=10.21),
              StoredSos(2, sent=10.3, received=10.31), StoredSos(1, sent=11.0, received=11.01)]
    updates = [FeedUpdate(arrived=10.5, senior_id=2, newest_sent=10.3),
               FeedUpdate(arrived=10.4, senior_id=1, newest_sent=10.2)]
    assert [round(value, 3) for value in latencies(stored, updates)] == [0.4, 0.2, 0.2]


def test_an_sos_time_splits_into_the_rules_feed_and_the_live_feed() -> None:
    """Ingest → rules feed and rules feed → live feed add up to the SOS's time after the
    ingest; an SOS the rules feed has not looked at has no stages."""
    stored = [StoredSos(1, sent=10.0, received=10.01, processed=10.11),
              StoredSos(2, sent=10.0, received=10.02)]
    updates = [FeedUpdate(arrived=10.31, senior_id=1, newest_sent=10.0),
               FeedUpdate(arrived=10.5, senior_id=2, newest_sent=10.0)]
    split = stage_split(stored, updates)
    assert [round(v, 3) for v in split["ingest_to_rules_ms"]] == [0.1]
    assert [round(v, 3) for v in split["rules_to_feed_ms"]] == [0.2]

"""The hash chain over decision records: each row hashes its content and the row before."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from liveness.models import DecisionRecord

GENESIS = "0" * 64


def content_of(record: DecisionRecord) -> dict[str, object]:
    return {
        "kind": record.kind, "senior_id": record.senior_id, "session_id": record.session_id,
        "overrides_id": record.overrides_id, "outcome": record.outcome,
        "reasons": record.reasons, "scores": record.scores, "thresholds": record.thresholds,
        "versions": record.versions, "channel": record.channel, "category": record.category,
        "staff": record.staff, "approved_by": record.approved_by, "note": record.note,
        "decided_at": record.decided_at.isoformat(),
    }


def hash_of(record: DecisionRecord, previous_hash: str) -> str:
    text = json.dumps(content_of(record), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{previous_hash}\n{text}".encode()).hexdigest()


def first_broken(records: Sequence[DecisionRecord]) -> int | None:
    """The id of the first record whose hash or link does not hold, or None when intact."""
    previous = GENESIS
    for record in records:
        if record.previous_hash != previous or hash_of(record, previous) != record.record_hash:
            return record.id
        previous = record.record_hash
    return None

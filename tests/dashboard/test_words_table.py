"""Every code the server sends has words in both locale tables (components/words.js reads
them as "<kind>.<code>"), so a new alarm kind, topic or service cannot reach a page raw."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from accounts.audiences import TOPIC_AUDIENCES
from alarms.kinds import ALARM_KINDS, Disposition
from callcenter.port import CallStatus
from devices.catalogue import DeviceKind
from dispatch.catalogue import ServiceCode
from dispatch.lifecycle import OrderState
from seniors.schemas import ConsentMethod, ConsentPurpose, SubsidyCategory
from tests.dashboard.test_locales import table

CODES: dict[str, Iterable[str]] = {
    "alarm_kind": ALARM_KINDS,
    "topic": TOPIC_AUDIENCES,
    "disposition": [d.value for d in Disposition],
    "call_status": [s.value for s in CallStatus],
    "service": [s.value for s in ServiceCode],
    "state": [s.value for s in OrderState],
    "subsidy": [s.value for s in SubsidyCategory],
    "consent": [c.value for c in ConsentPurpose],
    "consent_method": [m.value for m in ConsentMethod],
    "device_kind": [k.value for k in DeviceKind],
}


@pytest.mark.parametrize("kind", sorted(CODES))
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_code_of_the_server_has_words(kind: str, language: str) -> None:
    """Each code of the server's own table is a key of the locale table."""
    words = table(language)
    missing = sorted(code for code in CODES[kind] if f"{kind}.{code}" not in words)
    assert not missing, f"{language}: no words for {kind} {missing}"

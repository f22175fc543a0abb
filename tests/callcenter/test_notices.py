"""Family notices say only what has happened: each template against the states it may and
may not be sent in."""

from __future__ import annotations

from datetime import datetime

import pytest

from callcenter import notices
from callcenter.notices import NoticeFacts, UntrueNotice

NAME = "王秀英"
RAISED = NoticeFacts(NAME, alarm_state="raised")
ACKED = NoticeFacts(NAME, alarm_state="acknowledged")
UNREACHED = NoticeFacts(NAME, alarm_state="raised", cascade_done=True)
REACHED = NoticeFacts(NAME, alarm_state="acknowledged", reached="contact")
RESOLVED_BY_OPERATOR = NoticeFacts(NAME, alarm_state="resolved", resolved_by_person=True)
CLEARED_BY_SYSTEM = NoticeFacts(NAME, alarm_state="resolved", resolved_by_person=False)
ESCALATED_NO_PROVIDER = NoticeFacts(NAME, alarm_state="raised", cascade_done=True)
PROVIDER_ACCEPTED = NoticeFacts(NAME, alarm_state="acknowledged", cascade_done=True,
                                provider_name="青城急救队",
                                arrival_local=datetime(2026, 1, 5, 17, 40))  # noqa: DTZ001

ALLOWED = {
    "alarm_received": [RAISED, ACKED, UNREACHED, REACHED, PROVIDER_ACCEPTED],
    "contacting_family": [RAISED, ACKED, UNREACHED, PROVIDER_ACCEPTED],
    "reached": [REACHED],
    "still_trying": [UNREACHED],
    "visit_arranged": [PROVIDER_ACCEPTED],
    "case_closed": [RESOLVED_BY_OPERATOR],
}
EVERY_STATE = [RAISED, ACKED, UNREACHED, REACHED, RESOLVED_BY_OPERATOR, CLEARED_BY_SYSTEM,
               ESCALATED_NO_PROVIDER, PROVIDER_ACCEPTED]


def test_every_template_has_its_states_listed() -> None:
    """Each template in the table is checked below (a new one must say when it is true)."""
    assert set(ALLOWED) == set(notices.TEMPLATES)


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_a_notice_is_sent_only_in_the_states_where_it_is_true(name: str) -> None:
    """Rendered in both languages where its facts hold; refused everywhere else."""
    for facts in EVERY_STATE:
        if facts in ALLOWED[name]:
            assert NAME in notices.render(name, facts)
            assert NAME in notices.render(name, facts, language="en")
        else:
            with pytest.raises(UntrueNotice, match=name):
                notices.render(name, facts)


def test_nothing_says_handled_or_on_the_way_before_it_is() -> None:
    """Finding: a contact was told "已处理…已安排上门" before any operator acknowledged and while
    the responder order had no provider. No text that could go out then says so."""
    for facts in (RAISED, UNREACHED, ESCALATED_NO_PROVIDER):
        for name in notices.TEMPLATES:
            try:
                text = notices.render(name, facts)
            except UntrueNotice:
                continue
            assert "已处理" not in text and "已安排" not in text and "上门" not in text


def test_the_visit_notice_names_the_provider_and_the_local_arrival_time() -> None:
    """Once a provider accepted: who is coming and by when, on the centre's clock."""
    text = notices.render("visit_arranged", PROVIDER_ACCEPTED)
    assert "青城急救队" in text and "17:40" in text

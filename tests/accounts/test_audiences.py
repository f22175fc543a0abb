"""The live feed's audience table: every topic has roles, unknown topics cannot be published."""

from __future__ import annotations

import pytest

from accounts.audiences import TOPIC_AUDIENCES, audience, topics_for


def test_every_topic_names_someone() -> None:
    """No topic in the table has an empty audience; admin hears every topic."""
    assert all(TOPIC_AUDIENCES.values())
    assert topics_for("admin") == sorted(TOPIC_AUDIENCES)


def test_a_topic_missing_from_the_table_cannot_be_published() -> None:
    """Asking for the audience of an unknown topic fails, naming the table to add it to."""
    with pytest.raises(KeyError, match="accounts/audiences.py"):
        audience("secret.new_topic")


def test_subsidy_staff_and_dispatchers_hear_no_calls() -> None:
    """Caller numbers travel on call.* and phone.*: neither role receives those topics."""
    for role in ("subsidy_staff", "dispatcher"):
        assert not [t for t in topics_for(role) if t.startswith(("call.", "phone."))]

"""Start-up's objects are kept out of full garbage collections while the app runs."""

import gc

from runtime import heap


def test_objects_alive_at_start_up_are_frozen_until_the_app_stops() -> None:
    gc.unfreeze()
    with heap.settled():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_settling_can_be_left_out() -> None:
    gc.unfreeze()
    with heap.settled(enabled=False):
        assert gc.get_freeze_count() == 0

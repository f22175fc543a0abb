"""Routing across centres (issue 20 item 3) in the engine under a moved clock: a station's
work rings its own operators first, never a sibling station's; a P1 nobody there takes
within the overflow time rings the league centre too; a station with nobody on duty passes
its work to the parent at once; and the record says for whom a parent handled it."""

from __future__ import annotations

from collections.abc import Sequence

from callcenter.routing.engine import OverflowReason, Router, Task
from callcenter.routing.rules import OperatorState, TaskKind
from tests.callcenter.test_routing_engine import at, offers, team

ERENHOT, XILINGOL, MANZHOULI = "152501", "1525", "150781"


def centres(router: Router, *, station_on_duty: bool = True) -> None:
    """An operator at Erenhot, one at the Xilingol league centre, one at Manzhouli."""
    team(router, ("erenhot_op", {"emergency"}, {"zh-CN"}),
         ("league_op", {"emergency"}, {"zh-CN"}), ("manzhouli_op", {"emergency"}, {"zh-CN"}))
    router.operator_areas.update(erenhot_op=frozenset({ERENHOT}),
                                 league_op=frozenset({XILINGOL}),
                                 manzhouli_op=frozenset({MANZHOULI}))
    if not station_on_duty:
        router.set_operator("erenhot_op", skills=frozenset({"emergency"}),
                            languages=frozenset({"zh-CN"}), state=OperatorState.OFFLINE,
                            now=at(-1))


def erenhot_alarm(priority: int = 1) -> Task:
    return Task(1, TaskKind.ALARM, priority, at(0), ref="alarm:1", area=ERENHOT)


def rung(actions: Sequence[object]) -> set[str]:
    return {name for offer in offers(actions) for name in offer.operators}


def test_a_p1_rings_its_station_then_overflows_to_the_league() -> None:
    """Erenhot's P1 rings Erenhot only; unanswered after 30 s it rings the league too, and
    Manzhouli never."""
    router = Router(overflow_seconds=30)
    centres(router)
    assert rung(router.add_task(erenhot_alarm(), at(0))) == {"erenhot_op"}
    assert rung(router.tick(at(29))) == set()
    assert rung(router.tick(at(30))) == {"league_op"}
    router.accept(1, "league_op", at(31))
    assert router.for_whom(router.tasks[1], "league_op") == ERENHOT
    assert "manzhouli_op" not in router.tasks[1].offered_to


def test_a_station_with_nobody_on_duty_passes_work_to_its_parent() -> None:
    """With Erenhot's operator off duty, its work rings the league centre at once."""
    router = Router(overflow_seconds=30)
    centres(router, station_on_duty=False)
    assert rung(router.add_task(erenhot_alarm(), at(0))) == {"league_op"}


def test_own_work_is_handled_for_nobody_else() -> None:
    """A task its own station takes records no 'for whom'; non-P1 work never overflows."""
    router = Router(overflow_seconds=30)
    centres(router)
    router.add_task(erenhot_alarm(priority=3), at(0))
    assert rung(router.tick(at(120))) <= {"erenhot_op"}
    assert not router.tasks[1].overflowed
    assert router.for_whom(router.tasks[1], "erenhot_op") is None


def test_an_operator_dropped_by_a_cut_link_is_back_on_the_queue_on_return() -> None:
    """Erenhot's operator whose desk went away is logged off and the league takes the work;
    back within the hour they are available again and new work stays home. One who logged
    off themselves stays off."""
    router = Router(overflow_seconds=30)
    centres(router)
    router.leave("erenhot_op", at(0))
    assert rung(router.add_task(erenhot_alarm(), at(1))) == {"league_op"}
    router.come_back("erenhot_op", at(60))
    assert router.operators["erenhot_op"].state == OperatorState.AVAILABLE
    later = Task(2, TaskKind.ALARM, 1, at(61), ref="alarm:2", area=ERENHOT)
    assert rung(router.add_task(later, at(61))) == {"erenhot_op"}
    router.set_operator("manzhouli_op", skills=frozenset({"emergency"}),
                        languages=frozenset({"zh-CN"}), state=OperatorState.OFFLINE, now=at(62))
    router.come_back("manzhouli_op", at(63))
    assert router.operators["manzhouli_op"].state == OperatorState.OFFLINE


def test_a_closed_station_passes_work_up_though_its_operator_is_there() -> None:
    """With Erenhot closed its work goes to the league at once, not to its operator still at
    the desk; the task says why it left home, and opening again keeps new work home."""
    router = Router(overflow_seconds=30, centre_prefixes=frozenset({ERENHOT, XILINGOL}),
                    closed=frozenset({ERENHOT}))
    centres(router)
    assert rung(router.add_task(erenhot_alarm(priority=3), at(0))) == {"league_op"}
    assert router.tasks[1].overflow_reason == OverflowReason.CLOSED
    router.closed = frozenset()
    later = Task(2, TaskKind.ALARM, 3, at(1), ref="alarm:2", area=ERENHOT)
    assert rung(router.add_task(later, at(1))) <= {"erenhot_op"}
    assert later.overflow_reason is None

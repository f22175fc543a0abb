"""The voice menu as a pure function: keys, words, silence, wrong keys, English."""

from __future__ import annotations

from callcenter import ivr
from callcenter.port import Enqueue, Gather, Say


def queued(step: ivr.IvrStep) -> Enqueue:
    found = [a for a in step.actions if isinstance(a, Enqueue)]
    assert len(found) == 1, step.actions
    return found[0]


def test_key_one_is_an_emergency_at_top_priority() -> None:
    """Pressing 1 queues the caller as an emergency with priority 1."""
    step = ivr.on_digits(ivr.start(emergency=False).state, "1")
    assert queued(step) == Enqueue("emergency", 1)


def test_each_menu_key_reaches_its_queue() -> None:
    """2 policy, 3 service, 4 complaint, 0 a person."""
    state = ivr.start(emergency=False).state
    assert [queued(ivr.on_digits(state, k)).queue for k in "2340"] == \
        ["policy", "service", "complaint", "general"]


def test_spoken_words_choose_emergency() -> None:
    """救命 or 紧急 said aloud is an emergency, even among other words."""
    state = ivr.start(emergency=False).state
    assert queued(ivr.on_speech(state, "快来人救命啊")).queue == "emergency"
    assert queued(ivr.on_speech(state, "我要咨询政策，很紧急")).queue == "emergency"


def test_two_wrong_keys_reach_a_person_never_a_hang_up() -> None:
    """A wrong key replays the menu; the second wrong key goes to the general queue."""
    state = ivr.start(emergency=False).state
    first = ivr.on_digits(state, "7")
    assert any(isinstance(a, Gather) for a in first.actions)
    assert "没有听清" in " ".join(a.text for a in first.actions if isinstance(a, Say))
    second = ivr.on_digits(first.state, "8")
    assert queued(second).queue == "general"


def test_silence_repeats_the_menu_once_then_a_person() -> None:
    """No input plays the menu once more; silence again goes to a person."""
    state = ivr.start(emergency=False).state
    again = ivr.on_no_input(state)
    assert any(isinstance(a, Gather) for a in again.actions)
    assert queued(ivr.on_no_input(again.state)).queue == "general"


def test_english_option_switches_prompts() -> None:
    """9 replays the menu in English, and the choice after that is spoken in English."""
    english = ivr.on_digits(ivr.start(emergency=False).state, "9")
    assert english.state.language == ivr.EN
    gathers = [a for a in english.actions if isinstance(a, Gather)]
    assert "press 1" in gathers[0].prompt
    chosen = ivr.on_digits(english.state, "2")
    assert "policy" in chosen.actions[0].text  # type: ignore[union-attr]


def test_known_emergency_skips_the_menu() -> None:
    """A fast-path call hears no menu and is queued as an emergency at once."""
    step = ivr.start(emergency=True)
    assert not any(isinstance(a, Gather) for a in step.actions)
    assert queued(step) == Enqueue("emergency", 1)



def test_registered_senior_is_greeted_by_name_and_queued_at_priority_two() -> None:
    """A registered caller hears no menu: a greeting with their name, then the queue at P2."""
    step = ivr.start(known=True, name="张桂英")
    assert not any(isinstance(a, Gather) for a in step.actions)
    assert step.actions[0] == Say("张桂英您好，这里是12349，马上为您接通值班员，请不要挂机。",
                                  ivr.ZH)
    assert queued(step) == Enqueue("general", 2)


def test_emergency_outranks_a_registered_number_and_keeps_the_name() -> None:
    """A registered senior with an open alarm is queued as an emergency, greeted by name."""
    step = ivr.start(emergency=True, known=True, name="张桂英")
    assert queued(step) == Enqueue("emergency", 1)
    assert step.actions[0].text.startswith("张桂英您好")  # type: ignore[union-attr]


def test_greeting_in_the_seniors_own_language() -> None:
    """A senior whose first prompt language is English is greeted in English; languages the
    prompts lack fall back to Mandarin."""
    assert ivr.prompt_language(["mn", "en"]) == ivr.EN
    assert ivr.prompt_language(["mn"]) == ivr.ZH
    step = ivr.start(known=True, name="Mary Chen", language=ivr.prompt_language(["en-GB"]))
    assert step.actions[0] == Say("Hello Mary Chen. Putting you through to an operator now. "
                                  "Please hold.", ivr.EN)


def test_every_gather_waits_the_time_in_the_timing_table() -> None:
    """The menu and its repeat take their silence timeouts from GATHER_TIMEOUTS."""
    first = ivr.start()
    repeat = ivr.on_no_input(first.state)
    gathers = [a for step in (first, repeat) for a in step.actions if isinstance(a, Gather)]
    assert [g.timeout_seconds for g in gathers] == \
        [ivr.GATHER_TIMEOUTS["menu"], ivr.GATHER_TIMEOUTS["menu_repeat"]]
    assert "稍候转人工" in gathers[1].prompt

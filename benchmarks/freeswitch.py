"""``anxin bench freeswitch``: concurrent scripted calls through the FreeSWITCH adapter.

The app runs its lifespan in process with ``ANXIN_TELEPHONY=freeswitch`` against the fake
switch (callcenter/freeswitch/fake_switch.py) on loopback, which runs in a child process of its
own, as a real switch would: every call is a real TCP call socket speaking the event-socket
protocol, plus one control link. The calls start over ``ramp``
seconds and are all in flight together: each caller hears the menu, listens ``think`` seconds,
presses a key (1, 2 or 0), waits in the queue until every call is queued, and hangs up.

``event_to_command_ms``: from the switch writing an event that asks for Anxin's answer (the
channel data on ``connect``, a gather's result, a key while queued) to the switch reading
Anxin's next command on that channel (both ends timed in the switch's process).
``cpu_ms_per_call``: the app process's CPU time over the calls (the app and its background
loops) divided by the calls; ``switch_cpu_ms_per_call`` the fake switch's.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import secrets
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from callcenter.freeswitch.adapter import FreeSwitchNetwork
from callcenter.freeswitch.fake_switch import FakeChannel, FakeSwitch
from callcenter.lifespan import callcenter_of
from config.settings import Settings
from runtime.clock import SystemClock

TARGET_P99_MS = 50.0
KEYS = ("1", "2", "0")


def _settings(data_dir: Path, switch_port: int, password: str) -> Settings:
    return Settings(data_dir=data_dir, secret_key=SecretStr(secrets.token_urlsafe(40)),
                    biometric_key=SecretStr(secrets.token_urlsafe(40)), telephony="freeswitch",
                    freeswitch_esl=f"127.0.0.1:{switch_port}",
                    freeswitch_esl_password=SecretStr(password),
                    freeswitch_socket_port=0, log_level="WARNING", mqtt_enabled=False)


async def _one_call(switch: FakeSwitch, number: str, key: str, *, delay: float, think: float,
                    all_queued: asyncio.Barrier) -> bool:
    await asyncio.sleep(delay)
    channel: FakeChannel = await switch.call_in(number)
    async with asyncio.timeout(120):
        await channel.settled(0)  # the menu
        await asyncio.sleep(think)
        await channel.press(key)
        await channel.settled(1)  # parked in the queue
        queued = channel.current is not None and channel.current.name == "park"
        await all_queued.wait()
    await channel.hang_up()
    return queued


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def _switch_process(link: Connection, password: str, calls: int, ramp: float,
                    think: float) -> None:
    """Child process: the fake switch and its callers (the switch's CPU stays off the app's
    event loop, as a real switch's does)."""
    asyncio.run(_drive_switch(link, password, calls, ramp, think))


async def _drive_switch(link: Connection, password: str, calls: int, ramp: float,
                        think: float) -> None:
    switch = FakeSwitch(password=password)
    await switch.start()
    link.send(switch.port)
    switch.call_socket = ("127.0.0.1", await asyncio.to_thread(link.recv))
    cpu, wall = time.process_time(), time.perf_counter()
    barrier = asyncio.Barrier(calls)
    results = await asyncio.gather(*(
        _one_call(switch, f"+86137{n:08d}", KEYS[n % len(KEYS)], delay=ramp * n / calls,
                  think=think, all_queued=barrier) for n in range(calls)))
    link.send({"queued": sum(results), "latencies_ms": switch.latencies_ms,
               "cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall})
    await asyncio.to_thread(link.recv)  # the app has stopped: close the switch
    await switch.close()


async def run(calls: int, *, ramp: float = 2.0, think: float = 1.0) -> dict[str, Any]:
    from benchmarks.serving import create_app

    password = secrets.token_hex(8)
    link, child_link = multiprocessing.get_context("spawn").Pipe()
    switch = multiprocessing.get_context("spawn").Process(
        target=_switch_process, args=(child_link, password, calls, ramp, think), daemon=True)
    switch.start()
    try:
        port = await asyncio.wait_for(asyncio.to_thread(link.recv), 60)
        with tempfile.TemporaryDirectory() as scratch:
            app = create_app(_settings(Path(scratch), port, password), clock=SystemClock())
            async with app.router.lifespan_context(app):
                runtime = app.state.runtime
                provider = callcenter_of(runtime).provider
                assert isinstance(provider, FreeSwitchNetwork)
                async with asyncio.timeout(10):
                    await provider.connected.wait()
                cpu = time.process_time()
                link.send(provider.listening_port)
                outcome = await asyncio.to_thread(link.recv)
                cpu = time.process_time() - cpu
                await callcenter_of(runtime).drain()
        link.send("close")
        switch.join(timeout=30)
    finally:
        if switch.is_alive():
            switch.kill()
    latencies: list[float] = outcome["latencies_ms"]
    p99 = _percentile(latencies, 0.99)
    return {"bench": "freeswitch", "calls": calls, "ramp_s": ramp, "think_s": think,
            "queued": outcome["queued"], "events_measured": len(latencies),
            "event_to_command_ms": {"p50": _percentile(latencies, 0.5), "p99": p99},
            "cpu_ms_per_call": round(cpu * 1000 / calls, 2),
            "switch_cpu_ms_per_call": round(outcome["cpu_s"] * 1000 / calls, 2),
            "wall_s": round(outcome["wall_s"], 2), "load_avg_1m": round(os.getloadavg()[0], 2),
            "target_p99_ms": TARGET_P99_MS, "met": p99 is not None and p99 <= TARGET_P99_MS}


def command(
    calls: Annotated[int, typer.Option(min=1, help="concurrent scripted calls")] = 200,
    ramp: Annotated[float, typer.Option(min=0, help="seconds over which calls start")] = 2.0,
    think: Annotated[float, typer.Option(min=0, help="caller's seconds before a key")] = 1.0,
) -> None:
    """Concurrent scripted calls through the FreeSWITCH adapter and a fake switch; one JSON
    line."""
    typer.echo(json.dumps(asyncio.run(run(calls, ramp=ramp, think=think))))

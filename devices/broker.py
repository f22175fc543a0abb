"""The embedded broker: Mosquitto as a supervised child process of ``anxin serve``.

Started when no ``ANXIN_MQTT_URL`` is set, with a config, password and ACL files in
``$ANXIN_DATA_DIR/mqtt`` (see ``devices.mosquitto``); restarted, with a log line saying why, if
it exits; terminated (then killed if it lingers) on shutdown. Persistence keeps the ingest's
queued messages across a restart.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from pathlib import Path

from devices.mosquitto import MosquittoProcess

log = logging.getLogger(__name__)
CHECK_SECONDS = 1.0
START_SECONDS = 10.0
RESTART_PAUSE_SECONDS = (0.5, 15.0)


@dataclass
class EmbeddedBroker:
    """One Mosquitto child: devices on 127.0.0.1:``port``, the service on a unix socket."""

    directory: Path
    port: int
    restarts: int = 0
    process: MosquittoProcess = field(init=False)

    def __post_init__(self) -> None:
        self.process = MosquittoProcess(self.directory, self.port)

    @property
    def service_socket(self) -> Path:
        return self.process.service_socket

    @property
    def pid_file(self) -> Path:
        return self.directory / "mosquitto.pid"

    async def start(self) -> None:
        """Launch and wait until both listeners accept connections."""
        # Launched on the loop's own thread: the child's "die with the parent" signal follows
        # the thread that started it.
        self.process.launch()
        deadline = asyncio.get_running_loop().time() + START_SECONDS
        while not self.process.listening():
            if asyncio.get_running_loop().time() > deadline:
                await self.stop()
                raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{self.port} "
                                   f"within {START_SECONDS:.0f} s: see {self.process.log_file}")
            await asyncio.sleep(0.05)

    def reload(self) -> None:
        """Re-read the password and ACL files now (SIGHUP): new devices get in, and
        connections whose password no longer matches are closed."""
        child = self.process.process
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGHUP)

    async def supervise(self) -> None:
        """Start the broker again whenever it exits, until cancelled."""
        pause = RESTART_PAUSE_SECONDS[0]
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            if self.process.running():
                pause = RESTART_PAUSE_SECONDS[0]
                continue
            code = self.process.exit_code()
            log.error("embedded MQTT broker exited with code %s (%s); restarting in %.1f s",
                      code, self.process.last_lines(), pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RESTART_PAUSE_SECONDS[1])
            try:
                await self.start()
            except (RuntimeError, OSError) as error:
                log.error("embedded MQTT broker did not start again: %s", error)
                continue
            self.restarts += 1
            log.warning("embedded MQTT broker running again (restart %d)", self.restarts)

    async def stop(self) -> None:
        await asyncio.to_thread(self.process.stop)

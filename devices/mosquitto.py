"""Mosquitto as the external broker: password and ACL files from the registry, a config, and a
runner used by the benchmark and the tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from devices.credentials import BrokerUser
from devices.exceptions import BrokerReloadError
from devices.topics import INTERNAL_PREFIX, PREFIX

MOSQUITTO = "/usr/sbin/mosquitto"


def password_lines(users: Iterable[BrokerUser]) -> str:
    # Our hashes are already Mosquitto's PBKDF2-SHA512 ($7$) format, so no tool is needed.
    return "".join(f"{user.username}:{user.password_hash}\n" for user in users)


def acl_text(service_username: str) -> str:
    """The service reads and acknowledges everything; each device only its own topics."""
    return (
        f"user {service_username}\n"
        f"topic read {PREFIX}/#\n"
        f"topic write {PREFIX}/+/ack\n"
        f"topic readwrite {INTERNAL_PREFIX}/#\n\n"
        f"pattern write {PREFIX}/%u/telemetry\n"
        f"pattern write {PREFIX}/%u/event\n"
        f"pattern write {PREFIX}/%u/status\n"
        f"pattern read {PREFIX}/%u/ack\n"
    )


def export(directory: Path, users: Iterable[BrokerUser], *, service_username: str) -> None:
    """Write ``passwords`` and ``acl`` (mode 0600) into ``directory``, each replaced atomically:
    a Mosquitto reloading at that moment reads the old file or the new one, never half."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (("passwords", password_lines(users)), ("acl", acl_text(service_username))):
        _replace_file(directory / name, text)


def _replace_file(path: Path, text: str) -> None:
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        if path.exists():  # keep the owner and mode the operator gave the file
            kept = path.stat()
            os.chmod(scratch, stat.S_IMODE(kept.st_mode))
            with contextlib.suppress(PermissionError):
                os.chown(scratch, kept.st_uid, kept.st_gid)
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)
        raise


def signal_reload(pid_file: Path) -> None:
    """Make the Mosquitto whose pid is in ``pid_file`` re-read its password and ACL files."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError) as error:
        raise BrokerReloadError(f"cannot read Mosquitto's pid from {pid_file}: {error}") from error
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as error:
        raise BrokerReloadError(f"cannot signal Mosquitto (pid {pid}): {error}") from error


def config_text(*, port: int, directory: Path, persistence: bool = True) -> str:
    """A mosquitto.conf for Anxin: authenticated, persistent, generous queues."""
    lines = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        f"password_file {directory / 'passwords'}",
        f"acl_file {directory / 'acl'}",
        f"persistence {'true' if persistence else 'false'}",
        f"persistence_location {directory}/",
        "autosave_interval 1",
        "max_queued_messages 100000",
        "max_inflight_messages 1000",
        "persistent_client_expiration 7d",
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class MosquittoProcess:
    """A Mosquitto started on a loopback port from a config in ``directory``."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        config = self.directory / "mosquitto.conf"
        text = config_text(port=self.port, directory=self.directory)
        if os.geteuid() == 0:
            text += "user root\n"  # files here are root's; do not drop to the mosquitto user
        config.write_text(text)
        log = (self.directory / "mosquitto.log").open("ab")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: see {self.directory / 'mosquitto.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def reload(self) -> None:
        """Re-read the password and ACL files (SIGHUP)."""
        if self.process is not None:
            self.process.send_signal(1)
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def available() -> bool:
    return Path(MOSQUITTO).exists() or shutil.which("mosquitto") is not None

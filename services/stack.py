"""The whole platform on one machine: `ducha run` / `make run`.

Starts embedded PostgreSQL and NATS (unless DATABASE_URL / NATS_URL are set),
applies migrations, runs the three services and the Hive Gateway as child
processes, prints where to go, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from services.core.db import apply_migrations, migrations_for
from services.core.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from services.core.settings import Settings, get_settings
from services.registry import DEFAULT_PORTS, GATEWAY_PORT, SERVICE_NAMES, has_background_work

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_DIR = ROOT / "gateway"


def port_or_free(preferred: int) -> int:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return free_port()


def _listening_inodes(port: int) -> set[str]:
    """Inodes of the sockets listening on ``port`` (Linux /proc); empty elsewhere."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    return inodes


def _family(pid: int) -> set[int]:
    """``pid`` and its descendants (a server may listen from a forked worker)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        if p not in found:
            found.add(p)
            todo += children.get(p, [])
    return found


def owns_port(pid: int, port: int) -> bool:
    """Whether the process ``pid`` (or a child of it) is the one listening on ``port``.

    Where /proc is not there to ask, answers True (the instance id still guards services).
    """
    if not Path("/proc/net/tcp").exists():
        return True
    inodes = _listening_inodes(port)
    for member in _family(pid):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{member}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        return True
    return False


@dataclass
class Stack:
    """Processes of a running platform; used by `ducha run`, the tests and the benchmarks."""

    data_dir: Path
    database_url: str
    nats_url: str
    jwt_secret: str
    service_ports: dict[str, int] = field(default_factory=dict)
    gateway_port: int = 0
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    # echoed by every service's /readyz: proof that a port answers for this run
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    gateway_proc: subprocess.Popen[bytes] | None = None
    # flags for the gateway's node (profiling: --cpu-prof is not allowed in NODE_OPTIONS)
    node_flags: list[str] = field(default_factory=list)
    # each service as an API process and a worker process (ADR 0021)
    split_roles: bool = False
    worker_ports: dict[str, int] = field(default_factory=dict)
    # how much lower a worker process's CPU priority is than its API process (nice steps)
    worker_nice: int = 10

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            NATS_URL=self.nats_url,
            JWT_SECRET=self.jwt_secret,
            DATA_DIR=str(self.data_dir),
            DEV_MODE="1",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/graphql"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.service_ports[name]}/graphql"

    def start_service(self, name: str, port: int | None = None) -> subprocess.Popen[bytes]:
        """The service on ``port`` (its /graphql); with ``split_roles``, as an API process
        there and a worker process (consumers, jobs) on a port of its own (ADR 0021).
        Returns the process that serves /graphql."""
        port = port or self.service_ports.get(name) or free_port()
        self.service_ports[name] = port
        if not (self.split_roles and has_background_work(name)):
            return self._spawn(name, port, "all")
        worker_port = self.worker_ports.get(name) or free_port()
        self.worker_ports[name] = worker_port
        api = self._spawn(name, port, "api")
        self._spawn(name, worker_port, "worker")
        return api

    def _instance(self, name: str, role: str) -> str:
        return f"{self.instance_id}:{name}" + ("" if role in ("all", "api") else f":{role}")

    def _spawn(self, name: str, port: int, role: str) -> subprocess.Popen[bytes]:
        suffix = "" if role == "all" else f"-{role}"
        log = open(self.data_dir / f"{name}{suffix}.log", "ab")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.cli",
                "serve",
                name,
                "--port",
                str(port),
                "--instance-id",
                self._instance(name, role),
                "--role",
                role,
            ],
            env=self.env(),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            # a worker yields the cores to the API processes (ADR 0021)
            preexec_fn=(lambda: os.nice(self.worker_nice)) if role == "worker" else None,
        )
        self.procs.append(proc)
        return proc

    def start_gateway(self, port: int | None = None) -> subprocess.Popen[bytes]:
        self.gateway_port = port or self.gateway_port or free_port()
        proc = self.spawn_gateway(self.gateway_port, GATEWAY_DIR)
        self.gateway_proc = proc
        return proc

    def spawn_gateway(
        self, port: int, directory: Path, log_name: str = "gateway.log"
    ) -> subprocess.Popen[bytes]:
        """A Hive Gateway on ``port`` with the configuration in ``directory`` (its
        gateway.config.ts; packages from gateway/node_modules) in front of this stack's
        services. The bench starts a second one, with no plugins, beside the real one."""
        env = self.env()
        env.update(PORT=str(port), HOST="127.0.0.1")
        # Hive Gateway reads LOG_LEVEL too, with its own names.
        levels = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error"}
        env["LOG_LEVEL"] = levels.get(env.get("LOG_LEVEL", "INFO").upper(), "info")
        for name, p in self.service_ports.items():
            env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{p}/graphql"
        log = open(self.data_dir / log_name, "ab")
        proc = subprocess.Popen(
            [
                "node",
                *self.node_flags,
                str(GATEWAY_DIR / "node_modules" / ".bin" / "hive-gateway"),
                "supergraph",
            ],
            env=env,
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def _answers_for_us(self, url: str, expected: str | None) -> bool:
        r = httpx.get(url, timeout=2)
        if r.status_code != 200:
            return False
        if expected is not None:  # a service: its body names the instance we started
            return bool(r.json().get("instance") == expected)
        # the gateway: our own process must hold the port (another stack's may answer)
        proc = self.gateway_proc
        return proc is None or owns_port(proc.pid, self.gateway_port)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until every service and the gateway answer, and answer for this run."""
        deadline = time.monotonic() + timeout
        pending: list[tuple[str, str | None]] = [
            (f"http://127.0.0.1:{p}/readyz", self._instance(name, "api"))
            for name, p in self.service_ports.items()
        ]
        pending += [
            (f"http://127.0.0.1:{p}/readyz", self._instance(name, "worker"))
            for name, p in self.worker_ports.items()
        ]
        if self.gateway_port:
            pending.append((f"http://127.0.0.1:{self.gateway_port}/readiness", None))
        while pending:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{proc.args!r} exited with {proc.returncode}; see {self.data_dir}"
                    )
            url, expected = pending[0]
            with contextlib.suppress(httpx.HTTPError, ValueError):
                if self._answers_for_us(url, expected):
                    pending.pop(0)
                    continue
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"not ready (or another stack answers): {[u for u, _ in pending]}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()


def migrate_all(dsn: str) -> None:
    async def go() -> None:
        for name in SERVICE_NAMES:
            await apply_migrations(dsn, name, migrations_for(name))

    asyncio.run(go())


def _ports_file(settings: Settings) -> Path:
    return settings.data_dir / "ports.json"


def run_stack(demo: str = "ask") -> None:
    settings = get_settings()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    saved = json.loads(_ports_file(settings).read_text()) if _ports_file(settings).exists() else {}
    embedded: list[EmbeddedPostgres | EmbeddedNats] = []
    stack: Stack | None = None
    try:
        dsn = settings.database_url
        if not dsn:
            pg = EmbeddedPostgres(data_dir / "postgres", port_or_free(saved.get("postgres", 55432)))
            embedded.append(pg)
            dsn = pg.start()
            print(f"PostgreSQL (embedded) on {dsn}")
        nats_url = settings.nats_url
        if not nats_url:
            nats = EmbeddedNats(data_dir / "nats", port_or_free(saved.get("nats", 54222)))
            embedded.append(nats)
            nats_url = nats.start()
            print(f"NATS JetStream (embedded) on {nats_url}")
        _ports_file(settings).write_text(
            json.dumps({type(e).__name__.replace("Embedded", "").lower(): e.port for e in embedded})
        )
        migrate_all(dsn)
        load_demo = _wants_demo(dsn, demo, external=bool(settings.database_url))
        # each service as an API process and a lower-priority worker process (ADR 0021)
        stack = Stack(data_dir, dsn, nats_url, settings.signing_secret(), split_roles=True)
        marker = data_dir / "demo-clock"
        if load_demo:
            marker.write_text(_demo_clock())
        if marker.exists() and not settings.database_url:
            # the demo district lives in 2018: colour it as of its own "today"
            # one anchor for the three services: their clocks read CLOCK_AT at the same instant
            stack.extra_env["CLOCK_AT"] = marker.read_text().strip()
            stack.extra_env["CLOCK_ANCHOR"] = datetime.now(UTC).isoformat()
            print(f"Demo district: every service's clock starts at {stack.extra_env['CLOCK_AT']}")
        for name in SERVICE_NAMES:
            stack.service_ports[name] = port_or_free(DEFAULT_PORTS[name])
            stack.start_service(name)
        stack.start_gateway(port_or_free(GATEWAY_PORT))
        stack.wait_ready(90)
        if load_demo:
            from services.tasks.demo import loader as demo_module

            asyncio.run(demo_module.load(stack.database_url))
        origin = stack.gateway_url.removesuffix("/graphql")
        print(
            "\nDucha 督查 is running.\n"
            f"  Web console (sign in as a demo person):  {origin}/signin\n"
            f"  Big screen (大屏, 1920×1080):           {origin}/screen\n"
            f"  GraphQL (gateway, GraphiQL in the browser): {stack.gateway_url}\n"
            + "".join(f"  {n:<10} subgraph: {stack.service_url(n)}\n" for n in SERVICE_NAMES)
            + "  Get a token (supervision office):  .venv/bin/ducha token --role SUPERVISION_OFFICE\n"
            "  then send it as the header  Authorization: Bearer <token>\n"
            f"  Logs: {data_dir}/*.log    Stop: Ctrl-C\n"
        )
        while all(p.poll() is None for p in stack.procs):
            time.sleep(0.5)
        print("a process exited; stopping", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nstopping…")
    finally:
        if stack:
            stack.stop()
        for e in reversed(embedded):
            e.stop()


def _demo_clock() -> str:
    from services.tasks.demo import loader as demo_module

    return f"{demo_module.AS_OF.isoformat()}T09:00:00+08:00"


def _wants_demo(dsn: str, demo: str, external: bool) -> bool:
    """Offer the demo district on an empty embedded database (never on an external one unasked)."""
    from services.tasks.demo import loader as demo_module

    if demo == "no" or (external and demo != "yes"):
        return False
    if not asyncio.run(demo_module.is_empty(dsn)):
        return False
    if demo == "ask" and sys.stdin.isatty():
        answer = input(
            "The database is empty. Load the demo district"
            " (90 units, ~700 cadres, ~2,200 items, about a minute)? [Y/n] "
        )
        return answer.strip().lower() in ("", "y", "yes")
    return True

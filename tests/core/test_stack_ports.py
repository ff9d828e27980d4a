"""`ducha run` talks only to its own processes (issue 11, part 8)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.stack import Stack, owns_port


def _other_stack(instance: str) -> ThreadingHTTPServer:
    class Ready(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"status": "ready", "instance": instance}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def other() -> Iterator[ThreadingHTTPServer]:
    server = _other_stack("another-run:tasks")
    try:
        yield server
    finally:
        server.shutdown()


def test_readiness_answered_by_another_stack_is_not_ours(
    other: ThreadingHTTPServer, tmp_path: Path
) -> None:
    stack = Stack(tmp_path, "postgresql://x", "nats://x", "s", instance_id="this-run")
    stack.service_ports["tasks"] = other.server_address[1]
    with pytest.raises(TimeoutError, match="another stack"):
        stack.wait_ready(1.0)


def test_readiness_of_our_own_instance_is_accepted(tmp_path: Path) -> None:
    server = _other_stack("this-run:tasks")
    try:
        stack = Stack(tmp_path, "postgresql://x", "nats://x", "s", instance_id="this-run")
        stack.service_ports["tasks"] = server.server_address[1]
        stack.wait_ready(5.0)
    finally:
        server.shutdown()


def test_port_ownership_names_the_listening_process(other: ThreadingHTTPServer) -> None:
    port = other.server_address[1]
    assert owns_port(os.getpid(), port)
    stranger = subprocess.Popen(["sleep", "5"])
    try:
        assert not owns_port(stranger.pid, port)
    finally:
        stranger.kill()
        stranger.wait()

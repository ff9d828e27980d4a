"""The bench's HTTP client (bench/lean_http.py) against a server that answers in every way
an HTTP/1.1 server may: a length, chunks, ``Connection: close``, an idle connection closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio

from bench.lean_http import LeanClient


class Server:
    """Answers each request by its path; counts connections and the headers it saw."""

    def __init__(self) -> None:
        self.connections = 0
        self.seen: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.seen.append(head)
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                length = next(
                    (
                        int(v)
                        for k, _, v in (x.partition(b":") for x in lines[1:])
                        if k.lower() == b"content-length"
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                if path == b"/chunked":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                        b'3\r\n{"a\r\n6\r\n":[1]}\r\n0\r\n\r\n'
                    )
                elif path == b"/close":
                    writer.write(
                        b"HTTP/1.1 503 Unavailable\r\nconnection: close\r\ncontent-length: 2\r\n\r\nno"
                    )
                    await writer.drain()
                    writer.close()
                    return
                else:
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[tuple[Server, int]]:
    s = Server()
    srv = await asyncio.start_server(s.handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield s, port


async def test_bodies_by_length_and_by_chunks_on_one_kept_connection(
    server: tuple[Server, int],
) -> None:
    s, port = server
    client = LeanClient(f"http://127.0.0.1:{port}/echo", {"authorization": "Bearer t"})
    try:
        assert await client.post(b'{"query":"{ a }"}') == (200, b'{"query":"{ a }"}')
        assert await client.post(b"{}", path="/chunked") == (200, b'{"a":[1]}')
        assert await client.post(b"x" * 70_000) == (200, b"x" * 70_000)
    finally:
        await client.aclose()
    assert s.connections == 1
    assert all(b"authorization: Bearer t" in h for h in s.seen)
    assert b"content-type: application/json" in s.seen[0]


async def test_concurrent_calls_get_their_own_connections_and_answers(
    server: tuple[Server, int],
) -> None:
    s, port = server
    client = LeanClient(f"http://127.0.0.1:{port}/echo")
    try:
        answers = await asyncio.gather(*(client.post(b"%d" % i) for i in range(8)))
        assert answers == [(200, b"%d" % i) for i in range(8)]
        assert s.connections == 8
        await asyncio.gather(*(client.post(b"again") for _ in range(8)))
        assert s.connections == 8  # all eight were kept and reused
    finally:
        await client.aclose()


async def test_a_closed_connection_is_not_reused_and_an_idle_one_closed_is_retried(
    server: tuple[Server, int],
) -> None:
    s, port = server
    client = LeanClient(f"http://127.0.0.1:{port}/echo")
    try:
        assert await client.post(b"{}", path="/close") == (503, b"no")
        assert await client.post(b"1") == (200, b"1")
        assert s.connections == 2
        for w in s.writers:  # the server drops its idle connections
            w.close()
        assert await client.post(b"2") == (200, b"2")
        assert s.connections == 3
        status, _ = await client.get("/echo")
        assert status == 200
    finally:
        await client.aclose()

"""A bench client whose own cost does not hide the server's.

httpx spends 0.7–1.2 ms of client CPU per request on this machine (a GET of the tasks
service's ``/healthz`` takes 0.85–1.4 ms through httpx and 0.16–0.24 ms through this
client, same stack, same minute), more than the server work issue 15 asks about. The
bench's "direct − raw SQL" figure measured mostly httpx. This client keeps HTTP/1.1
connections alive, writes each request in one ``write`` and parses responses with
httptools (the C parser uvicorn uses); nothing else happens between the socket and the
caller.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httptools


class _Response:
    """httptools callbacks: collect one response's body (whether the connection may be kept
    is read at completion: the parser forgets it once it is fed past the message)."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.complete = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        self.writer.write(request)
        response = _Response()
        while not response.complete:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise ConnectionResetError("the server closed the connection")
            response.parser.feed_data(chunk)
        return response.parser.get_status_code(), bytes(response.body), response.keep_alive

    def close(self) -> None:
        self.writer.close()


class LeanClient:
    """POST JSON to one URL over a pool of keep-alive connections (one per concurrent call)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        fixed = {"host": f"{self.host}:{self.port}", **(headers or {})}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode()
        self._idle: list[_Connection] = []

    async def _connection(self) -> tuple[_Connection, bool]:
        if self._idle:
            return self._idle.pop(), True
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer), False

    async def _send(self, request: bytes) -> tuple[int, bytes]:
        conn, reused = await self._connection()
        try:
            status, body, keep = await conn.exchange(request)
        except (ConnectionError, OSError):
            conn.close()
            if not reused:
                raise
            # an idle connection the server had closed: once more on a new one
            return await self._send(request)
        if keep:
            self._idle.append(conn)
        else:
            conn.close()
        return status, body

    async def post(self, body: bytes, path: str | None = None) -> tuple[int, bytes]:
        """(status, body) of a POST of a JSON ``body``."""
        request = b"".join(
            (
                b"POST ",
                (path or self.path).encode(),
                b" HTTP/1.1\r\n",
                self._head,
                b"content-type: application/json\r\ncontent-length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        return await self._send(request)

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self._send(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._head + b"\r\n")

    async def aclose(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()

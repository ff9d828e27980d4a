"""Outbound HTTP for webhooks with SSRF protection checked at connect time.

Every request resolves the host itself, refuses the request if any address is
private, loopback, link-local, multicast or reserved (unless allow-listed), and then
connects to the address it checked (TLS still verifies the original host name via
SNI), so a DNS answer that changes between a check and the connection (rebinding)
cannot point the request inside. With an egress proxy the proxy connects; the check
still runs here first.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence

import httpx

from services.alerts.integrations.domain import Network, address_allowed

Resolver = Callable[[str, int], Awaitable[list[str]]]


class EgressRefused(Exception):
    pass


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        allow: Sequence[Network] = (),
        proxy: str | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.allow = list(allow)
        self.proxy = proxy
        self.resolver = resolver
        self.inner = httpx.AsyncHTTPTransport(proxy=proxy, retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = await self.resolver(host, port)
        except OSError as e:
            raise EgressRefused(f"cannot resolve {host}: {e}") from e
        if not addresses:
            raise EgressRefused(f"no address for {host}")
        refused = [a for a in addresses if not address_allowed(a, self.allow)]
        if refused:
            raise EgressRefused(f"{host} resolves to a non-public address ({refused[0]})")
        if self.proxy is None:
            # pin the connection to the address just checked
            request.url = request.url.copy_with(host=addresses[0])
            request.extensions = {**request.extensions, "sni_hostname": host}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def post_capped(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    max_bytes: int,
) -> tuple[int, bytes]:
    """POST and read at most ``max_bytes`` of the answer (the rest is dropped)."""
    async with client.stream("POST", url, content=body, headers=headers) as r:
        kept = bytearray()
        async for chunk in r.aiter_bytes():
            kept.extend(chunk[: max_bytes - len(kept)])
            if len(kept) >= max_bytes:
                break
        return r.status_code, bytes(kept)

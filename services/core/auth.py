"""JWT verification (HS256 locally, RS256 / JWKS in production) and the principal."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt

from services.core.settings import Settings


class Role(StrEnum):
    LEADER = "LEADER"
    SUPERVISION_OFFICE = "SUPERVISION_OFFICE"
    UNIT_HEAD = "UNIT_HEAD"
    UNIT_SUPERVISOR = "UNIT_SUPERVISOR"
    CADRE = "CADRE"
    INTEGRATION = "INTEGRATION"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person (or service account), their roles and unit scope."""

    subject: str
    name: str = ""
    roles: frozenset[Role] = field(default_factory=frozenset)
    unit_ids: frozenset[str] = field(default_factory=frozenset)
    operations: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def sees_everything(self) -> bool:
        return self.has(Role.SUPERVISION_OFFICE, Role.LEADER)

    @property
    def person_id(self) -> str:
        return self.subject

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        roles = frozenset(Role(r) for r in claims.get("roles", []) if r in Role.__members__)
        return cls(
            subject=str(claims["sub"]),
            name=str(claims.get("name", "")),
            roles=roles,
            unit_ids=frozenset(str(u) for u in claims.get("units", [])),
            operations=frozenset(str(o) for o in claims.get("ops", [])),
        )


class AuthError(Exception):
    pass


class TokenVerifier:
    """Verifies bearer tokens. Verified claims are kept per raw token until its ``exp``
    (PyJWT re-prepares the key on every decode: a quarter of a small request's time), and
    JWKS keys are fetched in a worker thread, never on the event loop, and cached."""

    def __init__(self, settings: Settings, clock: Any = time.time) -> None:
        self.settings = settings
        self.algorithm = settings.jwt_algorithm
        self.clock = clock
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = max(0, settings.token_cache_size)
        self._jwks: jwt.PyJWKClient | None = None
        self._key: Any
        if settings.jwt_jwks_url:
            self._jwks = jwt.PyJWKClient(
                settings.jwt_jwks_url, cache_keys=True, cache_jwk_set=True, lifespan=300
            )
            self._key = None
        elif self.algorithm.startswith("HS"):
            self._key = settings.signing_secret()
        else:
            if not settings.jwt_public_key:
                raise RuntimeError("JWT_PUBLIC_KEY or JWT_JWKS_URL is required for RS256")
            self._key = settings.jwt_public_key

    def _cached(self, token: str) -> Principal | None:
        hit = self._verified.get(token)
        if hit is None:
            return None
        principal, expires = hit
        if self.clock() >= expires:
            self._verified.pop(token, None)
            return None
        self._verified.move_to_end(token)
        return principal

    def _remember(self, token: str, principal: Principal, claims: dict[str, Any]) -> None:
        if not self._cache_size:
            return
        self._verified[token] = (principal, float(claims["exp"]))
        while len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)

    def verify(self, token: str) -> Principal:
        """Synchronous: fetches a JWKS key on this thread (use ``verify_async`` in a server)."""
        cached = self._cached(token)
        if cached is not None:
            return cached
        key = self._signing_key(token) if self._jwks else self._key
        return self._decode(token, key)

    async def verify_async(self, token: str) -> Principal:
        cached = self._cached(token)
        if cached is not None:
            return cached
        key = await asyncio.to_thread(self._signing_key, token) if self._jwks else self._key
        return self._decode(token, key)

    def _signing_key(self, token: str) -> Any:
        assert self._jwks is not None
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWTError as e:
            raise AuthError(str(e)) from e

    def _decode(self, token: str, key: Any) -> Principal:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise AuthError(str(e)) from e
        try:
            principal = Principal.from_claims(claims)
        except (KeyError, TypeError, ValueError) as e:
            raise AuthError(f"unusable claims: {e}") from e
        self._remember(token, principal, claims)
        return principal

    def verify_header(self, authorization: str | None) -> Principal:
        return self.verify(_bearer(authorization))

    async def verify_header_async(self, authorization: str | None) -> Principal:
        return await self.verify_async(_bearer(authorization))


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("malformed Authorization header")
    return token.strip()


def mint_token(
    settings: Settings,
    subject: str,
    roles: list[str],
    units: list[str] | None = None,
    name: str = "",
    ops: list[str] | None = None,
    ttl_seconds: int = 12 * 3600,
) -> str:
    """A development token signed with the local HS256 secret."""
    now = int(time.time())
    claims = {
        "sub": subject,
        "name": name,
        "roles": roles,
        "units": units or [],
        "ops": ops or [],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, settings.signing_secret(), algorithm="HS256")

"""JWT verification (HS256 locally, RS256 / JWKS in production) and the principal."""

from __future__ import annotations

import time
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
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.algorithm = settings.jwt_algorithm
        self._jwks: jwt.PyJWKClient | None = None
        self._key: Any
        if settings.jwt_jwks_url:
            self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True)
            self._key = None
        elif self.algorithm.startswith("HS"):
            self._key = settings.signing_secret()
        else:
            if not settings.jwt_public_key:
                raise RuntimeError("JWT_PUBLIC_KEY or JWT_JWKS_URL is required for RS256")
            self._key = settings.jwt_public_key

    def verify(self, token: str) -> Principal:
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self._key
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
        return Principal.from_claims(claims)

    def verify_header(self, authorization: str | None) -> Principal:
        if not authorization:
            raise AuthError("missing bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthError("malformed Authorization header")
        return self.verify(token.strip())


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

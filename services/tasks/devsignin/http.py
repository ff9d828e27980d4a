"""Starlette routes of the development sign-in (the web console's sign-in page).

GET  /auth/dev/people  → the people to pick, grouped by role
POST /auth/dev/token   {"personId": "…"} → {"token", "expiresIn", "person"}

Both answer 404 unless settings.dev_mode: production signs in through WeCom.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.core.auth import mint_token
from services.core.settings import Settings
from services.tasks.devsignin import domain, store


def _candidate(row: Any) -> domain.Candidate:
    return domain.Candidate(
        id=str(row["id"]),
        name=row["name"],
        roles=list(row["roles"]),
        unit_id=str(row["unit_id"]) if row["unit_id"] else None,
        unit_name=row["unit_name"],
        position=row["position"],
    )


def _refused() -> JSONResponse:
    return JSONResponse({"error": "开发登录仅在开发模式下可用"}, status_code=404)


async def people(request: Request) -> JSONResponse:
    if not request.app.state.settings.dev_mode:
        return _refused()
    async with request.app.state.pool.acquire() as conn:
        rows = await store.list_candidates(conn, domain.PER_ROLE)
    return JSONResponse({"groups": domain.group_by_role([_candidate(r) for r in rows])})


async def token(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    if not settings.dev_mode:
        return _refused()
    try:
        body = await request.json()
        person_id = UUID(str(body["personId"]))
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "personId 无效"}, status_code=400)
    async with request.app.state.pool.acquire() as conn:
        row = await store.get_candidate(conn, person_id)
    if row is None:
        return JSONResponse({"error": "查无此人"}, status_code=404)
    person = _candidate(row)
    minted = mint_token(settings, ttl_seconds=domain.TOKEN_TTL_SECONDS, **person.claims())
    return JSONResponse(
        {"token": minted, "expiresIn": domain.TOKEN_TTL_SECONDS, "person": person.as_json()}
    )


def routes(settings: Settings) -> list[BaseRoute]:
    return [
        Route("/auth/dev/people", people, methods=["GET"]),
        Route("/auth/dev/token", token, methods=["POST"]),
    ]

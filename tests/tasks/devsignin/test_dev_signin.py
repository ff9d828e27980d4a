"""Development sign-in: lists people by role and mints their token, only in DEV_MODE."""

from __future__ import annotations

import jwt
import pytest

from services.core.settings import Settings
from tests.support.servers import running_service
from tests.tasks.support import make_person, make_unit

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_lists_people_by_role_and_mints_their_token(settings: Settings) -> None:
    dev = settings.model_copy(update={"dev_mode": True})
    async with running_service("tasks", dev) as (_app, gql):
        unit = await make_unit(gql, "演示街道")
        sup = await make_person(gql, unit, "李督查", ["UNIT_SUPERVISOR"])
        await make_person(gql, None, "王主任", ["SUPERVISION_OFFICE"])
        http = gql.client
        groups = (await http.get("/auth/dev/people")).json()["groups"]
        by_role = {g["role"]: g for g in groups}
        assert by_role["SUPERVISION_OFFICE"]["label"] == "督查办"
        assert [p["name"] for p in by_role["UNIT_SUPERVISOR"]["people"]] == ["李督查"]
        assert by_role["UNIT_SUPERVISOR"]["people"][0]["unitName"] == "演示街道"

        r = await http.post("/auth/dev/token", json={"personId": sup})
        assert r.status_code == 200
        claims = jwt.decode(
            r.json()["token"], dev.signing_secret(), algorithms=["HS256"], audience=dev.jwt_audience
        )
        assert claims["sub"] == sup
        assert claims["roles"] == ["UNIT_SUPERVISOR"]
        assert claims["units"] == [unit]
        assert claims["exp"] > claims["iat"]

        assert (await http.post("/auth/dev/token", json={"personId": "x"})).status_code == 400
        missing = "00000000-0000-0000-0000-0000000000ff"
        assert (await http.post("/auth/dev/token", json={"personId": missing})).status_code == 404


async def test_refused_unless_dev_mode(settings: Settings) -> None:
    prod = settings.model_copy(update={"dev_mode": False})
    async with running_service("tasks", prod) as (_app, gql):
        assert (await gql.client.get("/auth/dev/people")).status_code == 404
        person = await make_person(gql, None, "王主任", ["SUPERVISION_OFFICE"])
        r = await gql.client.post("/auth/dev/token", json={"personId": person})
        assert r.status_code == 404
        assert "token" not in r.json()

"""Fixtures of delivery tests: loopback WeCom and SMTP servers, settings pointing at
them, and a pool on the alerts schema."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import pytest_asyncio

from services.core.db import apply_migrations, create_pool, migrations_for
from services.core.settings import Settings
from tests.alerts.fakes import FakeSMTP, FakeWeCom


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeCom]:
    fake = FakeWeCom().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[FakeSMTP]:
    fake = FakeSMTP().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def config(settings: Settings, wecom: FakeWeCom, smtp: FakeSMTP) -> Settings:
    wecom.reset()
    smtp.messages.clear()
    return settings.model_copy(
        update={
            "wecom_api_base": wecom.base,
            "wecom_robot_base": wecom.robot_url,
            "wecom_corp_id": wecom.corp_id,
            "wecom_corp_secret": wecom.corp_secret,
            "wecom_agent_id": 1000002,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "notification_backoff_seconds": 0.0,
            "notification_max_attempts": 3,
            "delivery_lease_seconds": 1.0,
        }
    )


@pytest_asyncio.fixture(scope="module")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    dsn = settings.require_database_url()
    await apply_migrations(dsn, "alerts", migrations_for("alerts"))
    p = await create_pool(dsn, "alerts")
    try:
        yield p
    finally:
        await p.close()

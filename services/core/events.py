"""The one event envelope and the base class every event contract derives from.

A contract is a pydantic model for the envelope's ``data`` with a class-level
``type`` (also the NATS subject, ``<service>.<entity>.<past-tense-verb>``) and
``version``. Contracts live in ``services.contracts.<producer>``; no subject
string is typed anywhere else.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    aggregate_id: str
    aggregate_version: int
    data: dict[str, Any]

    @property
    def subject(self) -> str:
        return self.type

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        return cls.model_validate_json(raw)


class EventContract(BaseModel):
    """Base for event payloads. Subclasses set ``type`` and ``version``."""

    model_config = ConfigDict(extra="ignore")

    type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def producer(cls) -> str:
        return cls.type.split(".", 1)[0]

    def envelope(
        self,
        aggregate_id: str,
        aggregate_version: int,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        kwargs: dict[str, Any] = {}
        if occurred_at is not None:
            kwargs["occurred_at"] = occurred_at
        return Envelope(
            type=self.type,
            version=self.version,
            producer=self.producer(),
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            data=self.model_dump(mode="json"),
            **kwargs,
        )


class UnknownEventType(Exception):
    pass


def registry(*contracts: type[EventContract]) -> dict[str, type[EventContract]]:
    return {c.type: c for c in contracts}


def decode(envelope: Envelope, contracts: dict[str, type[EventContract]]) -> EventContract:
    contract = contracts.get(envelope.type)
    if contract is None:
        raise UnknownEventType(envelope.type)
    return contract.model_validate(envelope.data)


STREAMS: dict[str, str] = {
    # stream name -> subject filter; one stream per producing service
    "TASKS": "tasks.>",
    "ALERTS": "alerts.>",
    "EVALUATION": "evaluation.>",
}


def stream_for(subject: str) -> str:
    producer = subject.split(".", 1)[0]
    return producer.upper()

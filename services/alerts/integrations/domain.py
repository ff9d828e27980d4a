"""The public event feed (pure): internal events mapped to CloudEvents 1.0, and the
rules integrations live by (who receives what, retry schedule, URL checks).

Internal events stay internal: a department sees only the types listed in ``PUBLIC``,
each with its own versioned ``data`` model (JSON Schema under docs/integration/schemas/,
generated from these models and checked in tests). Changing an internal contract
never changes a public shape unless the mapping here is changed with it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from services.alerts import access
from services.contracts import alerts as alerts_events
from services.contracts import evaluation as evaluation_events
from services.contracts import tasks as tasks_events
from services.core.auth import Principal, Role
from services.core.errors import ValidationFailed
from services.core.events import Envelope, EventContract

TYPE_PREFIX = "cn.gov.ducha."
SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


# --- public data models (version 1 of each) ------------------------------------------


class PublicModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class PublicItem(PublicModel):
    """The item as a department sees it in every item event."""

    id: str
    code: str
    title: str
    source: str
    state: str
    start_date: date
    deadline: date
    original_deadline: date
    lead_unit_id: str
    co_unit_ids: list[str]
    completed_at: datetime | None = None


class ItemChange(PublicModel):
    """item.created / completed / suspended / resumed / cancelled / deadline_changed."""

    item: PublicItem
    actor_id: str | None = None


class ItemUpdated(PublicModel):
    """item.updated: the office edited the item (修改); ``changedFields`` names what changed."""

    item: PublicItem
    changed_fields: list[str]
    actor_id: str | None = None


class ItemTransferred(PublicModel):
    """item.transferred: the office moved one unit's assignment to another unit (转办)."""

    item: PublicItem
    from_unit_id: str
    to_unit_id: str
    role: str
    reason: str | None = None
    actor_id: str | None = None


class DeadlineReset(PublicModel):
    """item.deadline_reset: the office re-set the deadline on a leader's instruction
    (调整时限); the original deadline stays for assessment."""

    item: PublicItem
    previous_deadline: date | None = None
    deadline: date
    reason: str | None = None
    actor_id: str | None = None


class AssignmentChange(PublicModel):
    """assignment.assigned / signed / returned: one unit's assignment on the item."""

    item: PublicItem
    unit_id: str
    reason: str | None = None
    actor_id: str | None = None


class ProgressReported(PublicModel):
    item: PublicItem
    unit_id: str
    percent: int
    previous_percent: int | None = None
    actor_id: str | None = None


class ExtensionDecided(PublicModel):
    item: PublicItem
    approved: bool
    new_deadline: date | None = None
    actor_id: str | None = None


class NoticeIssued(PublicModel):
    item: PublicItem
    notice_id: str
    notice_code: str
    response_deadline: str | None = None
    recipient_ids: list[str]
    actor_id: str | None = None


class ColourChanged(PublicModel):
    item_id: str
    code: str
    title: str
    lead_unit_id: str | None = None
    unit_ids: list[str]
    previous_colour: str | None = None  # RED | BLUE | YELLOW | GREEN | null (no colour)
    colour: str | None = None
    reason: str
    deadline: date | None = None
    changed_at: datetime


class NoticeAcknowledged(PublicModel):
    """notice.acknowledged: one recipient acknowledged (签阅) a supervision notice."""

    item_id: str
    notice_id: str
    notice_code: str
    person_id: str
    acknowledged_at: datetime
    note: str | None = None
    remaining: int  # recipients still to acknowledge


class RankingPublished(PublicModel):
    """ranking.published: a closed period's standing of one unit (one event per unit,
    so a department learns its own units' standing and no other's)."""

    period_id: str
    period_name: str
    starts_on: date
    ends_on: date
    unit_id: str
    category: str
    rank: int  # within the category; a failed (vetoed) unit ranks last
    ranked: int  # units ranked in the category
    total: float
    failed: bool
    published_at: datetime


class PeriodClosed(PublicModel):
    period_id: str
    name: str
    starts_on: date
    ends_on: date


# --- mapping ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicType:
    name: str  # e.g. "item.completed"; the CloudEvent type is TYPE_PREFIX + name
    version: int
    model: type[PublicModel]
    internal: type[EventContract]
    build: Callable[[Any], PublicModel]
    subject: Callable[[Any, Envelope], str]
    units: Callable[[Any], list[str]]

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.name

    @property
    def schema_name(self) -> str:
        return f"{self.type}.v{self.version}.json"

    @property
    def dataschema(self) -> str:
        return f"urn:ducha:schema:{self.type}:v{self.version}"


def public_item(s: tasks_events.ItemSnapshot) -> PublicItem:
    return PublicItem(
        id=s.id,
        code=s.code,
        title=s.title,
        source=s.source,
        state=s.state,
        start_date=s.start_date,
        deadline=s.deadline,
        original_deadline=s.original_deadline,
        lead_unit_id=s.lead_unit_id,
        co_unit_ids=list(s.co_unit_ids),
        completed_at=s.completed_at,
    )


def item_units(e: tasks_events.ItemEvent) -> list[str]:
    s = e.item
    seen = [s.lead_unit_id, *s.co_unit_ids, *(a.unit_id for a in s.assignments)]
    return sorted(set(seen))


def _item_subject(e: Any, env: Envelope) -> str:
    return str(e.item.id)


def _item_change(e: tasks_events.ItemEvent) -> ItemChange:
    return ItemChange(item=public_item(e.item), actor_id=e.actor_id)


def _updated(e: tasks_events.ItemEvent) -> ItemUpdated:
    changes = e.detail.get("changes") or {}
    return ItemUpdated(
        item=public_item(e.item), changed_fields=sorted(changes), actor_id=e.actor_id
    )


def _transferred(e: tasks_events.ItemEvent) -> ItemTransferred:
    d = e.detail
    return ItemTransferred(
        item=public_item(e.item),
        from_unit_id=str(d.get("from_unit_id", "")),
        to_unit_id=str(d.get("to_unit_id", "")),
        role=str(d.get("role", "LEAD")),
        reason=d.get("reason"),
        actor_id=e.actor_id,
    )


def _deadline_reset(e: tasks_events.ItemEvent) -> DeadlineReset:
    previous = e.detail.get("previous_deadline")
    return DeadlineReset(
        item=public_item(e.item),
        previous_deadline=date.fromisoformat(previous) if previous else None,
        deadline=e.item.deadline,
        reason=e.detail.get("reason"),
        actor_id=e.actor_id,
    )


def _assignment(e: tasks_events.ItemEvent) -> AssignmentChange:
    return AssignmentChange(
        item=public_item(e.item),
        unit_id=str(e.detail.get("unit_id") or e.item.lead_unit_id),
        reason=e.detail.get("reason"),
        actor_id=e.actor_id,
    )


def _progress(e: tasks_events.ItemEvent) -> ProgressReported:
    return ProgressReported(
        item=public_item(e.item),
        unit_id=str(e.detail.get("unit_id") or e.item.lead_unit_id),
        percent=int(e.detail.get("percent", 0)),
        previous_percent=e.detail.get("previous_percent"),
        actor_id=e.actor_id,
    )


def _extension(e: tasks_events.ItemEvent) -> ExtensionDecided:
    approved = bool(e.detail.get("approved"))
    new = e.detail.get("new_deadline")
    return ExtensionDecided(
        item=public_item(e.item),
        approved=approved,
        new_deadline=date.fromisoformat(new) if approved and new else None,
        actor_id=e.actor_id,
    )


def _notice(e: tasks_events.ItemEvent) -> NoticeIssued:
    d = e.detail
    return NoticeIssued(
        item=public_item(e.item),
        notice_id=str(d.get("notice_id", "")),
        notice_code=str(d.get("code", "")),
        response_deadline=d.get("response_deadline"),
        recipient_ids=[str(r["person_id"]) for r in d.get("recipients", [])],
        actor_id=e.actor_id,
    )


def _colour(e: alerts_events.LevelChanged) -> ColourChanged:
    return ColourChanged(
        item_id=e.item_id,
        code=e.code,
        title=e.title,
        lead_unit_id=e.lead_unit_id,
        unit_ids=sorted(set(e.unit_ids)),
        previous_colour=e.previous_level,
        colour=e.level,
        reason=e.reason,
        deadline=e.deadline,
        changed_at=e.changed_at,
    )


def _period(e: evaluation_events.PeriodClosed) -> PeriodClosed:
    return PeriodClosed(
        period_id=e.period_id, name=e.name, starts_on=e.starts_on, ends_on=e.ends_on
    )


def _notice_acknowledged(e: tasks_events.NoticeAcknowledged) -> NoticeAcknowledged:
    return NoticeAcknowledged(
        item_id=e.item_id,
        notice_id=e.notice_id,
        notice_code=e.code,
        person_id=e.person_id,
        acknowledged_at=e.acknowledged_at,
        note=e.note,
        remaining=e.remaining,
    )


# An acknowledgement recorded before events named the item's units reaches only
# clients that see every unit (an empty list would mean district-wide).
UNSCOPED = "-"


def _notice_units(e: tasks_events.NoticeAcknowledged) -> list[str]:
    return sorted(set(e.unit_ids)) or [UNSCOPED]


def _ranking(e: evaluation_events.RankingPublished) -> RankingPublished:
    return RankingPublished(
        period_id=e.period_id,
        period_name=e.name,
        starts_on=e.starts_on,
        ends_on=e.ends_on,
        unit_id=e.unit_id,
        category=e.category,
        rank=e.rank,
        ranked=e.ranked,
        total=e.total,
        failed=e.failed,
        published_at=e.published_at,
    )


def _item(
    name: str, internal: type[tasks_events.ItemEvent], model: type[PublicModel], build: Any
) -> PublicType:
    return PublicType(name, 1, model, internal, build, _item_subject, item_units)


PUBLIC: tuple[PublicType, ...] = (
    _item("item.created", tasks_events.ItemCreated, ItemChange, _item_change),
    _item("item.completed", tasks_events.ItemCompleted, ItemChange, _item_change),
    _item("item.suspended", tasks_events.ItemSuspended, ItemChange, _item_change),
    _item("item.resumed", tasks_events.ItemResumed, ItemChange, _item_change),
    _item("item.cancelled", tasks_events.ItemCancelled, ItemChange, _item_change),
    _item("item.deadline_changed", tasks_events.ItemDeadlineChanged, ItemChange, _item_change),
    _item("item.updated", tasks_events.ItemUpdated, ItemUpdated, _updated),
    _item("item.transferred", tasks_events.ItemTransferred, ItemTransferred, _transferred),
    _item("item.deadline_reset", tasks_events.ItemDeadlineReset, DeadlineReset, _deadline_reset),
    _item("assignment.assigned", tasks_events.ItemAssigned, AssignmentChange, _assignment),
    _item("assignment.signed", tasks_events.ItemSigned, AssignmentChange, _assignment),
    _item("assignment.returned", tasks_events.ItemReturned, AssignmentChange, _assignment),
    _item("item.progress_reported", tasks_events.ItemProgressReported, ProgressReported, _progress),
    _item(
        "item.extension_decided", tasks_events.ItemExtensionDecided, ExtensionDecided, _extension
    ),
    _item("notice.issued", tasks_events.ItemNoticeIssued, NoticeIssued, _notice),
    PublicType(
        "item.colour_changed",
        1,
        ColourChanged,
        alerts_events.LevelChanged,
        _colour,
        lambda e, env: str(e.item_id),
        lambda e: sorted(set(e.unit_ids) | ({e.lead_unit_id} if e.lead_unit_id else set())),
    ),
    PublicType(
        "notice.acknowledged",
        1,
        NoticeAcknowledged,
        tasks_events.NoticeAcknowledged,
        _notice_acknowledged,
        lambda e, env: str(e.item_id),
        _notice_units,
    ),
    PublicType(
        "ranking.published",
        1,
        RankingPublished,
        evaluation_events.RankingPublished,
        _ranking,
        lambda e, env: str(e.period_id),
        lambda e: [e.unit_id],
    ),
    PublicType(
        "period.closed",
        1,
        PeriodClosed,
        evaluation_events.PeriodClosed,
        _period,
        lambda e, env: str(e.period_id),
        lambda e: [],
    ),
)

BY_INTERNAL: dict[str, PublicType] = {p.internal.type: p for p in PUBLIC}
BY_TYPE: dict[str, PublicType] = {p.type: p for p in PUBLIC}

# Internal events that are deliberately not public (checked by a test: every contract
# is either mapped above or listed here).
INTERNAL_ONLY: frozenset[str] = frozenset(
    {
        tasks_events.ItemReportVerified.type,  # office-internal review of a report
        tasks_events.ItemCompletionRequested.type,  # pending the office's verification
        tasks_events.ItemSentBack.type,
        tasks_events.ItemExtensionRequested.type,  # public once decided
        tasks_events.ItemInstructionAdded.type,  # leaders' instructions are not for export
        tasks_events.ItemChased.type,
        tasks_events.UnitUpserted.type,  # organisation data: GraphQL, not the feed
        tasks_events.PersonUpserted.type,
        tasks_events.WeComCardActed.type,  # WeCom plumbing between tasks and alerts
        tasks_events.ItemInstructionConfirmed.type,  # as instructions: not for export
        tasks_events.CalendarChanged.type,  # the office's calendar: GraphQL, not the feed
    }
)


@dataclass(frozen=True)
class CloudEvent:
    """One public event. ``unit_ids`` is for filtering and never leaves Ducha."""

    id: str
    source: str
    type: str
    subject: str
    time: datetime
    data: dict[str, Any]
    dataschema: str
    unit_ids: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "datacontenttype": CONTENT_TYPE,
            "dataschema": self.dataschema,
            "data": self.data,
        }


def to_cloud_event(env: Envelope, event: EventContract) -> CloudEvent | None:
    """The public form of an internal event, or None when the event stays internal."""
    public = BY_INTERNAL.get(env.type)
    if public is None:
        return None
    data = public.build(event).model_dump(mode="json", by_alias=True)
    return CloudEvent(
        id=str(env.id),
        source=f"/ducha/{env.producer}",
        type=public.type,
        subject=public.subject(event, env),
        time=env.occurred_at,
        data=data,
        dataschema=public.dataschema,
        unit_ids=public.units(event),
    )


def json_schema(public: PublicType) -> dict[str, Any]:
    schema = public.model.model_json_schema(by_alias=True, mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": public.dataschema,
        "title": f"{public.type} data, version {public.version}",
        **schema,
    }


# --- who receives what -----------------------------------------------------------------


@dataclass(frozen=True)
class ClientScope:
    """An integration client as the access policy sees it."""

    client_id: str
    unit_ids: frozenset[str]
    all_units: bool
    event_types: frozenset[str]

    def principal(self) -> Principal:
        return Principal(
            subject=self.client_id, roles=frozenset({Role.INTEGRATION}), unit_ids=self.unit_ids
        )


def receives(scope: ClientScope, event_type: str, event_units: Sequence[str]) -> bool:
    """Whether the client may see this event: its type allowed, and (for events about
    units) the one access policy lets it read an item on those units (ADR 0013)."""
    if event_type not in scope.event_types:
        return False
    if not event_units:
        return True  # district-wide events (period closed) carry no unit's item
    return scope.all_units or access.can_read(
        scope.principal(), access.ItemScope.of(None, event_units)
    )


def check_event_types(types: Iterable[str], allowed: Iterable[str] | None = None) -> list[str]:
    wanted = sorted(set(types))
    if not wanted:
        raise ValidationFailed("至少选择一种事件类型", field="eventTypes")
    permitted = set(allowed) if allowed is not None else set(BY_TYPE)
    unknown = [t for t in wanted if t not in permitted]
    if unknown:
        raise ValidationFailed(f"不可订阅的事件类型: {', '.join(unknown)}", field="eventTypes")
    return wanted


# --- delivery rules --------------------------------------------------------------------

# Gaps between attempts (seconds). The early gaps are capped at 2 minutes for the first
# half hour, so an endpoint back from an outage of up to ~30 minutes has every waiting
# event within 2 minutes of its return (ADR 0019); then they widen as Standard Webhooks'
# schedule does: 5 min, 30 min, 1 h, 2 h, 5 h, 10 h, 10 h; about 30.6 hours in all, then
# the message is DEAD.
RETRY_SCHEDULE: tuple[float, ...] = (
    5,
    30,
    60,
    *(120,) * 14,  # to ~30 min after the first attempt
    *(300,) * 6,  # to ~1 h
    1800,
    3600,
    7200,
    18000,
    36000,
    36000,
)
EARLY_GAP_CAP = 120.0  # seconds; the longest gap while the first half hour lasts
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1


def next_retry(attempts: int, scale: float = 1.0) -> timedelta | None:
    """Delay before the next attempt after ``attempts`` failed ones; None = DEAD."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=RETRY_SCHEDULE[attempts - 1] * scale)


def should_disable(failing_since: datetime | None, now: datetime, after: timedelta) -> bool:
    return failing_since is not None and now - failing_since >= after


def check_url(url: str, require_https: bool) -> str:
    """A webhook URL must be absolute http(s); https unless development allows http."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("回调地址必须是完整的 http(s) 地址", field="url")
    if require_https and parts.scheme != "https":
        raise ValidationFailed("回调地址必须使用 HTTPS", field="url")
    if parts.username or parts.password:
        raise ValidationFailed("回调地址不能包含用户名或密码", field="url")
    if len(url) > 2000:
        raise ValidationFailed("回调地址过长", field="url")
    return url


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allow_list(value: str) -> list[Network]:
    return [ipaddress.ip_network(p.strip(), strict=False) for p in value.split(",") if p.strip()]


def address_allowed(ip: str, allow: Sequence[Network]) -> bool:
    """SSRF rule: public unicast addresses only, unless the address is allow-listed."""
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if any(addr in net for net in allow):
        return True
    return not (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or (isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT)
    )


_CGNAT = ipaddress.ip_network("100.64.0.0/10")

"""Shapes of the API's JSON, as TypedDicts: answers are plain dicts at run
time, typed for checkers. Field names are the API's; see the server's
OpenAPI document (GET /api/openapi.json) for every detail."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Dict, Generic, List, Optional, TypedDict, TypeVar

T = TypeVar("T")


class FieldProblem(TypedDict, total=False):
    """One bad part of a request: where (pointer or parameter) and what."""

    pointer: str
    parameter: str
    detail: str


if TYPE_CHECKING or sys.version_info >= (3, 11):

    class Page(TypedDict, Generic[T], total=False):
        """One page of a list; pass next_cursor as cursor for the next."""

        data: List[T]
        next_cursor: str

else:  # Python before 3.11 cannot make a TypedDict generic at run time.

    class Page(TypedDict, total=False):
        """One page of a list; pass next_cursor as cursor for the next."""

        data: List[Any]
        next_cursor: str


class EventType(TypedDict, total=False):
    slug: str
    name: str
    description: str
    example: Dict[str, Any]
    schema: Dict[str, Any]
    custom: bool
    deprecated: bool
    created_at: str


class WebhookStats(TypedDict, total=False):
    deliveries: int
    attempts: int
    succeeded: int
    failed: int
    last_success_at: Optional[str]
    last_failure_at: Optional[str]
    failing_since: Optional[str]
    throttled: int


class RateLimit(TypedDict, total=False):
    """At most per_second requests in any second, or per_minute in any
    minute (set one)."""

    per_second: int
    per_minute: int


class Destination(TypedDict, total=False):
    """Where deliveries go: "http" (the default) POSTs to the webhook's url;
    the broker types publish to url with their own fields (rabbitmq:
    exchange, routing_key; nats: subject; redis: stream, maxlen; mqtt:
    topic, qos). url comes back with its password masked as "xxxxx";
    sending it back unchanged keeps the stored password. kafka has no url:
    brokers (host:port), topic, key_path (dotted path in the body whose
    value keys each record; the event id by default), tls, and SASL
    sasl_mechanism, username, password (write-only: shown as "xxxxx",
    kept when sent back so or left out)."""

    type: str
    url: str
    exchange: str
    routing_key: str
    subject: str
    stream: str
    maxlen: int
    topic: str
    qos: int
    brokers: List[str]
    key_path: str
    tls: bool
    sasl_mechanism: str
    username: str
    password: str


class Webhook(TypedDict, total=False):
    id: str
    tenant: str
    name: str
    url: str
    description: str
    events: List[str]
    filter: Optional[Dict[str, Any]]
    #: JavaScript defining handler(webhook), run on each request; "" for none.
    transform: str
    active: bool
    headers: Dict[str, str]
    secret_headers: List[str]
    format: str
    integration: str
    destination: Destination
    signature: str
    ordering: str
    ordering_key: str
    rate_limit: Optional[RateLimit]
    disabled_reason: str
    created_at: str
    updated_at: str
    stats: WebhookStats


class CreatedWebhook(Webhook, total=False):
    """A new webhook with its signing secret ("whsec_...")."""

    secret: str


class PreviousSecret(TypedDict, total=False):
    """A rotated-out secret that still signs until expires_at."""

    secret: str
    expires_at: str


class Secrets(TypedDict, total=False):
    secret: str
    previous: List[PreviousSecret]


class RotatedSecret(TypedDict, total=False):
    secret: str
    previous_expires_at: str


class TestResult(TypedDict, total=False):
    """The receiver's answer to a test send."""

    success: bool
    status_code: int
    destination: str
    outcome: str
    answer: str
    duration_ms: float
    response_headers: Dict[str, List[str]]
    response_body: str
    response_body_encoding: str
    error: str
    error_class: str
    attempt_id: str
    event_type: str
    request_headers: Dict[str, List[str]]
    request_body: str


class ReplayResult(TypedDict, total=False):
    deliveries: int


class RecoverResult(TypedDict, total=False):
    """count: failed deliveries matched (dry run) or re-queued; requeued
    is absent on a dry run."""

    dry_run: bool
    count: int
    requeued: int
    since: str
    until: str


class StatsTotals(TypedDict):
    """What a bucket, or a window, counts; test sends are not counted."""

    delivered: int
    failed: int
    attempts: int
    failed_attempts: int
    retried: int
    p50_ms: Optional[float]
    p95_ms: Optional[float]


class StatsBucket(StatsTotals):
    """One UTC bucket of a health series."""

    start: str


# "from" is a keyword: the window's start is typed in the functional form.
_StatsWindow = TypedDict("_StatsWindow", {"from": str, "to": str})


class Stats(_StatsWindow):
    """Health over time: every bucket of the window, empty ones too;
    success_rate is delivered / (delivered + failed), None when no
    delivery ended."""

    bucket: str
    buckets: List[StatsBucket]
    success_rate: Optional[float]
    totals: StatsTotals


class Attempt(TypedDict, total=False):
    """One try at sending a delivery (or a test send) and its answer."""

    id: str
    delivery_id: str
    webhook_id: str
    event_id: str
    event_type: str
    number: int
    test: bool
    destination: str
    outcome: str
    answer: str
    started_at: str
    duration_ms: float
    url: str
    request_headers: Dict[str, List[str]]
    request_body: str
    status_code: int
    response_headers: Dict[str, List[str]]
    response_body: str
    response_body_encoding: str
    response_truncated: bool
    error_class: str
    error: str


class Event(TypedDict, total=False):
    id: str
    tenant: str
    type: str
    data: Dict[str, Any]
    idempotency_key: str
    timestamp: str


class EventSummary(Event, total=False):
    deliveries: Dict[str, int]


class Delivery(TypedDict, total=False):
    id: str
    tenant: str
    event_id: str
    event_type: str
    webhook_id: str
    status: str
    attempts: int
    next_attempt_at: Optional[str]
    last_status_code: int
    last_error: str
    sequence: int
    ordering_key: str
    blocked_by: str
    created_at: str
    updated_at: str


class FilterSkip(TypedDict, total=False):
    """A webhook subscribed to an event's type whose payload filter excluded it."""

    webhook_id: str
    name: str
    explanation: str


class EventWithDeliveries(Event, total=False):
    deliveries: List[Delivery]  # type: ignore[misc]
    skipped_by_filter: List[FilterSkip]


class DeliveryWithAttempts(Delivery, total=False):
    attempt_log: List[Attempt]


class PublishResult(TypedDict, total=False):
    id: str
    deliveries: int
    duplicate: bool


class Branding(TypedDict, total=False):
    name: str
    logo_url: str
    accent: str


class Tenant(TypedDict, total=False):
    id: str
    name: str
    contact_email: str
    branding: Optional[Branding]
    metadata: Dict[str, str]
    created_at: str
    updated_at: str
    webhooks: int
    failing_webhooks: int


class PortalSession(TypedDict, total=False):
    """A magic link into the customer portal: url opens it, once."""

    url: str
    expires_at: str


class APIKey(TypedDict, total=False):
    id: str
    name: str
    #: The key's first characters, to recognise it.
    prefix: str
    scopes: List[str]
    #: The one tenant the key acts on; absent for a key of every tenant.
    tenant: str
    created_at: str
    expires_at: str
    revoked_at: str
    last_used_at: str


class AlertChannel(TypedDict, total=False):
    """Where alerts go: a Slack-compatible incoming webhook or e-mail."""

    id: str
    #: "slack" or "email".
    type: str
    #: A slack channel's URL, masked (it is a secret).
    url: str
    #: An email channel's addresses.
    to: List[str]
    #: "webhook.failing", "webhook.disabled", "backlog".
    kinds: List[str]
    #: Only alerts about this tenant's webhooks; absent for every alert.
    tenant: str
    created_at: str


class AlertTestResult(TypedDict, total=False):
    """What sending a test alert did."""

    ok: bool
    #: Why the message did not arrive.
    error: str


class CreatedKey(APIKey, total=False):
    """A new API key with the key itself ("hkl_..."), shown only this once."""

    key: str


class User(TypedDict, total=False):
    """A dashboard account; role is "owner", "admin" or "viewer"."""

    username: str
    role: str
    created_at: str
    updated_at: str
    #: A generated password, only in the answer that made it.
    password: str


class AuditEntry(TypedDict, total=False):
    id: str
    at: str
    actor: str
    tenant: str
    action: str
    target: str
    detail: str


class TransformRequest(TypedDict, total=False):
    """The request a delivery would send; payload is the JSON body, or a
    string when the body is not JSON."""

    method: str
    url: str
    headers: Dict[str, str]
    payload: Any


class TransformError(TypedDict, total=False):
    """Why a transform run failed: kind is syntax, handler, runtime,
    timeout, memory, stack or result."""

    kind: str
    message: str
    line: int
    column: int


class TransformResult(TypedDict, total=False):
    #: None when the transform cancelled the delivery or failed.
    result: Optional[TransformRequest]
    cancelled: bool
    error: Optional[TransformError]
    duration_ms: float


class FilterResult(TypedDict, total=False):
    matches: bool
    #: Which clause failed, or that every clause holds.
    explanation: str


class Me(TypedDict, total=False):
    """The key a client uses and the server it talks to."""

    key: APIKey
    server: str
    version: str

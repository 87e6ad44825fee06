"""The REST client: one Hookline server, one API key, resources grouped as
client.events, client.webhooks, client.event_types, client.deliveries,
client.tenants, client.keys and client.audit_log. Field names are the API's own, in requests and answers."""

from __future__ import annotations

import json
import platform
import random
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional

from .errors import APIConnectionError, HooklineError, api_error
from .types import (
    AlertChannel,
    AlertTestResult,
    APIKey,
    Attempt,
    AuditEntry,
    CreatedKey,
    FilterResult,
    TransformResult,
    Me,
    CreatedWebhook,
    Delivery,
    DeliveryWithAttempts,
    EventSummary,
    EventType,
    EventWithDeliveries,
    Page,
    PortalSession,
    PublishResult,
    RecoverResult,
    ReplayResult,
    RotatedSecret,
    Secrets,
    Stats,
    Tenant,
    TestResult,
    User,
    Webhook,
)

__version__ = "0.1.0"

# Only these answers mean "not done, try later": the rate limiter (429) and
# an overloaded or starting server or proxy (503).
_RETRY_STATUSES = (429, 503)


class Hookline:
    """A client of one Hookline server's REST API.

    GET calls, and publish with an idempotency key, are retried on 429,
    503 and connection errors: after Retry-After when the server sent one,
    otherwise with an exponential back-off.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_retry_delay: float = 60.0,
        user_agent: Optional[str] = None,
    ) -> None:
        if not base_url:
            raise ValueError("Hookline needs a base_url")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        #: Seconds each HTTP request may take (connect and each read).
        self.timeout = timeout
        self.max_retries = max_retries
        #: A Retry-After longer than this is not waited for: the error is raised.
        self.max_retry_delay = max_retry_delay
        own = f"hookline-python/{__version__} python/{platform.python_version()}"
        self.user_agent = f"{user_agent} {own}" if user_agent else own
        self.events = Events(self)
        self.webhooks = Webhooks(self)
        self.event_types = EventTypes(self)
        self.deliveries = Deliveries(self)
        self.tenants = Tenants(self)
        self.keys = Keys(self)
        self.users = Users(self)
        self.alert_channels = AlertChannels(self)
        self.audit_log = AuditLog(self)
        self._sleep: Callable[[float], None] = time.sleep

    def me(self) -> Me:
        """The key in use and the server's version."""
        return self.request("GET", "/api/v1/me")

    def stats(self, *, since: Optional[str] = None, bucket: Optional[str] = None) -> Stats:
        """The whole server's health over time (operators only); since and
        bucket are durations in whole minutes ("90m", "24h", "7d")."""
        return self.request("GET", "/api/v1/stats", query={"since": since, "bucket": bucket})

    def request(
        self,
        method: str,
        template: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        retryable: Optional[bool] = None,
    ) -> Any:
        """Sends one API call and returns its decoded JSON (None for 204).

        template is the route as the OpenAPI document spells it
        ("/api/v1/webhooks/{id}"), filled (escaped) from params.
        """
        path = _expand(template, params or {})
        if retryable is None:
            retryable = method == "GET"
        url = self.base_url + path
        qs = _encode_query(query)
        if qs:
            url += "?" + qs
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            can_retry = retryable and attempt < self.max_retries
            req = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    status = resp.status
                if status == 204 or not raw:
                    return None
                try:
                    return json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    # A proxy's HTML page with a 200, say: not the API answering.
                    raise HooklineError(f"hookline: {method} {path}: the answer (status {status}) is not JSON") from None
            except urllib.error.HTTPError as e:
                raw = e.read()
                err = api_error(method, path, e.code, e.reason or "", e.headers, raw)
                if can_retry and e.code in _RETRY_STATUSES:
                    wait = err.retry_after if err.retry_after is not None else _backoff(attempt)
                    # A wait longer than the caller allows is theirs to decide on.
                    if wait <= self.max_retry_delay:
                        self._sleep(wait)
                        attempt += 1
                        continue
                raise err from None
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                timed_out = isinstance(reason, socket.timeout) or isinstance(e, socket.timeout)
                # A timed-out call already waited its whole budget; only
                # fast failures (refused, reset) are retried.
                if can_retry and not timed_out:
                    self._sleep(_backoff(attempt))
                    attempt += 1
                    continue
                what = f"no answer within {self.timeout} s" if timed_out else str(reason)
                raise APIConnectionError(
                    f"hookline: {method} {path}: {what}", method=method, path=path, timed_out=timed_out
                ) from e


class _Resource:
    def __init__(self, client: Hookline) -> None:
        self._c = client

    @staticmethod
    def _all(fetch: Callable[..., Any], query: Dict[str, Any]) -> Iterator[Any]:
        """Yields every item of a list, fetching a page only when needed.

        A cursor seen before ends the walk: a correct server never sends
        one, but looping forever on a broken one is worse."""
        seen = set()
        while True:
            page = fetch(**query)
            yield from page.get("data") or []
            cursor = page.get("next_cursor")
            if not cursor or cursor in seen:
                return
            seen.add(cursor)
            query = {**query, "cursor": cursor}


class Events(_Resource):
    def publish(
        self, type: str, data: Mapping[str, Any], *, idempotency_key: Optional[str] = None, tenant: Optional[str] = None
    ) -> PublishResult:
        """Publishes an event.

        With an idempotency_key the call is retried like a GET: the server
        stores a repeat only once and answers it with duplicate=True and the
        original id."""
        body = _drop_none({"type": type, "data": data, "idempotency_key": idempotency_key, "tenant": tenant})
        return self._c.request("POST", "/api/v1/events", body=body, retryable=bool(idempotency_key))

    def list(self, **query: Any) -> Page[EventSummary]:
        """One page; query: tenant, type, limit, cursor."""
        return self._c.request("GET", "/api/v1/events", query=query)

    def list_all(self, **query: Any) -> Iterator[EventSummary]:
        return self._all(self.list, query)

    def get(self, id: str) -> EventWithDeliveries:
        return self._c.request("GET", "/api/v1/events/{id}", params={"id": id})


class Webhooks(_Resource):
    def list(self, **query: Any) -> Page[Webhook]:
        """One page; query: tenant, event_type, active, search, limit, cursor."""
        return self._c.request("GET", "/api/v1/webhooks", query=query)

    def list_all(self, **query: Any) -> Iterator[Webhook]:
        return self._all(self.list, query)

    def get(self, id: str) -> Webhook:
        return self._c.request("GET", "/api/v1/webhooks/{id}", params={"id": id})

    def create(
        self,
        *,
        name: str,
        events: List[str],
        url: Optional[str] = None,
        tenant: Optional[str] = None,
        description: Optional[str] = None,
        active: Optional[bool] = None,
        headers: Optional[Mapping[str, str]] = None,
        secret_headers: Optional[List[str]] = None,
        format: Optional[str] = None,
        integration: Optional[str] = None,
        destination: Optional[Mapping[str, Any]] = None,
        filter: Optional[Mapping[str, Any]] = None,
        transform: Optional[str] = None,
        signature: Optional[str] = None,
        rate_limit: Optional[Mapping[str, int]] = None,
        ordering: Optional[str] = None,
        ordering_key: Optional[str] = None,
    ) -> CreatedWebhook:
        """Creates a webhook; the answer carries its signing secret. filter is a
        payload filter events must also match (try one with filter_test);
        signature="ed25519" signs with a key pair, and the answer's secret is
        then the public key (whpk_...) receivers verify with. rate_limit caps
        the requests sent, e.g. {"per_second": 50}; ordering="fifo" with
        ordering_key="data.customer_id" delivers each customer's events one at
        a time, in order. transform is JavaScript defining handler(webhook)
        that reshapes each request or cancels it (try one with
        transform_test). url is required
        unless destination is a broker, e.g. {"type": "rabbitmq", "url":
        "amqp://…", "exchange": "events", "routing_key": "hookline"}."""
        body = _drop_none(dict(name=name, url=url, events=events, tenant=tenant, description=description,
                               active=active, headers=headers, secret_headers=secret_headers, format=format,
                               integration=integration, destination=destination, filter=filter, transform=transform,
                               signature=signature, rate_limit=rate_limit,
                               ordering=ordering, ordering_key=ordering_key))
        return self._c.request("POST", "/api/v1/webhooks", body=body)

    def update(self, id: str, **fields: Any) -> Webhook:
        """Changes the given fields (name, url, events, filter, active, ...) only;
        filter=None removes the payload filter."""
        return self._c.request("PATCH", "/api/v1/webhooks/{id}", params={"id": id}, body=fields)

    def delete(self, id: str) -> None:
        self._c.request("DELETE", "/api/v1/webhooks/{id}", params={"id": id})

    def secret(self, id: str) -> Secrets:
        return self._c.request("GET", "/api/v1/webhooks/{id}/secret", params={"id": id})

    def rotate_secret(self, id: str) -> RotatedSecret:
        return self._c.request("POST", "/api/v1/webhooks/{id}/rotate-secret", params={"id": id})

    def test(self, id: str, event_type: Optional[str] = None) -> TestResult:
        """Sends an event type's example now and returns the answer."""
        body = _drop_none({"event_type": event_type})
        return self._c.request("POST", "/api/v1/webhooks/{id}/test", params={"id": id}, body=body)

    def replay(self, id: str, since: str) -> ReplayResult:
        """Delivers again the events since an RFC 3339 time."""
        return self._c.request("POST", "/api/v1/webhooks/{id}/replay", params={"id": id}, body={"since": since})

    def recover(
        self,
        id: str,
        since: str,
        *,
        until: Optional[str] = None,
        status: Optional[List[str]] = None,
        event_types: Optional[List[str]] = None,
        dry_run: bool = False,
    ) -> RecoverResult:
        """Re-queues the webhook's failed deliveries created in a window
        (RFC 3339 times; until defaults to now, at most 31 days after
        since), each with the whole retry schedule; dry_run only counts
        them."""
        body = _drop_none({
            "since": since,
            "until": until,
            "status": list(status) if status is not None else None,
            "event_types": list(event_types) if event_types is not None else None,
            "dry_run": dry_run or None,
        })
        return self._c.request("POST", "/api/v1/webhooks/{id}/recover", params={"id": id}, body=body)

    def filter_test(
        self,
        filter: Mapping[str, Any],
        *,
        event: Optional[Mapping[str, Any]] = None,
        event_type: Optional[str] = None,
    ) -> FilterResult:
        """Tries a payload filter on an event ({"type", "data", "tenant"?}) or
        an event type's example; nothing is stored, so it is retried like a GET."""
        body = _drop_none({"filter": filter, "event": event, "event_type": event_type})
        return self._c.request("POST", "/api/v1/webhooks/filter-test", body=body, retryable=True)

    def transform_test(
        self,
        transform: str,
        *,
        event: Optional[Mapping[str, Any]] = None,
        event_type: Optional[str] = None,
        url: Optional[str] = None,
        format: Optional[str] = None,
    ) -> TransformResult:
        """Runs a transform on an event ({"type", "data", "tenant"?}) or an event
        type's example as a delivery to url would; nothing is stored or sent,
        so it is retried like a GET."""
        body = _drop_none({"transform": transform, "event": event, "event_type": event_type, "url": url, "format": format})
        return self._c.request("POST", "/api/v1/webhooks/transform-test", body=body, retryable=True)

    def attempts(self, id: str, limit: Optional[int] = None) -> List[Attempt]:
        return self._c.request("GET", "/api/v1/webhooks/{id}/attempts", params={"id": id}, query={"limit": limit})["data"]

    def stats(self, id: str, *, since: Optional[str] = None, bucket: Optional[str] = None) -> Stats:
        """The webhook's health over time: since from "1m" to "30d" (default
        "24h"), bucket from "1m" to "1d" (default picked from since)."""
        return self._c.request("GET", "/api/v1/webhooks/{id}/stats", params={"id": id}, query={"since": since, "bucket": bucket})


class EventTypes(_Resource):
    def list(self) -> List[EventType]:
        return self._c.request("GET", "/api/v1/event-types")["data"]

    def get(self, slug: str) -> EventType:
        return self._c.request("GET", "/api/v1/event-types/{slug}", params={"slug": slug})

    def create(
        self,
        *,
        slug: str,
        name: str,
        description: Optional[str] = None,
        example: Optional[Mapping[str, Any]] = None,
        schema: Optional[Mapping[str, Any]] = None,
    ) -> EventType:
        body = _drop_none(dict(slug=slug, name=name, description=description, example=example, schema=schema))
        return self._c.request("POST", "/api/v1/event-types", body=body)

    def update(self, slug: str, **fields: Any) -> EventType:
        """Changes the given fields (name, description, example, schema,
        deprecated) only; schema=None removes the schema. Hookline's own
        hookline.* types cannot be changed."""
        return self._c.request("PATCH", "/api/v1/event-types/{slug}", params={"slug": slug}, body=fields)


class Deliveries(_Resource):
    def list(self, **query: Any) -> Page[Delivery]:
        """One page; query: tenant, webhook_id, event_id, status (one, or
        several comma-separated), event_type, since, until (RFC 3339), q (a
        delivery or event ID or its start), limit, cursor."""
        return self._c.request("GET", "/api/v1/deliveries", query=query)

    def list_all(self, **query: Any) -> Iterator[Delivery]:
        return self._all(self.list, query)

    def get(self, id: str) -> DeliveryWithAttempts:
        return self._c.request("GET", "/api/v1/deliveries/{id}", params={"id": id})

    def retry(self, id: str) -> Delivery:
        """Makes the delivery pending and due now (409 while one is in flight)."""
        return self._c.request("POST", "/api/v1/deliveries/{id}/retry", params={"id": id})


class Tenants(_Resource):
    def list(self, **query: Any) -> Page[Tenant]:
        """One page; query: search, limit, cursor."""
        return self._c.request("GET", "/api/v1/tenants", query=query)

    def list_all(self, **query: Any) -> Iterator[Tenant]:
        return self._all(self.list, query)

    def get(self, id: str) -> Tenant:
        return self._c.request("GET", "/api/v1/tenants/{id}", params={"id": id})

    def create(
        self,
        id: str,
        *,
        name: Optional[str] = None,
        contact_email: Optional[str] = None,
        branding: Optional[Mapping[str, str]] = None,
        metadata: Optional[Mapping[str, str]] = None,
    ) -> Tenant:
        body = _drop_none(dict(id=id, name=name, contact_email=contact_email, branding=branding, metadata=metadata))
        return self._c.request("POST", "/api/v1/tenants", body=body)

    def update(self, id: str, **fields: Any) -> Tenant:
        """Changes the given fields only; branding=None restores the server's look."""
        return self._c.request("PATCH", "/api/v1/tenants/{id}", params={"id": id}, body=fields)

    def delete(self, id: str, *, cascade: bool = False) -> None:
        """Deletes a tenant; cascade=True deletes its webhooks too (else 409)."""
        self._c.request("DELETE", "/api/v1/tenants/{id}", params={"id": id}, query={"cascade": "true" if cascade else None})

    def create_portal_session(
        self,
        id: str,
        *,
        ttl: Optional[str] = None,
        read_only: Optional[bool] = None,
        return_url: Optional[str] = None,
        event_types: Optional[List[str]] = None,
    ) -> PortalSession:
        """Mints a magic link into the customer portal for the tenant.

        ttl is a Go duration from "1m" to "12h" (default one hour); the
        return_url's origin must be allowed by the server; event_types
        (slugs or globs like "payment_*") limit what it may subscribe to."""
        body = _drop_none(dict(ttl=ttl, read_only=read_only, return_url=return_url, event_types=event_types))
        return self._c.request("POST", "/api/v1/tenants/{id}/portal-sessions", params={"id": id}, body=body)

    def stats(self, id: str, *, since: Optional[str] = None, bucket: Optional[str] = None) -> Stats:
        """The tenant's health over time, over all its webhooks; a tenant's key
        reads its own tenant only."""
        return self._c.request("GET", "/api/v1/tenants/{id}/stats", params={"id": id}, query={"since": since, "bucket": bucket})


class Keys(_Resource):
    def list(self) -> List[APIKey]:
        """Every key's metadata, revoked and expired ones included."""
        return self._c.request("GET", "/api/v1/keys")["data"]

    def create(
        self,
        *,
        name: str,
        scopes: Optional[List[str]] = None,
        tenant: Optional[str] = None,
        expires_at: Optional[str] = None,
    ) -> CreatedKey:
        """Creates an API key; the answer's key is shown only this once."""
        body = _drop_none(dict(name=name, scopes=scopes, tenant=tenant, expires_at=expires_at))
        return self._c.request("POST", "/api/v1/keys", body=body)

    def revoke(self, id: str) -> None:
        self._c.request("DELETE", "/api/v1/keys/{id}", params={"id": id})


class Users(_Resource):
    """Dashboard users; every call needs a key with the owner scope."""

    def list(self) -> List[User]:
        return self._c.request("GET", "/api/v1/users")["data"]

    def get(self, username: str) -> User:
        return self._c.request("GET", "/api/v1/users/{id}", params={"id": username})

    def create(self, *, username: str, role: str, password: Optional[str] = None) -> User:
        """Without a password, one is generated and returned once in "password"."""
        body = _drop_none(dict(username=username, role=role, password=password))
        return self._c.request("POST", "/api/v1/users", body=body)

    def update(self, username: str, *, role: Optional[str] = None, password: Optional[str] = None) -> User:
        """Changes role and/or password; password="" generates one, returned once."""
        body = _drop_none(dict(role=role, password=password))
        return self._c.request("PATCH", "/api/v1/users/{id}", params={"id": username}, body=body)

    def delete(self, username: str) -> None:
        self._c.request("DELETE", "/api/v1/users/{id}", params={"id": username})


class AlertChannels(_Resource):
    def list(self) -> List[AlertChannel]:
        """Every alert channel, oldest first; Slack URLs masked."""
        return self._c.request("GET", "/api/v1/alert-channels")["data"]

    def get(self, id: str) -> AlertChannel:
        return self._c.request("GET", "/api/v1/alert-channels/{id}", params={"id": id})

    def create(
        self,
        *,
        type: str,
        kinds: List[str],
        url: Optional[str] = None,
        to: Optional[List[str]] = None,
        tenant: Optional[str] = None,
    ) -> AlertChannel:
        """Adds a channel: type "slack" with url, or "email" with to."""
        body = _drop_none(dict(type=type, kinds=kinds, url=url, to=to, tenant=tenant))
        return self._c.request("POST", "/api/v1/alert-channels", body=body)

    def delete(self, id: str) -> None:
        self._c.request("DELETE", "/api/v1/alert-channels/{id}", params={"id": id})

    def test(self, id: str) -> AlertTestResult:
        """Sends a test alert now (one try) and says whether it arrived."""
        return self._c.request("POST", "/api/v1/alert-channels/{id}/test", params={"id": id})


class AuditLog(_Resource):
    def list(self, **query: Any) -> Page[AuditEntry]:
        """One page, newest first; query: target, limit, cursor."""
        return self._c.request("GET", "/api/v1/audit-log", query=query)

    def list_all(self, **query: Any) -> Iterator[AuditEntry]:
        return self._all(self.list, query)


def _drop_none(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _encode_query(query: Optional[Mapping[str, Any]]) -> str:
    pairs = []
    for k, v in (query or {}).items():
        if v is None or v == "":
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        pairs.append((k, str(v)))
    return urllib.parse.urlencode(pairs)


def _expand(template: str, params: Mapping[str, Any]) -> str:
    """Fills a route template's {name} placeholders, escaping each value so
    an ID can never change the route. Routes are written as the OpenAPI
    document spells them, which the coverage test in e2e/sdk_test.go
    relies on."""

    def fill(m: "re.Match[str]") -> str:
        value = params.get(m.group(1))
        if value is None or value == "":
            raise ValueError(f"{template}: {m.group(1)} is required")
        return urllib.parse.quote(str(value), safe="")

    return re.sub(r"\{(\w+)\}", fill, template)


def _backoff(attempt: int) -> float:
    base = min(8.0, 0.5 * 2**attempt)
    return base / 2 + random.random() * base / 2

"""Errors raised by the client.

Every non-2xx answer becomes an APIError (or one of its subclasses) carrying
the server's RFC 9457 problem document; a request that got no answer at all
becomes an APIConnectionError.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any, List, Mapping, Optional, Type

from .types import FieldProblem


class HooklineError(Exception):
    """Base class of every error this package raises."""


class APIError(HooklineError):
    """An error answer from the server, with its problem JSON."""

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        type: str = "about:blank",
        title: str = "",
        detail: str = "",
        instance: str = "",
        field: str = "",
        errors: Optional[List[FieldProblem]] = None,
        request_id: str = "",
        retry_after: Optional[float] = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = instance
        #: The first offending field ("name", "events[1]"); "" when none.
        self.field = field
        #: Every bad part of the request, in the order the server found them.
        self.errors: List[FieldProblem] = list(errors or [])
        #: Matches the server's log line; quote it when reporting a problem.
        self.request_id = request_id
        #: Seconds the server asked to wait (Retry-After); None when none.
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        s = f"hookline: {self.method} {self.path}: {self.status}"
        if self.title:
            s += f" {self.title}"
        if len(self.errors) > 1:
            s += ":" + ";".join(f" {_place(p)}: {p.get('detail', '')}" for p in self.errors)
        elif self.detail:
            s += f": {self.detail}"
        return s


class ValidationError(APIError):
    """400 or 422: the request was malformed or not acceptable; see errors."""


class AuthenticationError(APIError):
    """401 or 403: the key is missing, unknown, or lacks the scope."""


class NotFoundError(APIError):
    """404: no such webhook, event, delivery, event type or tenant."""


class ConflictError(APIError):
    """409: a slug or tenant ID that exists, a tenant that has webhooks, ..."""


class RateLimitError(APIError):
    """429: the key is over its rate limit; retry_after says for how long."""


class APIConnectionError(HooklineError):
    """The request got no answer: refused, reset, or timed out."""

    def __init__(self, message: str, *, method: str, path: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.timed_out = timed_out


class WebhookVerificationError(HooklineError):
    """A webhook request whose signature does not verify."""


_CLASSES: Mapping[int, Type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def _place(p: FieldProblem) -> str:
    if p.get("parameter"):
        return "?" + p["parameter"]
    return p.get("pointer", "")


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        at = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, at - (time.time() if now is None else now))


def api_error(method: str, path: str, status: int, reason: str, headers: Mapping[str, str], body: bytes) -> APIError:
    """Builds the error of a non-2xx answer.

    A body that is not problem JSON (a proxy's HTML page) still gives an
    APIError: the status line is the truth, the body's start the detail.
    """
    problem: Any = {}
    ctype = (headers.get("content-type") or "").split(";")[0].strip()
    if ctype in ("application/problem+json", "application/json"):
        try:
            problem = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            problem = {}
    if not isinstance(problem, dict) or not problem:
        text = " ".join(body.decode("utf-8", "replace").split())
        problem = {"detail": text[:200] + ("…" if len(text) > 200 else "")}

    def s(key: str) -> str:
        v = problem.get(key)
        return v if isinstance(v, str) else ""

    errors = problem.get("errors")
    cls = _CLASSES.get(status, APIError)
    return cls(
        status=status,
        method=method,
        path=path,
        type=s("type") or "about:blank",
        title=s("title") or reason,
        detail=s("detail"),
        instance=s("instance"),
        field=s("field"),
        errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
        request_id=s("request_id") or headers.get("x-request-id", ""),
        retry_after=parse_retry_after(headers.get("retry-after")),
    )

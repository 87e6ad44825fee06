"""Hookline client: publish events, manage webhooks, tenants and portal
links, and verify the signatures of webhook requests. Standard library only.

    from hookline import Hookline
    hookline = Hookline("http://127.0.0.1:8080", api_key)
    hookline.events.publish("customer_created", {"id": 42}, idempotency_key="customer-42")
"""

from .client import Hookline, __version__
from .errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConflictError,
    HooklineError,
    NotFoundError,
    RateLimitError,
    ValidationError,
    WebhookVerificationError,
)
from .webhook import Webhook

__all__ = [
    "Hookline",
    "Webhook",
    "HooklineError",
    "APIError",
    "ValidationError",
    "AuthenticationError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "APIConnectionError",
    "WebhookVerificationError",
    "__version__",
]

"""Verifies incoming webhook requests: Standard Webhooks v1 signatures
(HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<raw body>")."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, List, Mapping, Optional, Sequence, Union

from .errors import WebhookVerificationError

_PREFIX = "whsec_"


class Webhook:
    """Verifies the signature of requests sent by a Hookline webhook.

    secret is the webhook's signing secret ("whsec_..."), or several during
    a rotation: any one matching is enough.
    """

    def __init__(self, secret: Union[str, Sequence[str]], *, tolerance: int = 5 * 60) -> None:
        secrets = [secret] if isinstance(secret, str) else list(secret)
        if not secrets:
            raise ValueError("Webhook needs a secret")
        self._keys: List[bytes] = [_decode_secret(s) for s in secrets]
        self.tolerance = tolerance

    def verify(self, body: Union[bytes, str], headers: Mapping[str, str], *, now: Optional[float] = None) -> Any:
        """Checks the raw body (exactly as received) against the webhook-*
        headers and returns the parsed JSON payload.

        Raises WebhookVerificationError when the request is not signed with
        the secret or its timestamp is more than the tolerance away from
        now (a replayed capture). headers may be any mapping; names are
        matched ignoring case.
        """
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = lower.get("webhook-id", "")
        timestamp = lower.get("webhook-timestamp", "")
        signatures = lower.get("webhook-signature", "")
        if not msg_id or not timestamp or not signatures:
            raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
        if not timestamp.isdigit():
            raise WebhookVerificationError("webhook-timestamp is not a number")
        sent = int(timestamp)
        now = time.time() if now is None else now
        if sent < now - self.tolerance:
            raise WebhookVerificationError("the timestamp is too old")
        if sent > now + self.tolerance:
            raise WebhookVerificationError("the timestamp is in the future")
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        signed = f"{msg_id}.{timestamp}.".encode("utf-8") + raw
        for key in self._keys:
            expected = hmac.new(key, signed, hashlib.sha256).digest()
            for entry in signatures.split(" "):
                version, _, sig = entry.partition(",")
                if version != "v1" or not sig:
                    continue
                try:
                    given = base64.b64decode(sig, validate=True)
                except (binascii.Error, ValueError):
                    continue
                if hmac.compare_digest(given, expected):
                    try:
                        return json.loads(raw.decode("utf-8"))
                    except (UnicodeDecodeError, ValueError):
                        raise WebhookVerificationError("the body is not JSON") from None
        raise WebhookVerificationError("no signature matches")


def _decode_secret(secret: str) -> bytes:
    value = secret[len(_PREFIX):] if secret.startswith(_PREFIX) else secret
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the secret is not whsec_ followed by base64") from None
    if not key:
        raise ValueError("the secret is empty")
    return key

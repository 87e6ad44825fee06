"""Verifies incoming webhook requests: Standard Webhooks signatures over
"<webhook-id>.<webhook-timestamp>.<raw body>", v1 (HMAC-SHA256 with a
"whsec_" secret) and v1a (ed25519 with a "whpk_" public key)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, List, Mapping, Optional, Sequence, Union

from . import _ed25519
from .errors import WebhookVerificationError

_PREFIX = "whsec_"
_PUBLIC_PREFIX = "whpk_"


class Webhook:
    """Verifies the signature of requests sent by a Hookline webhook.

    secret is the webhook's signing secret ("whsec_...") or public key
    ("whpk_..."), or several during a rotation: any one matching is enough.
    """

    def __init__(self, secret: Union[str, Sequence[str]], *, tolerance: int = 5 * 60) -> None:
        secrets = [secret] if isinstance(secret, str) else list(secret)
        if not secrets:
            raise ValueError("Webhook needs a secret")
        self._keys: List[bytes] = []
        self._public_keys: List[bytes] = []
        for s in secrets:
            if s.startswith(_PUBLIC_PREFIX):
                key = _decode_base64(s[len(_PUBLIC_PREFIX):], "public key")
                if len(key) != 32:
                    raise ValueError("the public key is not whpk_ followed by 32 bytes of base64")
                self._public_keys.append(key)
            else:
                self._keys.append(_decode_secret(s))
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
        if not self._matches(signed, signatures):
            raise WebhookVerificationError("no signature matches")
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise WebhookVerificationError("the body is not JSON") from None

    def _matches(self, signed: bytes, signatures: str) -> bool:
        macs = [hmac.new(key, signed, hashlib.sha256).digest() for key in self._keys]
        for entry in signatures.split(" "):
            version, _, sig = entry.partition(",")
            if version not in ("v1", "v1a") or not sig:
                continue
            try:
                given = base64.b64decode(sig, validate=True)
            except (binascii.Error, ValueError):
                continue
            if version == "v1" and any(hmac.compare_digest(given, mac) for mac in macs):
                return True
            if version == "v1a" and any(_ed25519.verify(key, signed, given) for key in self._public_keys):
                return True
        return False


def _decode_secret(secret: str) -> bytes:
    value = secret[len(_PREFIX):] if secret.startswith(_PREFIX) else secret
    key = _decode_base64(value, "secret")
    if not key:
        raise ValueError("the secret is empty")
    return key


def _decode_base64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the {what} is not base64") from None

#!/usr/bin/env python3
"""receiver-python: a minimal Hookline webhook receiver, standard library only.

Every request's Standard Webhooks signature (the webhook-id,
webhook-timestamp and webhook-signature headers) is checked with hmac,
hashlib and base64 before the body is trusted. An accepted event is printed
as one line, "<webhook-id> <webhook-event> <body>", and answered 204; a bad
signature gets 401, a body that is not JSON 400.

Run it (Python 3.8+):

    WEBHOOK_SECRET=whsec_... PORT=3000 python3 receiver.py

and point a webhook at it (the secret is printed when it is created):

    hookline webhooks create --name python --url http://127.0.0.1:3000/webhooks --events '*'

Environment:
    WEBHOOK_SECRET  the webhook's signing secret, whsec_... (required)
    PORT            port to listen on; 0 picks a free one (default 3000)
    HOST            address to listen on (default 127.0.0.1)

How the signature works: the sender computes HMAC-SHA256 over
"<webhook-id>.<webhook-timestamp>.<raw body>" with the secret's bytes (the
base64 after "whsec_") and sends "v1,<base64 of the MAC>" in
webhook-signature; several space-separated entries appear while a secret is
being rotated, and any one matching is enough. Verify the raw body exactly as
received, compare in constant time, and refuse timestamps more than five
minutes away from now so a captured request cannot be replayed later.
"""

import base64
import binascii
import hashlib
import hmac
import http.server
import json
import os
import signal
import sys
import time

TOLERANCE_SECONDS = 5 * 60
MAX_BODY_BYTES = 1 << 20
SECRET_PREFIX = "whsec_"


class VerificationError(Exception):
    """The request is not signed with the secret (or is too old or new)."""


def load_secret(value):
    """Returns the key bytes of a "whsec_<base64>" secret."""
    if value.startswith(SECRET_PREFIX):
        value = value[len(SECRET_PREFIX):]
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError(f"not a whsec_ base64 secret: {err}") from None
    if not key:
        raise ValueError("the secret is empty")
    return key


def verify(key, headers, body, now=None):
    """Raises VerificationError unless body carries a valid signature.

    headers is any mapping with case-insensitive .get (http.server's
    message objects are); body is the raw request body as bytes.
    """
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise VerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent = int(timestamp)
    except ValueError:
        raise VerificationError("webhook-timestamp is not a number") from None
    now = time.time() if now is None else now
    if abs(now - sent) > TOLERANCE_SECONDS:
        raise VerificationError("timestamp outside the tolerance")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return
    raise VerificationError("no matching signature")


def make_handler(key):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "receiver-python"

        def reply(self, status, text=""):
            data = (text + "\n").encode() if text else b""
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            if self.path.split("?")[0] != "/webhooks":
                self.reply(404, "not found")
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self.reply(411, "Content-Length required")
                return
            if length > MAX_BODY_BYTES:
                self.reply(413, "body too large")
                self.close_connection = True
                return
            body = self.rfile.read(length)
            msg_id = self.headers.get("webhook-id", "-")
            try:
                verify(key, self.headers, body)
            except VerificationError as err:
                # Do not tell the sender why: that would help a forger.
                print(f"rejected {msg_id}: {err}", file=sys.stderr, flush=True)
                self.reply(401, "invalid signature")
                return
            try:
                json.loads(body)
            except ValueError:
                print(f"rejected {msg_id}: body is not JSON", file=sys.stderr, flush=True)
                self.reply(400, "body is not JSON")
                return
            # The webhook-id is the same on every retry: skip duplicates here.
            event = self.headers.get("webhook-event", "-")
            print(f"{msg_id} {event} {body.decode()}", flush=True)
            self.reply(204)

        def do_GET(self):
            self.reply(405, "use POST")

        def log_message(self, format, *args):
            pass  # the lines above say what matters

    return Handler


def main():
    secret = os.environ.get("WEBHOOK_SECRET", "")
    if not secret:
        sys.exit("set WEBHOOK_SECRET to the webhook's signing secret (whsec_...)")
    try:
        key = load_secret(secret)
    except ValueError as err:
        sys.exit(f"WEBHOOK_SECRET: {err}")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "3000"))
    server = http.server.ThreadingHTTPServer((host, port), make_handler(key))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on http://{host}:{server.server_port}/webhooks", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Verifies a captured webhook request, given on stdin as
{"headers": {...}, "body": "..."}, with WEBHOOK_SECRET:

    WEBHOOK_SECRET=whsec_... python3 examples/verify.py < request.json

Prints the event type and exits 0 when it is signed; exits 1 with the reason
when it is not.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # run without installing

from hookline import Webhook, WebhookVerificationError  # noqa: E402


def main() -> int:
    captured = json.load(sys.stdin)
    try:
        event = Webhook(os.environ["WEBHOOK_SECRET"]).verify(captured["body"], captured["headers"])
    except WebhookVerificationError as e:
        print(f"not verified: {e}", file=sys.stderr)
        return 1
    print(event["type"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

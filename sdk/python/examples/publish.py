#!/usr/bin/env python3
"""Publishes one event and prints its id:

    HOOKLINE_URL=http://127.0.0.1:8080 HOOKLINE_API_KEY=hkl_... \\
        python3 examples/publish.py customer_created '{"id": 42, "email": "ada@example.com"}'

HOOKLINE_TENANT, when set, names the tenant the event belongs to.
"""

import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # run without installing

from hookline import APIError, Hookline  # noqa: E402


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: publish.py TYPE JSON", file=sys.stderr)
        return 2
    hookline = Hookline(os.environ["HOOKLINE_URL"], os.environ["HOOKLINE_API_KEY"])
    try:
        # A key makes the call safe to retry: the server stores it once.
        res = hookline.events.publish(
            sys.argv[1], json.loads(sys.argv[2]), idempotency_key=str(uuid.uuid4()),
            tenant=os.environ.get("HOOKLINE_TENANT") or None,
        )
    except APIError as e:
        for p in e.errors:
            print(f"{p.get('pointer') or '?' + p.get('parameter', '')}: {p.get('detail')}", file=sys.stderr)
        print(e, file=sys.stderr)
        return 1
    print(res["id"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

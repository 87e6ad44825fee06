"""Tests of the hookline package: python3 -m unittest discover -s tests -t .

The TestServer cases run against a real Hookline when HOOKLINE_URL and
HOOKLINE_API_KEY are set (e2e/sdk_test.go sets them, with a retry proxy and
a captured delivery); without them they are skipped.
"""

import ast
import base64
import email.message
import io
import json
import os
import time
import unittest
import urllib.error
import uuid
from pathlib import Path
from unittest import mock

import hookline
from hookline import (
    APIConnectionError,
    APIError,
    Hookline,
    NotFoundError,
    ValidationError,
    Webhook,
    WebhookVerificationError,
)

# The Standard Webhooks specification's test vector.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = "1614265330"
BODY = '{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def vector_headers(**override):
    h = {"webhook-id": MSG_ID, "webhook-timestamp": TIMESTAMP, "webhook-signature": SIGNATURE}
    h.update({k.replace("_", "-"): v for k, v in override.items()})
    return h


class TestPython39(unittest.TestCase):
    def test_sources_parse_as_python_3_9(self):
        # Python 3.11 runs the tests; the package promises 3.9.
        for path in sorted((Path(__file__).parent.parent / "hookline").glob("*.py")):
            with self.subTest(path.name):
                ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))


class TestVersion(unittest.TestCase):
    def test_version_matches_pyproject(self):
        text = (Path(__file__).parent.parent / "pyproject.toml").read_text()
        self.assertIn(f'version = "{hookline.__version__}"', text)
        self.assertTrue(Hookline("http://x").user_agent.startswith(f"hookline-python/{hookline.__version__} "))


class TestWebhook(unittest.TestCase):
    now = int(TIMESTAMP)

    def test_vector_verifies(self):
        self.assertEqual(Webhook(SECRET).verify(BODY, vector_headers(), now=self.now), {"test": 2432232314})
        # Any matching entry is enough, in any header case, from bytes.
        h = {"Webhook-Id": MSG_ID, "Webhook-Timestamp": TIMESTAMP, "Webhook-Signature": "v1,bm90 v2,x " + SIGNATURE}
        self.assertEqual(Webhook(SECRET).verify(BODY.encode(), h, now=self.now), {"test": 2432232314})
        # Of several secrets, one matching is enough.
        self.assertTrue(Webhook(["whsec_b3RoZXI=", SECRET]).verify(BODY, vector_headers(), now=self.now))

    def test_v1a_vector_verifies(self):
        v = json.loads((Path(__file__).parent.parent.parent / "testdata" / "standard-webhooks-v1a.json").read_text())
        h = {"webhook-id": v["id"], "webhook-timestamp": v["timestamp"], "webhook-signature": v["signature"]}
        now = int(v["timestamp"])
        self.assertEqual(Webhook(v["public_key"]).verify(v["body"], h, now=now)["type"], "customer_created")
        # With a secret and a public key, either kind of signature is enough.
        self.assertTrue(Webhook([SECRET, v["public_key"]]).verify(v["body"], h, now=now))
        with self.assertRaises(WebhookVerificationError):
            Webhook(v["public_key"]).verify(v["body"].replace("42", "43"), h, now=now)
        # A v1a signature is no v1 signature, and an HMAC secret checks no v1a.
        with self.assertRaises(WebhookVerificationError):
            Webhook(SECRET).verify(v["body"], h, now=now)
        with self.assertRaises(WebhookVerificationError):
            Webhook(v["public_key"]).verify(v["body"], {**h, "webhook-signature": v["signature"].replace("v1a,", "v1,")}, now=now)
        with self.assertRaises(WebhookVerificationError):
            Webhook("whpk_" + base64.b64encode(bytes([7] * 32)).decode()).verify(v["body"], h, now=now)
        with self.assertRaises(ValueError):
            Webhook("whpk_AAAA")

    def test_rejections(self):
        cases = {
            "tampered body": (BODY.replace("4", "5"), vector_headers()),
            "other id": (BODY, vector_headers(webhook_id="msg_other")),
            "no signature": (BODY, vector_headers(webhook_signature="")),
            "other version": (BODY, vector_headers(webhook_signature=SIGNATURE.replace("v1,", "v2,"))),
            "bad timestamp": (BODY, vector_headers(webhook_timestamp="soon")),
        }
        for name, (body, headers) in cases.items():
            with self.subTest(name), self.assertRaises(WebhookVerificationError):
                Webhook(SECRET).verify(body, headers, now=self.now)
        with self.assertRaisesRegex(WebhookVerificationError, "too old"):
            Webhook(SECRET).verify(BODY, vector_headers(), now=self.now + 301)
        with self.assertRaisesRegex(WebhookVerificationError, "future"):
            Webhook(SECRET).verify(BODY, vector_headers(), now=self.now - 301)
        with self.assertRaises(ValueError):
            Webhook("whsec_not base64!")


def http_error(status, body=b"", headers=None):
    msg = email.message.Message()
    for k, v in (headers or {}).items():
        msg[k] = v
    return urllib.error.HTTPError("http://h/x", status, "Reason", msg, io.BytesIO(body))


class FakeResponse(io.BytesIO):
    def __init__(self, status, body):
        super().__init__(body)
        self.status = status


class TestEd25519(unittest.TestCase):
    # RFC 8032, section 7.1, tests 1 and 2.
    VECTORS = [
        ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ]

    def test_rfc8032_vectors(self):
        from hookline import _ed25519

        for pk, msg, sig in self.VECTORS:
            pk, msg, sig = bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)
            self.assertTrue(_ed25519.verify(pk, msg, sig))
            self.assertFalse(_ed25519.verify(pk, msg + b"x", sig))
            self.assertFalse(_ed25519.verify(pk, msg, sig[:63] + bytes([sig[63] ^ 1])))
            self.assertFalse(_ed25519.verify(pk, msg, sig[:32] + (2**253).to_bytes(32, "little")), "s >= L is refused")


class TestClient(unittest.TestCase):
    def client(self, answers, **kw):
        c = Hookline("http://h/", "k", **kw)
        self.waits = []
        c._sleep = self.waits.append
        self.requests = []

        def urlopen(req, timeout):
            self.requests.append(req)
            a = answers.pop(0)
            if isinstance(a, Exception):
                raise a
            return a

        patcher = mock.patch("urllib.request.urlopen", side_effect=urlopen)
        patcher.start()
        self.addCleanup(patcher.stop)
        return c

    def test_problem_becomes_typed_error(self):
        problem = {
            "title": "Unprocessable Entity", "status": 422, "detail": "url: must be absolute", "field": "url",
            "errors": [{"pointer": "/url", "detail": "must be absolute"}, {"pointer": "/name", "detail": "required"}],
            "request_id": "req-1",
        }
        c = self.client([http_error(422, json.dumps(problem).encode(), {"Content-Type": "application/problem+json"})])
        with self.assertRaises(ValidationError) as cm:
            c.webhooks.create(name="", url="x", events=[])
        e = cm.exception
        self.assertIsInstance(e, APIError)
        self.assertEqual((e.status, e.field, e.request_id), (422, "url", "req-1"))
        self.assertEqual([p["pointer"] for p in e.errors], ["/url", "/name"])
        self.assertIn("POST /api/v1/webhooks: 422 Unprocessable Entity: /url: must be absolute; /name: required", str(e))
        self.assertEqual(len(self.requests), 1, "a POST is not retried")
        req = self.requests[0]
        self.assertEqual((req.full_url, req.get_header("Authorization")), ("http://h/api/v1/webhooks", "Bearer k"))

    def test_non_json_error_and_escaping(self):
        c = self.client([http_error(502, b"<html>\n <b>Bad gateway</b></html>", {"Content-Type": "text/html"})])
        with self.assertRaises(APIError) as cm:
            c.tenants.get("a/b")
        self.assertEqual((cm.exception.status, cm.exception.detail), (502, "<html> <b>Bad gateway</b></html>"))
        self.assertEqual(self.requests[0].full_url, "http://h/api/v1/tenants/a%2Fb")

    def test_2xx_that_is_not_json(self):
        c = self.client([FakeResponse(200, b"<html>login</html>")])
        with self.assertRaisesRegex(hookline.HooklineError, r"GET /api/v1/me: the answer \(status 200\) is not JSON") as cm:
            c.me()
        self.assertNotIsInstance(cm.exception, APIError)

    def test_get_retried_on_503_and_connection_errors(self):
        c = self.client([
            http_error(503, b"", {"Retry-After": "2"}),
            urllib.error.URLError(ConnectionRefusedError(111, "refused")),
            FakeResponse(200, b'{"data": []}'),
        ])
        self.assertEqual(c.event_types.list(), [])
        self.assertEqual(len(self.requests), 3)
        self.assertEqual(self.waits[0], 2.0, "Retry-After is honoured")

    def test_retries_are_bounded(self):
        refused = urllib.error.URLError(ConnectionRefusedError(111, "refused"))
        c = self.client([refused, refused], max_retries=1)
        with self.assertRaises(APIConnectionError):
            c.me()
        self.assertEqual(len(self.requests), 2)
        c = self.client([http_error(429, b"", {"Retry-After": "3600"})])
        with self.assertRaises(hookline.RateLimitError) as cm:
            c.me()
        self.assertEqual(cm.exception.retry_after, 3600)
        self.assertEqual(len(self.requests), 1, "a Retry-After beyond max_retry_delay is not waited for")

    def test_publish_retried_only_with_idempotency_key(self):
        c = self.client([http_error(503, b"", {"Retry-After": "0"}), FakeResponse(202, b'{"id": "evt_1", "deliveries": 0}')])
        self.assertEqual(c.events.publish("t", {}, idempotency_key="k1")["id"], "evt_1")
        self.assertEqual(len(self.requests), 2)
        c = self.client([http_error(503, b"", {"Retry-After": "0"})])
        with self.assertRaises(APIError) as cm:
            c.events.publish("t", {})
        self.assertEqual((cm.exception.status, len(self.requests)), (503, 1))


URL = os.environ.get("HOOKLINE_URL")
KEY = os.environ.get("HOOKLINE_API_KEY")
TENANT = os.environ.get("HOOKLINE_TENANT", "sdk-python")


@unittest.skipUnless(URL and KEY, "HOOKLINE_URL and HOOKLINE_API_KEY are not set")
class TestServer(unittest.TestCase):
    def setUp(self):
        self.c = Hookline(URL, KEY)

    def test_publish_idempotent(self):
        key = f"py-{uuid.uuid4()}"
        first = self.c.events.publish("customer_created", {"id": 1, "name": "Ada"}, idempotency_key=key, tenant=TENANT)
        again = self.c.events.publish("customer_created", {"id": 1, "name": "Ada"}, idempotency_key=key, tenant=TENANT)
        self.assertEqual(again["id"], first["id"])
        self.assertTrue(again.get("duplicate"))
        ev = self.c.events.get(first["id"])
        self.assertEqual((ev["tenant"], ev["data"]), (TENANT, {"id": 1, "name": "Ada"}))

    def test_webhooks_paging_deliveries_event_types(self):
        c = self.c
        self.assertIn("customer_created", [t["slug"] for t in c.event_types.list()])
        self.assertEqual(c.event_types.get("customer_created")["slug"], "customer_created")

        wh = c.webhooks.create(tenant=TENANT, name="py crud", url="http://127.0.0.1:9/crud", events=["customer_created"], active=False)
        self.assertTrue(wh["secret"].startswith("whsec_"))
        self.assertEqual(c.webhooks.get(wh["id"])["name"], "py crud")
        updated = c.webhooks.update(wh["id"], name="py crud 2", events=["*"])
        self.assertEqual((updated["name"], updated["events"]), ("py crud 2", ["*"]))
        self.assertEqual(c.webhooks.secret(wh["id"])["secret"], wh["secret"])
        st = c.webhooks.stats(wh["id"], since="1h", bucket="15m")
        self.assertEqual((st["bucket"], len(st["buckets"]), st["totals"]["delivered"], st["success_rate"]), ("15m", 4, 0, None))
        self.assertEqual(c.tenants.stats(TENANT, since="7d")["bucket"], "1h")
        self.assertEqual(len(c.stats()["buckets"]), 288)
        with self.assertRaises(ValidationError) as bad:
            c.webhooks.stats(wh["id"], since="45d")
        self.assertEqual(bad.exception.field, "since")
        c.webhooks.delete(wh["id"])
        with self.assertRaises(NotFoundError):
            c.webhooks.get(wh["id"])

        pages = f"{TENANT}-pages"
        made = [c.webhooks.create(tenant=pages, name=f"page {i}", url=f"http://127.0.0.1:9/p{i}", events=["*"], active=False)["id"]
                for i in range(5)]
        first = c.webhooks.list(tenant=pages, limit=2)
        self.assertEqual(len(first["data"]), 2)
        self.assertTrue(first.get("next_cursor"))
        self.assertEqual(sorted(w["id"] for w in c.webhooks.list_all(tenant=pages, limit=2)), sorted(made))

        live = c.webhooks.create(tenant=TENANT, name="py deliveries", url="http://127.0.0.1:9/d", events=["customer_created"])
        pub = c.events.publish("customer_created", {"id": 2}, tenant=TENANT)
        self.assertEqual(pub["deliveries"], 1)
        dl = list(c.deliveries.list_all(event_id=pub["id"]))
        self.assertEqual(len(dl), 1)
        self.assertEqual(c.deliveries.get(dl[0]["id"])["webhook_id"], live["id"])
        try:
            self.assertEqual(c.deliveries.retry(dl[0]["id"])["status"], "pending")
        except APIError as e:  # an attempt in flight
            self.assertEqual(e.status, 409, str(e))
        c.webhooks.delete(live["id"])

    def test_422_carries_every_field_problem(self):
        with self.assertRaises(ValidationError) as cm:
            self.c.webhooks.create(tenant=TENANT, name="bad", url="http://169.254.169.254/latest", events=["no_such_type"])
        e = cm.exception
        self.assertEqual(e.status, 422)
        pointers = [p.get("pointer") for p in e.errors]
        for p in ("/url", "/events/0"):
            self.assertIn(p, pointers)
        self.assertTrue(e.request_id)

    def test_tenants_and_portal_link(self):
        tid = f"{TENANT}-portal"
        t = self.c.tenants.create(tid, name="Portal Co", metadata={"plan": "gold"})
        self.assertEqual(t["name"], "Portal Co")
        self.assertEqual(self.c.tenants.update(tid, name="Portal Co 2")["name"], "Portal Co 2")
        self.assertEqual([x["id"] for x in self.c.tenants.list_all(search=tid, limit=1)], [tid])
        link = self.c.tenants.create_portal_session(tid, ttl="30m", read_only=True)
        self.assertRegex(link["url"], r"/portal/open\?token=")
        self.assertTrue(link["expires_at"])
        self.c.tenants.delete(tid, cascade=True)
        with self.assertRaises(NotFoundError):
            self.c.tenants.get(tid)

    def test_keys_audit_log_filter_test(self):
        made = self.c.keys.create(name="py tenant key", tenant=TENANT, scopes=["publish"])
        self.assertTrue(made["key"].startswith("hkl_"))
        self.assertEqual(made["scopes"], ["publish"])
        # The new key publishes into its tenant without naming it.
        pub = Hookline(URL, made["key"]).events.publish("customer_created", {"id": 5})
        self.assertEqual(self.c.events.get(pub["id"])["tenant"], TENANT)
        self.c.keys.revoke(made["id"])
        self.assertTrue(next(k for k in self.c.keys.list() if k["id"] == made["id"]).get("revoked_at"))
        actions = [e["action"] for e in self.c.audit_log.list_all(target=made["id"], limit=1)]
        self.assertGreaterEqual(len(actions), 2, actions)

        res = self.c.webhooks.filter_test({"data.amount": {"$gte": 100}}, event={"type": "payment_received", "data": {"amount": 29}})
        self.assertFalse(res["matches"])
        self.assertTrue(res["explanation"])

    @unittest.skipUnless(os.environ.get("HOOKLINE_FLAKY_URL"), "HOOKLINE_FLAKY_URL is not set")
    def test_503_with_retry_after_is_retried(self):
        # The proxy answers every other request with 503 and Retry-After: 1.
        c = Hookline(os.environ["HOOKLINE_FLAKY_URL"], KEY)
        start = time.monotonic()
        self.assertTrue(c.me()["version"])
        self.assertGreaterEqual(time.monotonic() - start, 0.9, "waited for Retry-After")
        self.assertTrue(c.events.publish("customer_created", {"id": 3}, idempotency_key=f"py-flaky-{uuid.uuid4()}", tenant=TENANT)["id"])
        with self.assertRaises(APIError) as cm:
            c.events.publish("customer_created", {"id": 4}, tenant=TENANT)
        self.assertEqual((cm.exception.status, cm.exception.retry_after), (503, 1))

    @unittest.skipUnless(os.environ.get("HOOKLINE_SIGNED_REQUEST"), "HOOKLINE_SIGNED_REQUEST is not set")
    def test_real_delivery_verifies(self):
        captured = json.loads(Path(os.environ["HOOKLINE_SIGNED_REQUEST"]).read_text())
        wh = Webhook(captured["secret"])
        payload = wh.verify(captured["body"], captured["headers"])
        self.assertEqual(payload["type"], captured["headers"]["webhook-event"])
        with self.assertRaises(WebhookVerificationError):
            wh.verify(captured["body"] + " ", captured["headers"])


if __name__ == "__main__":
    unittest.main()

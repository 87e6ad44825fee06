"""Tests of receiver.verify against the Standard Webhooks test vector.

    python3 -m unittest -v test_receiver
"""

import unittest

import receiver

# The test vector of the Standard Webhooks specification.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = "1614265330"
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(**override):
    h = {"webhook-id": MSG_ID, "webhook-timestamp": TIMESTAMP, "webhook-signature": SIGNATURE}
    h.update({k.replace("_", "-"): v for k, v in override.items()})
    return h


class VerifyTest(unittest.TestCase):
    key = receiver.load_secret(SECRET)
    now = int(TIMESTAMP)

    def test_vector_verifies(self):
        receiver.verify(self.key, headers(), BODY, now=self.now)

    def test_any_matching_entry_is_enough(self):
        h = headers(webhook_signature="v1,bm90IGl0 v2,x " + SIGNATURE)
        receiver.verify(self.key, h, BODY, now=self.now)

    def test_rejections(self):
        cases = {
            "tampered body": (headers(), b'{"test": 2432232315}'),
            "other id": (headers(webhook_id="msg_other"), BODY),
            "no signature": (headers(webhook_signature=""), BODY),
            "wrong version": (headers(webhook_signature=SIGNATURE.replace("v1,", "v2,")), BODY),
            "bad timestamp": (headers(webhook_timestamp="soon"), BODY),
        }
        for name, (h, body) in cases.items():
            with self.subTest(name):
                with self.assertRaises(receiver.VerificationError):
                    receiver.verify(self.key, h, body, now=self.now)

    def test_tolerance(self):
        for skew in (-301, 301):
            with self.subTest(skew=skew):
                with self.assertRaises(receiver.VerificationError):
                    receiver.verify(self.key, headers(), BODY, now=self.now + skew)
        receiver.verify(self.key, headers(), BODY, now=self.now + 299)

    def test_other_secret(self):
        other = receiver.load_secret("whsec_" + "A" * 43 + "=")
        with self.assertRaises(receiver.VerificationError):
            receiver.verify(other, headers(), BODY, now=self.now)

    def test_bad_secrets(self):
        for bad in ("whsec_", "whsec_not base64!"):
            with self.subTest(bad):
                with self.assertRaises(ValueError):
                    receiver.load_secret(bad)


if __name__ == "__main__":
    unittest.main()

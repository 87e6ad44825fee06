package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/verify"
)

// TestEd25519Signatures: a webhook signing with ed25519 (Standard Webhooks
// v1a) is given a public key, never the private one; its deliveries and
// test sends verify with that key alone; switching it back to HMAC keeps
// the previous key signing for the overlap, so a receiver that knows
// either accepts the delivery.
func TestEd25519Signatures(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()

	wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Name: "Asymmetric", URL: rc.URL + "/in",
		Events: []string{"payment_received"}, Signature: "ed25519"})
	if err != nil {
		t.Fatal(err)
	}
	if wh.Signature != "ed25519" || !strings.HasPrefix(wh.Secret, verify.PublicKeyPrefix) {
		t.Fatalf("created: signature %q, secret %.8s…", wh.Signature, wh.Secret)
	}
	sec, err := api.WebhookSecret(ctx, wh.ID)
	if err != nil || sec.Secret != wh.Secret {
		t.Fatalf("GET secret: %+v %v", sec, err)
	}
	pub, err := verify.New(wh.Secret)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Data: map[string]any{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	got := rc.wait(t, 1)[0]
	if sig := got.Header.Get("webhook-signature"); !strings.HasPrefix(sig, "v1a,") || strings.Contains(sig, "v1,") {
		t.Errorf("signature header %q, want one v1a entry", sig)
	}
	if err := pub.Verify(got.Header, got.Body); err != nil {
		t.Errorf("delivery does not verify with the public key: %v", err)
	}

	if _, err := api.WebhookTest(ctx, wh.ID, client.WebhookTestParams{EventType: "payment_received"}); err != nil {
		t.Fatal(err)
	}
	test := rc.wait(t, 2)[1]
	if err := pub.Verify(test.Header, test.Body); err != nil {
		t.Errorf("test send does not verify with the public key: %v", err)
	}

	// Back to HMAC: a new whsec_ secret, the ed25519 key still signs.
	if _, err := api.WebhookUpdate(ctx, wh.ID, client.WebhookUpdateParams{Signature: client.Ptr("hmac-sha256")}); err != nil {
		t.Fatal(err)
	}
	sec, err = api.WebhookSecret(ctx, wh.ID)
	if err != nil || !strings.HasPrefix(sec.Secret, verify.SecretPrefix) || len(sec.Previous) != 1 || sec.Previous[0].Secret != wh.Secret {
		t.Fatalf("after switching to HMAC: %+v %v", sec, err)
	}
	if _, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Data: map[string]any{"n": 2}}); err != nil {
		t.Fatal(err)
	}
	last := rc.wait(t, 3)[2]
	hmacV, err := verify.New(sec.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*verify.Verifier{"the new HMAC secret": hmacV, "the old public key": pub} {
		if err := v.Verify(last.Header, last.Body); err != nil {
			t.Errorf("during the overlap, %s does not verify: %v", name, err)
		}
	}

	// A bad scheme is a field error.
	_, err = api.WebhookUpdate(ctx, wh.ID, client.WebhookUpdateParams{Signature: client.Ptr("rsa")})
	if err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("signature rsa: %v", err)
	}
}

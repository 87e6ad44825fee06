package e2e

import (
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/verify"
)

var userAgentPattern = regexp.MustCompile(`^Hookline/\S+$`)

func TestDeliveryHeadersAndEnvelope(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	w := s.createWebhookWith(map[string]any{
		"name": "with headers", "url": rc.URL + "/in?src=hookline", "events": []string{"payment_received"},
		"headers": map[string]string{"X-Team": "billing", "Authorization": "Bearer receiver-token"},
	})
	data := `{"amount":  29.90 ,"currency":"EUR" , "customer":{"id":7}}`
	before := time.Now()
	id, _ := s.publishRaw(`{"type":"payment_received","data":` + data + `}`)
	got := rc.wait(t, 1)[0]

	if got.Method != "POST" || got.Path != "/in" {
		t.Errorf("request %s %s, want POST /in", got.Method, got.Path)
	}
	h := got.Header
	checks := map[string]string{
		"webhook-id":    id,
		"webhook-event": "payment_received",
		"Content-Type":  "application/json",
		"X-Team":        "billing",
		"Authorization": "Bearer receiver-token",
	}
	for k, want := range checks {
		if v := h.Values(k); len(v) != 1 || v[0] != want {
			t.Errorf("header %s = %q, want exactly [%q]", k, v, want)
		}
	}
	if ua := h.Get("User-Agent"); !userAgentPattern.MatchString(ua) {
		t.Errorf("User-Agent = %q, want Hookline/<version>", ua)
	}
	sec, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || sec < before.Unix()-1 {
		t.Errorf("webhook-timestamp %q: want Unix seconds not before the publish (%d)", h.Get("webhook-timestamp"), before.Unix())
	}
	v, err := verify.New(w.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(h, got.Body); err != nil {
		t.Errorf("signature does not verify with the webhook secret: %v", err)
	}
	wrong, _ := verify.New("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err := wrong.Verify(h, got.Body); err == nil {
		t.Error("signature verifies with an unrelated secret")
	}

	var env map[string]json.RawMessage
	if err := json.Unmarshal(got.Body, &env); err != nil {
		t.Fatalf("body %s: %v", got.Body, err)
	}
	if len(env) != 4 {
		t.Errorf("envelope keys: %s, want exactly id, type, timestamp, data", got.Body)
	}
	var eid, typ, ts string
	json.Unmarshal(env["id"], &eid)
	json.Unmarshal(env["type"], &typ)
	json.Unmarshal(env["timestamp"], &ts)
	if eid != id || typ != "payment_received" {
		t.Errorf("envelope id %q type %q, want %q payment_received", eid, typ, id)
	}
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		t.Errorf("envelope timestamp %q is not RFC 3339: %v", ts, err)
	}
	if string(env["data"]) != data {
		t.Errorf("envelope data %s, want the published bytes %s", env["data"], data)
	}
}

func TestDeliveryRawFormat(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	w := s.createWebhookWith(map[string]any{
		"name": "raw", "url": rc.URL, "events": []string{"site_published"}, "format": "raw",
	})
	data := `{"site_id": 12, "url" :"https://a.example"}`
	id, _ := s.publishRaw(`{"type":"site_published","data":` + data + `}`)
	got := rc.wait(t, 1)[0]
	if string(got.Body) != data {
		t.Errorf("raw body %s, want exactly the data %s", got.Body, data)
	}
	if got.Header.Get("webhook-id") != id || got.Header.Get("webhook-event") != "site_published" {
		t.Errorf("raw delivery headers %v", got.Header)
	}
	v, _ := verify.New(w.Secret)
	if err := v.Verify(got.Header, got.Body); err != nil {
		t.Errorf("raw body signature: %v", err)
	}
}

// A retry must send the same message: the same webhook-id and the same
// body, so receivers can deduplicate and compare. The envelope timestamp is
// the event's, as GET /api/v1/events/{id} shows it.
func TestDeliveryBodyStableAcrossRetries(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(50*time.Millisecond))
	rc := startReceiver(t, statusSeq(500, 200))
	w := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{"amount": 1})
	got := rc.wait(t, 2)
	v, _ := verify.New(w.Secret)
	for i, r := range got {
		if r.Header.Get("webhook-id") != id {
			t.Errorf("attempt %d webhook-id %q, want %q", i+1, r.Header.Get("webhook-id"), id)
		}
		if err := v.Verify(r.Header, r.Body); err != nil {
			t.Errorf("attempt %d signature: %v", i+1, err)
		}
	}
	if string(got[0].Body) != string(got[1].Body) {
		t.Errorf("retry body differs from the first attempt's:\n first: %s\n retry: %s", got[0].Body, got[1].Body)
	}
	e := s.getEvent(id)
	for i, r := range got {
		var env struct {
			Timestamp string `json:"timestamp"`
		}
		json.Unmarshal(r.Body, &env)
		ts, err := time.Parse(time.RFC3339Nano, env.Timestamp)
		if err != nil || !ts.Equal(e.Timestamp) {
			t.Errorf("attempt %d envelope timestamp %q, want the event's %s", i+1, env.Timestamp, e.Timestamp.Format(time.RFC3339Nano))
		}
	}
}

// The SSRF guard applies at connect time: a host name that resolves to a
// blocked address is refused although the URL itself looked harmless.
func TestDeliveryBlockedHostName(t *testing.T) {
	t.Parallel()
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no host name")
	}
	addrs, err := net.LookupHost(host)
	if err != nil || len(addrs) == 0 {
		t.Skipf("host name %q does not resolve", host)
	}
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.IsLoopback() {
			t.Skipf("host name %q resolves to %v, not only loopback", host, addrs)
		}
	}
	s := startServer(t, withRetrySchedule(time.Hour), func(c *config.Config) { c.AllowPrivateTargets = nil })
	rc := startReceiver(t, nil)
	_, port, _ := net.SplitHostPort(rc.URL[len("http://"):])
	w := s.createWebhook("http://"+host+":"+port+"/hook", "payment_received")

	var res testResult
	s.mustDo(200, "POST", "/api/v1/webhooks/"+w.ID+"/test", nil, &res)
	if res.Success == nil || *res.Success || res.Error == "" {
		t.Errorf("test send to a loopback host name: %s, want a refusal", fmtJSON(res))
	}
	id := s.publish("payment_received", map[string]any{})
	d := s.waitDelivery(s.onlyDelivery(id).ID, "the first attempt", func(d deliveryResp) bool { return d.Attempts >= 1 })
	if len(d.AttemptLog) != 1 || d.AttemptLog[0].ErrorClass != "blocked" {
		t.Errorf("attempt log %s, want one attempt with error_class blocked", fmtJSON(d.AttemptLog))
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("receiver on loopback got %d requests through a host name", n)
	}
}

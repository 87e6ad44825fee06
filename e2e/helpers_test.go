package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
)

// withRetrySchedule replaces the retry schedule (delays before each retry).
func withRetrySchedule(delays ...time.Duration) serverOption {
	return func(c *config.Config) { c.RetrySchedule = delays }
}

// httpResult is a raw answer: status, headers and body bytes.
type httpResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// raw sends a request with the given headers (no key unless the caller
// sets Authorization) and returns the whole answer. body may be nil, a
// string, []byte, or a value marshalled as JSON.
func (s *server) raw(method, path string, header http.Header, body any) httpResult {
	s.t.Helper()
	rd := s.bodyReader(body)
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if rd != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return httpResult{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// authed returns headers carrying the server's admin key.
func (s *server) authed() http.Header {
	return http.Header{"Authorization": {"Bearer " + s.Key}}
}

// mustProblem checks that r is an RFC 9457 problem with the given status
// and returns it decoded.
func mustProblem(t *testing.T, r httpResult, status int) problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, r.Body)
	}
	var p problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem body %q: %v", r.Body, err)
	}
	if p.Status != status || p.Title == "" || p.Detail == "" {
		t.Fatalf("problem %s: want status %d with a title and a detail", r.Body, status)
	}
	return p
}

// sendProblem makes an admin request expected to fail with status and
// returns the problem.
func (s *server) sendProblem(status int, method, path string, body any) problem {
	s.t.Helper()
	return mustProblem(s.t, s.raw(method, path, s.authed(), body), status)
}

// statusSeq answers the n-th request with codes[n], and the last code for
// every request after that.
func statusSeq(codes ...int) func(*http.Request, int) (int, http.Header, string) {
	return func(_ *http.Request, n int) (int, http.Header, string) {
		return codes[min(n, len(codes)-1)], nil, "ok"
	}
}

// closedPortURL returns an http URL on loopback where nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/hook"
}

// attemptResp is one attempt as the API shows it.
type attemptResp struct {
	ID              string      `json:"id"`
	DeliveryID      string      `json:"delivery_id"`
	WebhookID       string      `json:"webhook_id"`
	EventID         string      `json:"event_id"`
	EventType       string      `json:"event_type"`
	Number          int         `json:"number"`
	Test            bool        `json:"test"`
	StartedAt       time.Time   `json:"started_at"`
	DurationMS      *float64    `json:"duration_ms"`
	URL             string      `json:"url"`
	RequestHeaders  http.Header `json:"request_headers"`
	RequestBody     string      `json:"request_body"`
	StatusCode      int         `json:"status_code"`
	ResponseHeaders http.Header `json:"response_headers"`
	ResponseBody    string      `json:"response_body"`
	ErrorClass      string      `json:"error_class"`
	Error           string      `json:"error"`
}

// deliveryResp is a delivery with its attempt log.
type deliveryResp struct {
	ID             string        `json:"id"`
	Tenant         string        `json:"tenant"`
	EventID        string        `json:"event_id"`
	EventType      string        `json:"event_type"`
	WebhookID      string        `json:"webhook_id"`
	Status         string        `json:"status"`
	Attempts       int           `json:"attempts"`
	NextAttemptAt  *time.Time    `json:"next_attempt_at"`
	LastStatusCode int           `json:"last_status_code"`
	LastError      string        `json:"last_error"`
	AttemptLog     []attemptResp `json:"attempt_log"`
}

// eventResp is an event with its deliveries.
type eventResp struct {
	ID         string          `json:"id"`
	Tenant     string          `json:"tenant"`
	Type       string          `json:"type"`
	Data       json.RawMessage `json:"data"`
	Timestamp  time.Time       `json:"timestamp"`
	Deliveries []deliveryResp  `json:"deliveries"`
}

func (s *server) getEvent(id string) eventResp {
	s.t.Helper()
	var e eventResp
	s.mustDo(200, "GET", "/api/v1/events/"+id, nil, &e)
	return e
}

func (s *server) getDelivery(id string) deliveryResp {
	s.t.Helper()
	var d deliveryResp
	s.mustDo(200, "GET", "/api/v1/deliveries/"+id, nil, &d)
	return d
}

func (s *server) getWebhook(id string) webhookResp {
	s.t.Helper()
	var w webhookResp
	s.mustDo(200, "GET", "/api/v1/webhooks/"+id, nil, &w)
	return w
}

// onlyDelivery returns the single delivery of an event.
func (s *server) onlyDelivery(eventID string) deliveryResp {
	s.t.Helper()
	e := s.getEvent(eventID)
	if len(e.Deliveries) != 1 {
		s.t.Fatalf("event %s has %d deliveries, want 1: %s", eventID, len(e.Deliveries), fmtJSON(e))
	}
	return e.Deliveries[0]
}

// waitDelivery polls a delivery until cond holds and returns it with its
// attempt log.
func (s *server) waitDelivery(id, what string, cond func(deliveryResp) bool) deliveryResp {
	s.t.Helper()
	var d deliveryResp
	eventually(s.t, what, func() bool {
		d = s.getDelivery(id)
		return cond(d)
	})
	return d
}

// publishRaw publishes a raw JSON body, expects 202 and returns the reply.
func (s *server) publishRaw(body string) (id string, deliveries int) {
	s.t.Helper()
	var r struct {
		ID         string `json:"id"`
		Deliveries int    `json:"deliveries"`
	}
	s.mustDo(202, "POST", "/api/v1/events", body, &r)
	return r.ID, r.Deliveries
}

// createWebhookWith creates a webhook from a full request body.
func (s *server) createWebhookWith(body map[string]any) webhookResp {
	s.t.Helper()
	var w webhookResp
	s.mustDo(201, "POST", "/api/v1/webhooks", body, &w)
	return w
}

// ids returns the webhook-id header of every request, in arrival order.
func ids(reqs []received) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Header.Get("webhook-id")
	}
	return out
}

// count returns how many times v occurs in list.
func count(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}

// sortedCopy returns a sorted copy of list.
func sortedCopy(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}

// waitID blocks until the receiver has a request whose webhook-id is id,
// and returns every request so far.
func (rc *receiver) waitID(t *testing.T, id string) []received {
	t.Helper()
	return rc.waitIDs(t, id, 1)
}

// waitIDs blocks until the receiver has n requests whose webhook-id is id,
// and returns every request so far.
func (rc *receiver) waitIDs(t *testing.T, id string, n int) []received {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		reqs := rc.requests()
		if count(ids(reqs), id) >= n {
			return reqs
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			t.Fatalf("receiver got event %s %d times, want %d (got %v)", id, count(ids(reqs), id), n, ids(reqs))
		}
	}
}

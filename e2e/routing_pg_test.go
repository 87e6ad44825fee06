package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// routingFlags are short leases and a long, quick retry schedule: a
// receiver failing a fifth of the requests at random never uses up a
// delivery's retries, so every event must arrive.
var routingFlags = []string{"--delivery-timeout", "2s", "--lease-duration", "5s",
	"--retry-schedule", strings.Repeat("100ms,", 14) + "100ms"}

// hooksOnBothShards creates webhooks from body (with path /wN appended to
// url) until each of two shards holds one, deletes the others, and
// returns the two, shard 0's first.
func hooksOnBothShards(t *testing.T, client *http.Client, admin *pgx.Conn, base, key, url string, body map[string]any) [2]webhookResp {
	t.Helper()
	var out [2]webhookResp
	found := [2]bool{}
	for i := 0; i < 40 && !(found[0] && found[1]); i++ {
		b := map[string]any{}
		for k, v := range body {
			b[k] = v
		}
		b["name"], b["url"] = fmt.Sprintf("routing %d", i), fmt.Sprintf("%s/w%d", url, i)
		var w webhookResp
		if code := apiJSON(t, client, base, key, "POST", "/api/v1/webhooks", b, &w); code != 201 {
			t.Fatalf("create webhook: status %d", code)
		}
		var shard int
		if err := admin.QueryRow(context.Background(), `SELECT (abs(hashtext($1)::bigint) % 2)::int`, w.ID).Scan(&shard); err != nil {
			t.Fatal(err)
		}
		if found[shard] {
			apiJSON(t, client, base, key, "DELETE", "/api/v1/webhooks/"+w.ID, nil, nil)
			continue
		}
		found[shard], out[shard] = true, w
	}
	if !found[0] || !found[1] {
		t.Fatal("no webhook on one of the shards after 40 tries")
	}
	return out
}

// TestFIFOTwoInstancesKill: two instances on one PostgreSQL, a FIFO
// webhook on each one's shard, a receiver failing a fifth of the requests;
// the instance serving one of them is SIGKILLed mid-run and started
// again. Every key's events are still accepted in publish order (a
// repeat right after itself is the killed instance's unrecorded send, at
// least once), one request per key at a time, none missing.
func TestFIFOTwoInstancesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and kills two real servers on PostgreSQL; skipped in -short mode")
	}
	t.Parallel()
	dbURL, admin := pgSchemaURL(t)
	keyFile := secretKeyFile(t)
	key := createKeyPG(t, dbURL, keyFile)
	procs := []*process{startPGInstance(t, dbURL, keyFile, routingFlags...), startPGInstance(t, dbURL, keyFile, routingFlags...)}
	client := loadClient()
	events, keys := fifoLoad()
	f := startFIFOReceiver(t, 2*events)
	hooks := hooksOnBothShards(t, client, admin, procs[0].URL, key, f.URL, map[string]any{
		"events": []string{"payment_received"}, "ordering": "fifo", "ordering_key": "data.customer_id",
	})
	waitInstances(t, procs, 2, 30*time.Second)

	// Publish through the instance that lives (a publish the killed one
	// might have committed without answering would be an event the test
	// did not count), and kill the other a third of the way.
	var once sync.Once
	var published int
	var mu sync.Mutex
	killed := make(chan struct{})
	order := publishFIFO(t, events, keys, 4, func(k string, n int) error {
		r := publishTo(client, procs[0].URL, key, fmt.Appendf(nil,
			`{"type":"payment_received","data":{"customer_id":%q,"n":%d}}`, k, n))
		if r.Err != nil || r.Status != 202 {
			return fmt.Errorf("publish %d: status %d, err %v: %s", n, r.Status, r.Err, r.Body)
		}
		mu.Lock()
		published++
		kill := published == events/3
		mu.Unlock()
		if kill {
			once.Do(func() {
				if err := procs[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Error(err)
				}
				<-procs[1].done
				close(killed)
			})
		}
		return nil
	})
	<-killed
	procs[1] = startPGInstance(t, dbURL, keyFile, routingFlags...)
	f.wait(t, 180*time.Second)
	for i := range hooks {
		f.check(t, hookPath(hooks[i]), order)
	}
	f.mu.Lock()
	t.Logf("%d events over %d keys to 2 FIFO webhooks (one per instance), instance 1 killed after %d publishes: %d requests, max %d in hand per key",
		events, keys, events/3, f.requests, f.maxIn)
	f.mu.Unlock()
}

// hookPath is the receiver path of a webhook made by hooksOnBothShards.
func hookPath(w webhookResp) string {
	i := strings.LastIndex(w.URL, "/")
	return w.URL[i:]
}

// TestRateLimitTwoInstances: two instances on one PostgreSQL, a webhook
// limited to 5 requests a second on each one's shard, events published
// through both: each webhook gets at most 5 requests in any second of
// the limiter's clock (webhook-timestamp), and every event.
func TestRateLimitTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real servers on PostgreSQL; skipped in -short mode")
	}
	t.Parallel()
	dbURL, admin := pgSchemaURL(t)
	keyFile := secretKeyFile(t)
	key := createKeyPG(t, dbURL, keyFile)
	procs := []*process{startPGInstance(t, dbURL, keyFile, routingFlags...), startPGInstance(t, dbURL, keyFile, routingFlags...)}
	client := loadClient()
	const limit, events = 5, 20
	var mu sync.Mutex
	perWindow := map[string]map[int64]int{}
	got := map[string]int{}
	done := make(chan struct{})
	var doneOnce sync.Once
	rc := startReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
		ts, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		if err != nil {
			t.Errorf("webhook-timestamp %q", r.Header.Get("webhook-timestamp"))
		}
		mu.Lock()
		defer mu.Unlock()
		if perWindow[r.URL.Path] == nil {
			perWindow[r.URL.Path] = map[int64]int{}
		}
		perWindow[r.URL.Path][ts]++
		got[r.URL.Path]++
		if len(got) == 2 && min(got[r.URL.Path], got[otherPath(got, r.URL.Path)]) >= events {
			doneOnce.Do(func() { close(done) })
		}
		return 200, nil, "ok"
	})
	hooks := hooksOnBothShards(t, client, admin, procs[0].URL, key, rc.URL, map[string]any{
		"events": []string{"payment_received"}, "rate_limit": map[string]int{"per_second": limit},
	})
	waitInstances(t, procs, 2, 30*time.Second)
	changes := membershipChanges(procs)
	for n := range events {
		r := publishTo(client, procs[n%2].URL, key, fmt.Appendf(nil, `{"type":"payment_received","data":{"n":%d}}`, n))
		if r.Err != nil || r.Status != 202 {
			t.Fatalf("publish %d: status %d, err %v", n, r.Status, r.Err)
		}
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		mu.Lock()
		t.Fatalf("received %v of %d each", got, events)
	}
	if now := membershipChanges(procs); fmt.Sprint(now) != fmt.Sprint(changes) {
		t.Fatalf("membership changed during the test (%v, then %v): the limit is promised in steady state", changes, now)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, w := range hooks {
		p := hookPath(w)
		for sec, n := range perWindow[p] {
			if n > limit {
				t.Errorf("webhook %s: %d requests in second %d, limit %d (%v)", p, n, sec, limit, perWindow[p])
			}
		}
		if got[p] != events {
			t.Errorf("webhook %s: %d requests, want %d", p, got[p], events)
		}
	}
}

// otherPath is the key of m that is not p ("" when none).
func otherPath(m map[string]int, p string) string {
	for k := range m {
		if k != p {
			return k
		}
	}
	return ""
}

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/store/postgres/pgtest"
)

// Helpers for end-to-end tests that run `hookline serve` on PostgreSQL:
// the shared test database (one fresh schema per test), a throwaway
// PostgreSQL server a test may stop and start, and a receiver that counts
// deliveries per webhook.

// skipUnlessCI skips the test with a one-line reason, except in CI, which
// must run every test: there it fails.
func skipUnlessCI(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func redacted(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// pgConnect opens one connection for the test's own statements and closes
// it at cleanup. An unreachable server skips the test (fails it in CI).
func pgConnect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		skipUnlessCI(t, "PostgreSQL not reachable at %s: %v", redacted(dbURL), err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// withQuery returns dbURL with the query parameter k set to v.
func withQuery(t *testing.T, dbURL, k, v string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("database URL: %v", err)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// pgSchemaURL creates a fresh schema in the shared test database and
// returns a URL whose connections use it as their whole search path (pgx
// sends unknown URL parameters, search_path included, as run-time
// parameters; checked here). The schema is dropped at cleanup, which runs
// after the cleanup of anything started later (processes on it).
func pgSchemaURL(t *testing.T) (dbURL string, admin *pgx.Conn) {
	t.Helper()
	base := pgtest.URL()
	admin = pgConnect(t, base)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "hl_e2e_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dbURL = withQuery(t, base, "search_path", schema)
	check, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect with search_path: %v", err)
	}
	defer check.Close(context.Background())
	var got *string
	if err := check.QueryRow(ctx, `SELECT current_schema()`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got == nil || *got != schema {
		t.Fatalf("a connection through %s has current_schema %v, want %s: search_path in the URL is not honoured",
			redacted(dbURL), got, schema)
	}
	return dbURL, admin
}

// secretKeyFile writes a fresh secret-encryption key, shared by every
// instance of a test as --secret-key-file.
func secretKeyFile(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	path := filepath.Join(t.TempDir(), "hookline.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// createKeyPG creates an admin API key with the CLI, on the database,
// after 'hookline migrate' has made its schema: keys create works on an
// existing database only.
func createKeyPG(t *testing.T, dbURL, keyFile string) string {
	t.Helper()
	if out, err := exec.Command(hooklineBinary(t), "migrate", "--database-url", dbURL).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	cmd := exec.Command(hooklineBinary(t), "keys", "create", "--name", "e2e-pg",
		"--database-url", dbURL, "--secret-key-file", keyFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// startPGInstance runs one `hookline serve` on the database.
func startPGInstance(t *testing.T, dbURL, keyFile string, extra ...string) *process {
	t.Helper()
	args := append([]string{"--database-url", dbURL, "--secret-key-file", keyFile}, extra...)
	return startProcess(t, t.TempDir(), args...)
}

// lastInstances returns the instance count of the last "instances
// changed" line in p's log, or 0.
func lastInstances(p *process) int {
	n := 0
	for line := range strings.Lines(p.logs.String()) {
		if !strings.Contains(line, `"instances changed"`) {
			continue
		}
		var rec struct {
			Instances int `json:"instances"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil {
			n = rec.Instances
		}
	}
	return n
}

// waitInstances polls the logs (there is no other signal) until every
// process's latest membership view has n instances.
func waitInstances(t *testing.T, procs []*process, n int, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		ok := true
		for _, p := range procs {
			if lastInstances(p) != n {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var views []int
			for _, p := range procs {
				views = append(views, lastInstances(p))
			}
			t.Fatalf("instances did not all see %d instances within %s: views %v", n, bound, views)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// apiJSON sends an admin request to base and decodes a JSON answer.
func apiJSON(t *testing.T, client *http.Client, base, key, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// createHooks creates one webhook per path on the receiver, subscribed to
// typ, and returns their IDs.
func createHooks(t *testing.T, client *http.Client, base, key, recvURL, typ string, paths []string) []string {
	t.Helper()
	var ids []string
	for _, p := range paths {
		var w webhookResp
		if code := apiJSON(t, client, base, key, "POST", "/api/v1/webhooks", map[string]any{
			"name": "e2e " + p, "url": recvURL + p, "events": []string{typ},
		}, &w); code != 201 {
			t.Fatalf("create webhook %s: status %d", p, code)
		}
		ids = append(ids, w.ID)
	}
	return ids
}

// pendingCount returns how many deliveries are pending (0, 1, or "more").
func pendingCount(client *http.Client, base, key string) (int, error) {
	req, _ := http.NewRequest("GET", base+"/api/v1/deliveries?status=pending&limit=5", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, data)
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		return 0, err
	}
	return len(page.Data), nil
}

// waitNoPending polls the API until no delivery is pending, and returns
// how long it took. Polling is the only way: the state is the server's.
func waitNoPending(t *testing.T, client *http.Client, base, key string, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for {
		n, err := pendingCount(client, base, key)
		if err == nil && n == 0 {
			return time.Since(start)
		}
		if err != nil {
			last = err.Error()
		} else {
			last = strconv.Itoa(n) + "+ pending"
		}
		if time.Since(start) > bound {
			t.Fatalf("deliveries still pending %s after the load (stuck past the lease period): %s", bound, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hit is one (webhook path, webhook-id) pair.
type hit struct{ path, id string }

// fanoutReceiver counts deliveries per (webhook path, webhook-id) and
// tracks how many requests are in flight per path at once.
type fanoutReceiver struct {
	URL   string
	delay time.Duration

	mu          sync.Mutex
	cond        *sync.Cond
	counts      map[hit]int
	first       map[hit]time.Time // when a pair first arrived
	dupAt       map[hit]time.Time // when a second copy of a pair arrived
	total       int
	inflight    map[string]int
	maxInflight map[string]int
}

func newFanoutReceiver(t *testing.T, delay time.Duration) *fanoutReceiver {
	t.Helper()
	fr := &fanoutReceiver{delay: delay, counts: map[hit]int{}, first: map[hit]time.Time{}, dupAt: map[hit]time.Time{}, inflight: map[string]int{}, maxInflight: map[string]int{}}
	fr.cond = sync.NewCond(&fr.mu)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fr.URL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(fr.serve), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return fr
}

func (fr *fanoutReceiver) serve(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	path := r.URL.Path
	fr.mu.Lock()
	fr.inflight[path]++
	fr.maxInflight[path] = max(fr.maxInflight[path], fr.inflight[path])
	fr.mu.Unlock()
	if fr.delay > 0 {
		time.Sleep(fr.delay) // the endpoint's own latency, not a test wait
	}
	fr.mu.Lock()
	fr.inflight[path]--
	h := hit{path, r.Header.Get("webhook-id")}
	fr.counts[h]++
	switch fr.counts[h] {
	case 1:
		fr.first[h] = time.Now()
	case 2:
		fr.dupAt[h] = time.Now()
	}
	fr.total++
	fr.mu.Unlock()
	fr.cond.Broadcast()
	w.WriteHeader(200)
}

// missing counts the (path, id) pairs not received yet. Callers hold mu.
func (fr *fanoutReceiver) missingLocked(paths, ids []string) int {
	n := 0
	for _, p := range paths {
		for _, id := range ids {
			if fr.counts[hit{p, id}] == 0 {
				n++
			}
		}
	}
	return n
}

// waitAll blocks until every id has reached every path, or fails the test
// after bound.
func (fr *fanoutReceiver) waitAll(t *testing.T, paths, ids []string, bound time.Duration) {
	t.Helper()
	timer := time.AfterFunc(bound, fr.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(bound)
	fr.mu.Lock()
	defer fr.mu.Unlock()
	for {
		missing := fr.missingLocked(paths, ids)
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged (event, webhook) deliveries never reached the receiver within %s",
				missing, len(paths)*len(ids), bound)
		}
		fr.cond.Wait()
	}
}

// stats returns the requests received, the (path, id) pairs received more
// than once and the extra copies of them.
func (fr *fanoutReceiver) stats() (total, dupPairs, dupCopies int) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	for _, n := range fr.counts {
		if n > 1 {
			dupPairs++
			dupCopies += n - 1
		}
	}
	return fr.total, dupPairs, dupCopies
}

// maxConcurrent returns the most requests seen in flight at once per path.
func (fr *fanoutReceiver) maxConcurrent() map[string]int {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	out := make(map[string]int, len(fr.maxInflight))
	for k, v := range fr.maxInflight {
		out[k] = v
	}
	return out
}

// publishResult is one POST /api/v1/events as the publisher saw it.
type publishResult struct {
	Status int
	ID     string
	Header http.Header
	Body   []byte
	Err    error
}

func publishTo(client *http.Client, base, key string, body []byte) publishResult {
	req, _ := http.NewRequest("POST", base+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return publishResult{Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	r := publishResult{Status: resp.StatusCode, Header: resp.Header, Body: data, Err: err}
	if resp.StatusCode == 202 {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(data, &v); err != nil || v.ID == "" {
			r.Err = fmt.Errorf("202 without an event id: %q", data)
		}
		r.ID = v.ID
	}
	return r
}

// loadClient is an HTTP client for publishers: enough idle connections
// per instance that a handful of publishers reuse them.
func loadClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	return &http.Client{Timeout: 15 * time.Second, Transport: tr}
}

// pgCluster is a throwaway PostgreSQL server on a free loopback port, for
// tests that stop and start the database itself.
type pgCluster struct {
	t      *testing.T
	bin    string // folder of initdb and pg_ctl
	dir    string // owned by the server's OS user
	data   string
	port   int
	URL    string
	asUser []string // command prefix to run as the postgres OS user, or nil
}

// findPGBin returns the folder holding initdb and pg_ctl, newest version
// first, or "".
func findPGBin() string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(matches, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(a))))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(b))))
		return vb - va
	})
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if q, err := exec.LookPath("pg_ctl"); err == nil && filepath.Dir(p) == filepath.Dir(q) {
			return filepath.Dir(p)
		}
	}
	return ""
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startPGCluster initdb's a fresh cluster in a temporary folder and starts
// it; it is stopped (immediate) and removed at cleanup. Without initdb and
// pg_ctl the test is skipped (failed in CI). PostgreSQL refuses to run as
// root, so as root the server runs as the postgres OS user.
func startPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin := findPGBin()
	if bin == "" {
		skipUnlessCI(t, "initdb/pg_ctl not found (looked in /usr/lib/postgresql/*/bin and PATH)")
	}
	c := &pgCluster{t: t, bin: bin}
	dir, err := os.MkdirTemp("", "hookline-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			skipUnlessCI(t, "running as root and there is no postgres OS user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		if p, err := exec.LookPath("runuser"); err == nil {
			c.asUser = []string{p, "-u", "postgres", "--"}
		} else {
			c.asUser = []string{"su", "postgres", "-s", "/bin/sh", "-c", `exec "$0" "$@"`}
		}
	}
	c.data = filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "--no-locale",
		"-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop"); err != nil &&
			!strings.Contains(string(out), "Is server running?") {
			t.Logf("pg_ctl stop at cleanup: %v\n%s", err, out)
		}
	})
	var last error
	for range 3 { // the free port may be taken between freePort and start
		c.port = freePort(t)
		if last = c.tryStart(); last == nil {
			break
		}
	}
	if last != nil {
		t.Fatal(last)
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c
}

// run runs a PostgreSQL program as the server's OS user.
func (c *pgCluster) run(prog string, args ...string) ([]byte, error) {
	argv := append(slices.Clone(c.asUser), append([]string{filepath.Join(c.bin, prog)}, args...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func (c *pgCluster) tryStart() error {
	out, err := c.run("pg_ctl", "-D", c.data, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "30",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir), "start")
	if err != nil {
		logs, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("pg_ctl start on port %d: %v\n%s\n%s", c.port, err, out, logs)
	}
	return nil
}

// start starts the stopped server again, on the same port.
func (c *pgCluster) start() {
	c.t.Helper()
	if err := c.tryStart(); err != nil {
		c.t.Fatal(err)
	}
}

// stop stops the server with pg_ctl's mode (fast: disconnect clients,
// checkpoint, exit) and waits until it is down.
func (c *pgCluster) stop(mode string) {
	c.t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data, "-m", mode, "-w", "-t", "30", "stop"); err != nil {
		c.t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

// dupTimes returns, for each pair delivered more than once, when its first
// and second copies arrived.
func (fr *fanoutReceiver) dupTimes() map[hit][2]time.Time {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	out := make(map[hit][2]time.Time, len(fr.dupAt))
	for h, at := range fr.dupAt {
		out[h] = [2]time.Time{fr.first[h], at}
	}
	return out
}

// dupPairs returns the pairs delivered more than once.
func (fr *fanoutReceiver) dupPairs() []hit {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	var out []hit
	for h, n := range fr.counts {
		if n > 1 {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b hit) int { return strings.Compare(a.path+a.id, b.path+b.id) })
	return out
}

// checkAttemptLogs reads, over the API, the delivery of each pair's event
// to the webhook at the pair's path, and reports those whose attempt log
// disagrees with itself: each attempt has its own number, and the log has
// as many entries as the delivery counts attempts. (An attempt lost with
// a killed process is in neither, so a repeat after a crash keeps the
// delivery consistent.)
func checkAttemptLogs(t *testing.T, client *http.Client, base, key string, hookOf map[string]string, pairs []hit) []string {
	t.Helper()
	var bad []string
	for _, h := range pairs {
		var ev eventResp
		if code := apiJSON(t, client, base, key, "GET", "/api/v1/events/"+h.id, nil, &ev); code != 200 {
			t.Fatalf("GET event %s: status %d", h.id, code)
		}
		var deliveryID string
		for _, d := range ev.Deliveries {
			if d.WebhookID == hookOf[h.path] {
				deliveryID = d.ID
			}
		}
		if deliveryID == "" {
			t.Fatalf("event %s has no delivery to the webhook at %s: %s", h.id, h.path, fmtJSON(ev))
		}
		var d deliveryResp
		if code := apiJSON(t, client, base, key, "GET", "/api/v1/deliveries/"+deliveryID, nil, &d); code != 200 {
			t.Fatalf("GET delivery %s: status %d", deliveryID, code)
		}
		var numbers []int
		var desc []string
		for _, a := range d.AttemptLog {
			numbers = append(numbers, a.Number)
			desc = append(desc, fmt.Sprintf("#%d at %s → %d", a.Number, a.StartedAt.Format("15:04:05.000"), a.StatusCode))
		}
		distinct := slices.Compact(slices.Sorted(slices.Values(numbers)))
		if len(distinct) != len(numbers) || len(numbers) != d.Attempts {
			bad = append(bad, fmt.Sprintf("delivery %s (event %s, webhook %s): status %s, attempts %d, attempt log [%s]",
				d.ID, h.id, h.path, d.Status, d.Attempts, strings.Join(desc, ", ")))
		}
	}
	return bad
}

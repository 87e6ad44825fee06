package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
)

// hostileServer answers every request in one hostile way.
func hostileServer(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
			return
		default:
		}
		handler(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	return "http://" + ln.Addr().String()
}

// TestHostileReceivers points webhooks at receivers that never answer, drip
// one byte a second, send a huge or gzip-bomb body, or megabytes of headers,
// beside a healthy webhook. Each hostile receiver costs one attempt that
// ends within the delivery timeout plus a second, and the healthy webhook's
// deliveries keep arriving quickly.
func TestHostileReceivers(t *testing.T) {
	t.Parallel()
	const timeout = 2 * time.Second
	s := startServer(t, func(c *config.Config) {
		c.DeliveryTimeout = timeout
		c.RetrySchedule = []time.Duration{time.Hour} // one attempt each within the test
	})
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })

	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 100 { // 100 MiB of zeros in about 100 KiB
		zw.Write(zeros)
	}
	zw.Close()

	hostile := map[string]http.HandlerFunc{
		"never answers": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		},
		"drips one byte a second": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			for range 60 {
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-stop:
					return
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
			}
		},
		"huge body": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			chunk := bytes.Repeat([]byte("A"), 64<<10)
			for range 3200 { // 200 MiB if anyone read it all
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"gzip bomb": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(500)
			w.Write(bomb.Bytes())
		},
		"20 MB of headers": func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\n")
			line := "X-Junk: " + strings.Repeat("j", 1000) + "\r\n"
			for range 20000 {
				if _, err := buf.WriteString(line); err != nil {
					return
				}
			}
			buf.WriteString("\r\n")
			buf.Flush()
		},
	}
	names := make(map[string]string) // webhook id → case
	for name, h := range hostile {
		w := s.createWebhook(hostileServer(t, h)+"/hook", "site_published")
		names[w.ID] = name
	}

	var mu sync.Mutex
	published := map[string]time.Time{}
	var latencies []time.Duration
	healthy := startReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
		mu.Lock()
		if t0, ok := published[r.Header.Get("webhook-id")]; ok {
			latencies = append(latencies, time.Since(t0))
		}
		mu.Unlock()
		return 204, nil, ""
	})
	s.createWebhook(healthy.URL+"/hook", "payment_received")

	// The hostile webhooks get one event each; the healthy one a steady
	// stream while they misbehave.
	s.publish("site_published", map[string]any{"n": 1})
	const events = 200
	for i := range events {
		mu.Lock()
		id := s.publish("payment_received", map[string]any{"i": i})
		published[id] = time.Now()
		mu.Unlock()
	}
	healthy.wait(t, events)

	for id, name := range names {
		var atts struct {
			Data []struct {
				DurationMS   float64 `json:"duration_ms"`
				ErrorClass   string  `json:"error_class"`
				Error        string  `json:"error"`
				ResponseBody string  `json:"response_body"`
				Encoding     string  `json:"response_body_encoding"`
			} `json:"data"`
		}
		eventually(t, name+" attempt logged", func() bool {
			s.mustDo(200, "GET", "/api/v1/webhooks/"+id+"/attempts", nil, &atts)
			return len(atts.Data) > 0
		})
		a := atts.Data[0]
		if len(atts.Data) != 1 {
			t.Errorf("%s: %d attempts, want 1", name, len(atts.Data))
		}
		if bound := float64((timeout + time.Second).Milliseconds()); a.DurationMS > bound {
			t.Errorf("%s: attempt took %.0f ms, more than the timeout + 1 s", name, a.DurationMS)
		}
		stored := len(a.ResponseBody)
		if a.Encoding == "base64" {
			raw, err := base64.StdEncoding.DecodeString(a.ResponseBody)
			if err != nil {
				t.Fatalf("%s: response body is not base64: %v", name, err)
			}
			stored = len(raw)
		}
		if stored > 64<<10 {
			t.Errorf("%s: stored %d response bytes, more than the 64 KiB cap", name, stored)
		}
		t.Logf("%-24s %6.0f ms  class=%q  %s", name, a.DurationMS, a.ErrorClass, firstLine(a.Error))
	}
	mu.Lock()
	slices.Sort(latencies)
	p99 := latencies[len(latencies)*99/100]
	mu.Unlock()
	t.Logf("healthy webhook: %d deliveries, p99 %v", len(latencies), p99)
	if p99 > time.Second {
		t.Errorf("healthy webhook p99 %v while the hostile ones misbehaved, want under 1 s", p99)
	}
}

func firstLine(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	if sc.Scan() {
		return fmt.Sprintf("%.100s", sc.Text())
	}
	return ""
}

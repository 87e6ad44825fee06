package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBaselineRequests bounds the baseline's loop besides its duration.
const maxBaselineRequests = 50_000_000

// runBaseline measures the trivial Go HTTP pair on loopback: a server that
// reads each POST body and answers 202 with a small JSON body, driven by
// the same number of publishers over the same kind of client as the real
// run, with the same payload size. It is the wire's ceiling on this
// machine at this moment: Hookline's events/s divided by it is the share
// of the wire the product keeps.
func runBaseline(ctx context.Context, cfg Config) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"evt_baseline"}`))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency + 8, MaxIdleConns: cfg.Concurrency + 8}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: tr}
	target := "http://" + ln.Addr().String() + "/api/v1/events"
	body := []byte(`{"type":"` + cfg.EventType + `","data":{"seq":1,"pad":"` +
		strings.Repeat("x", max(cfg.PayloadSize-40, 0)) + `"}}`)

	ctx, cancel := context.WithTimeout(ctx, cfg.BaselineDuration)
	defer cancel()
	var n, seq atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && seq.Add(1) <= maxBaselineRequests {
				req, err := http.NewRequestWithContext(ctx, "POST", target, bytes.NewReader(body))
				if err != nil {
					return
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					continue // the context ended, or a transient loopback error
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	if el <= 0 {
		return 0, nil
	}
	return float64(n.Load()) / el, nil
}

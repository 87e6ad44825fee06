package deliver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/deliver/brokertest"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/webhook"
)

// BenchmarkHTTPSend is the HTTP baseline of the broker senders'
// BenchmarkSend: the same parallel sends (brokertest.Bench's shape) to a
// local receiver that answers 204 at once.
func BenchmarkHTTPSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	s := deliver.New(deliver.Config{Client: egress.NewClient(egress.Config{AllowPrivate: loopback}), Timeout: 5 * time.Second})
	base := brokertest.Task(b, webhook.Destination{Type: webhook.DestinationHTTP})
	base.Webhook.URL = srv.URL
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			task := base
			task.Event.ID = webhook.NewID(webhook.PrefixEvent)
			if a, v := s.Send(context.Background(), task); v.Kind != deliver.Delivered {
				b.Errorf("send: %v %q", v.Kind, a.Error)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

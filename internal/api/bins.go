package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/shutdown"
	"github.com/hookline/hookline/internal/webhook"
)

// Bins is the request inspector, seen from the API.
type Bins interface {
	Create(ctx context.Context, name string) (bin.Bin, error)
	Get(ctx context.Context, id string) (bin.Bin, error)
	List(ctx context.Context) ([]bin.Bin, error)
	Delete(ctx context.Context, id string) error
	Requests(ctx context.Context, binID string) ([]bin.Request, error)
	Request(ctx context.Context, binID, id string) (bin.Request, error)
	Search(ctx context.Context, binID string, q inspect.Query) ([]bin.Request, error)
	SetResponse(ctx context.Context, binID string, r *bin.Response) (bin.Bin, error)
	Forward(ctx context.Context, binID, reqID, target string) (inspect.Forwarded, error)
	Watch(ctx context.Context, binID, afterID string, emit func([]bin.Request) error) error
	URL(r *http.Request, b bin.Bin) string
	BaseURL(r *http.Request) string
}

type binView struct {
	bin.Bin
	URL string `json:"url"`
}

type binRequest struct {
	Name string `json:"name"`
}

// binRequestView shows a captured body as text, or base64 with the
// encoding named.
type binRequestView struct {
	bin.Request
	Body         string `json:"body"`
	BodyEncoding string `json:"body_encoding,omitempty"`
}

func binRequestViews(reqs []bin.Request) []binRequestView {
	out := make([]binRequestView, len(reqs))
	for i, r := range reqs {
		out[i] = binRequestView{Request: r}
		out[i].Headers = nonNilHeader(r.Headers)
		out[i].Body, out[i].BodyEncoding = bodyText(r.Body)
	}
	return out
}

func (a *API) bins() (Bins, error) {
	if a.cfg.Bins == nil {
		return nil, webhook.Errorf(webhook.ENOTFOUND, "the request inspector is not enabled on this server")
	}
	return a.cfg.Bins, nil
}

func (a *API) createBin(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	var req binRequest
	if err := a.decodeOptional(w, r, &req); err != nil {
		return err
	}
	b, err := bins.Create(r.Context(), req.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/bins/"+b.ID)
	writeJSON(w, http.StatusCreated, binView{Bin: b, URL: bins.URL(r, b)})
	return nil
}

func (a *API) listBins(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	list, err := bins.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]binView, len(list))
	for i, b := range list {
		out[i] = binView{Bin: b, URL: bins.URL(r, b)}
	}
	writeJSON(w, http.StatusOK, listOf(out))
	return nil
}

func (a *API) getBin(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	b, err := bins.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, binView{Bin: b, URL: bins.URL(r, b)})
	return nil
}

func (a *API) deleteBin(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	if err := bins.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listBinRequests(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	reqs, err := searchBin(bins, r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(binRequestViews(reqs)))
	return nil
}

// streamBin sends the bin's requests as server-sent events as they are
// captured. Each event's id is the request id: a client that reconnects
// with Last-Event-ID (or ?after=) gets everything it missed meanwhile.
func (a *API) streamBin(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	b, err := bins.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	after := r.Header.Get("Last-Event-ID")
	if q := r.URL.Query().Get("after"); q != "" {
		after = q
	}
	stop := shutdown.Signal(r) // before the first byte (see Signal)
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout; it ends with the
	// client, or when the server begins shutting down.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n: stream of "+b.ID+"\n\n")
	if err := rc.Flush(); err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(r.Context())
	// The keep-alive goroutine writes to w: it must be gone before the
	// handler returns.
	keepAliveDone := make(chan struct{})
	defer func() {
		cancel()
		<-keepAliveDone
	}()
	var mu sync.Mutex // the keep-alive ticker and the events share w
	// Comments keep idle connections (and proxies) open.
	go func() {
		defer close(keepAliveDone)
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				cancel()
				return
			case <-t.C:
				mu.Lock()
				fmt.Fprint(w, ": keep-alive\n\n")
				rc.Flush()
				mu.Unlock()
			}
		}
	}()
	err = bins.Watch(ctx, b.ID, after, func(reqs []bin.Request) error {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range binRequestViews(reqs) {
			data, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "id: %s\nevent: request\ndata: %s\n\n", v.ID, data); err != nil {
				return err
			}
		}
		return rc.Flush()
	})
	if err != nil && ctx.Err() == nil {
		a.log.Debug("bin stream ended", "bin_id", b.ID, "err", err)
	}
	return nil
}

func listOf[T any](items []T) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Data: items}
}

package storetest

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// newBin is a bin created at created that expires a day later and keeps
// max requests.
func newBin(created time.Time, max int) bin.Bin {
	id := webhook.NewID(bin.PrefixBin)
	return bin.Bin{
		ID: id, Token: "tok_" + id[len(id)-12:], Name: "bin " + id[len(id)-6:], Tenant: tenantAcme,
		CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour), MaxRequests: max,
	}
}

func (h *harness) createBin(b bin.Bin) bin.Bin {
	h.t.Helper()
	ok(h.t, h.s.BinCreate(h.ctx, b), "BinCreate")
	return b
}

// newBinRequest is a small captured POST to bin received at received.
func newBinRequest(bn bin.Bin, received time.Time) bin.Request {
	body := []byte(`{"n":` + strconv.FormatInt(received.UnixMicro(), 10) + `}`)
	return bin.Request{
		ID: webhook.NewID(bin.PrefixRequest), BinID: bn.ID, Method: "POST",
		Path: "/bins/" + bn.Token, Headers: header("Content-Type", "application/json"),
		Body: body, Size: int64(len(body)), RemoteAddr: "192.0.2.1:40000", ReceivedAt: received,
	}
}

// addBinRequest stores a request newBinRequest makes and returns it.
func (h *harness) addBinRequest(bn bin.Bin, received time.Time) bin.Request {
	h.t.Helper()
	r := newBinRequest(bn, received)
	ok(h.t, h.s.BinRequestAdd(h.ctx, r), "BinRequestAdd")
	return r
}

func (h *harness) binRequests(binID, afterID string, limit int) []bin.Request {
	h.t.Helper()
	rs, err := h.s.BinRequestList(h.ctx, store.BinRequestListParams{Scope: auth.AllTenants(), BinID: binID, AfterID: afterID, Limit: limit})
	ok(h.t, err, "BinRequestList")
	return rs
}

func normBin(b bin.Bin) bin.Bin {
	b.CreatedAt, b.ExpiresAt = normTime(b.CreatedAt), normTime(b.ExpiresAt)
	return b
}

func normBinRequest(r bin.Request) bin.Request {
	r.ReceivedAt = normTime(r.ReceivedAt)
	if len(r.Headers) == 0 {
		r.Headers = nil
	}
	if len(r.Body) == 0 {
		r.Body = nil
	}
	return r
}

func binIDs(bs []bin.Bin) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

func binRequestIDs(rs []bin.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func testBins(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		b := newBin(at(7*time.Microsecond), 20)
		b.ExpiresAt = at(24*time.Hour + 3*time.Microsecond)
		h.createBin(b)
		h.createBin(newBin(t0, 10)) // a neighbour that must not be returned instead

		got, err := h.s.BinGet(h.ctx, auth.AllTenants(), b.ID)
		ok(t, err, "BinGet")
		equal(t, "BinGet", got, b, normBin)
		got, err = h.s.BinByToken(h.ctx, b.Token)
		ok(t, err, "BinByToken")
		equal(t, "BinByToken", got, b, normBin)

		_, err = h.s.BinGet(h.ctx, auth.AllTenants(), webhook.NewID(bin.PrefixBin))
		wantCode(t, err, webhook.ENOTFOUND, "BinGet of an unknown bin")
		_, err = h.s.BinByToken(h.ctx, "tok_unknown")
		wantCode(t, err, webhook.ENOTFOUND, "BinByToken of an unknown token")
		_, err = h.s.BinRequestGet(h.ctx, webhook.NewID(bin.PrefixRequest))
		wantCode(t, err, webhook.ENOTFOUND, "BinRequestGet of an unknown request")
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		list, err := h.s.BinList(h.ctx, auth.AllTenants())
		ok(t, err, "BinList of an empty store")
		if len(list) != 0 {
			t.Fatalf("BinList of an empty store: %v", binIDs(list))
		}
		var bins []bin.Bin // oldest first
		for i := range 3 {
			bins = append(bins, h.createBin(newBin(at(time.Duration(i)*time.Minute), 10)))
		}
		list, err = h.s.BinList(h.ctx, auth.AllTenants())
		ok(t, err, "BinList")
		want := []string{bins[2].ID, bins[1].ID, bins[0].ID}
		if !slices.Equal(binIDs(list), want) {
			t.Fatalf("BinList: got %v, want newest first %v", binIDs(list), want)
		}
		for i, b := range list {
			equal(t, "BinList["+strconv.Itoa(i)+"]", b, bins[2-i], normBin)
		}
	})

	t.Run("RequestRoundTrip", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		b := h.createBin(newBin(t0, 10))
		full := bin.Request{
			ID: webhook.NewID(bin.PrefixRequest), BinID: b.ID, Method: "PUT",
			Path: "/bins/" + b.Token + "/deep/path", Query: "x=1&y=%20&x=2",
			Headers: header("Content-Type", "application/octet-stream", "X-Multi", "a", "X-Multi", "b",
				"Webhook-Signature", "v1,abc= v1,def="),
			Body: []byte("\x00\xff\xfe{\"é\":\"\u00e9\"}\r\n\x80"), Size: 1 << 20, Truncated: true,
			RemoteAddr: "[2001:db8::1]:54321", ReceivedAt: at(time.Second + 5*time.Microsecond),
			Target: "/bins/" + b.Token + "/deep%2Fpath?x=1&y=%20&x=2", Proto: "HTTP/1.1", Answered: 418,
		}
		bare := bin.Request{
			ID: webhook.NewID(bin.PrefixRequest), BinID: b.ID, Method: "GET", Path: "/bins/" + b.Token,
			RemoteAddr: "192.0.2.7:1", ReceivedAt: at(2 * time.Second),
		}
		for _, r := range []bin.Request{full, bare} {
			ok(t, h.s.BinRequestAdd(h.ctx, r), "BinRequestAdd")
		}
		for _, want := range []bin.Request{full, bare} {
			got, err := h.s.BinRequestGet(h.ctx, want.ID)
			ok(t, err, "BinRequestGet")
			equal(t, "BinRequestGet "+want.Method, got, want, normBinRequest)
			if string(got.Body) != string(want.Body) {
				t.Errorf("BinRequestGet %s: body bytes changed: got %q, want %q", want.Method, got.Body, want.Body)
			}
		}
		list := h.binRequests(b.ID, "", 10)
		if !slices.Equal(binRequestIDs(list), []string{bare.ID, full.ID}) {
			t.Fatalf("BinRequestList: got %v, want [%s %s]", binRequestIDs(list), bare.ID, full.ID)
		}
		equal(t, "BinRequestList[0]", list[0], bare, normBinRequest)
		equal(t, "BinRequestList[1]", list[1], full, normBinRequest)
		if string(list[1].Body) != string(full.Body) {
			t.Errorf("BinRequestList: body bytes changed: got %q, want %q", list[1].Body, full.Body)
		}
	})

	// A bin's custom response is stored whole, read back by every read,
	// replaced, and cleared back to the default; only within scope.
	t.Run("Response", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		b := h.createBin(newBin(t0, 10))
		other := h.createBin(newBin(t0, 10))
		if b.Response != nil {
			t.Fatal("a new bin has a custom response")
		}
		want := &bin.Response{Status: 503, Headers: map[string]string{"Retry-After": "7", "X-É": "ünï"},
			Body: "{\"down\": true}\n", DelayMS: 30000}
		wantCode(t, h.s.BinSetResponse(h.ctx, auth.TenantScope("globex"), b.ID, want), webhook.ENOTFOUND,
			"BinSetResponse outside the scope")
		wantCode(t, h.s.BinSetResponse(h.ctx, auth.AllTenants(), webhook.NewID(bin.PrefixBin), want), webhook.ENOTFOUND,
			"BinSetResponse of an unknown bin")
		ok(t, h.s.BinSetResponse(h.ctx, auth.TenantScope(tenantAcme), b.ID, want), "BinSetResponse")
		b.Response = want
		got, err := h.s.BinGet(h.ctx, auth.AllTenants(), b.ID)
		ok(t, err, "BinGet")
		equal(t, "BinGet after BinSetResponse", got, b, normBin)
		got, err = h.s.BinByToken(h.ctx, b.Token)
		ok(t, err, "BinByToken")
		equal(t, "BinByToken after BinSetResponse", got, b, normBin)
		list, err := h.s.BinList(h.ctx, auth.AllTenants())
		ok(t, err, "BinList")
		for _, l := range list {
			switch l.ID {
			case b.ID:
				equal(t, "BinList after BinSetResponse", l, b, normBin)
			case other.ID:
				if l.Response != nil {
					t.Errorf("BinSetResponse changed another bin: %+v", l.Response)
				}
			}
		}

		empty := &bin.Response{Status: 204}
		ok(t, h.s.BinSetResponse(h.ctx, auth.AllTenants(), b.ID, empty), "BinSetResponse replacing")
		got, err = h.s.BinGet(h.ctx, auth.AllTenants(), b.ID)
		ok(t, err, "BinGet")
		if got.Response == nil || got.Response.Status != 204 || got.Response.Body != "" || len(got.Response.Headers) != 0 ||
			got.Response.DelayMS != 0 {
			t.Errorf("BinGet after replacing the response: %+v", got.Response)
		}
		ok(t, h.s.BinSetResponse(h.ctx, auth.AllTenants(), b.ID, nil), "BinSetResponse clearing")
		got, err = h.s.BinGet(h.ctx, auth.AllTenants(), b.ID)
		ok(t, err, "BinGet")
		if got.Response != nil {
			t.Errorf("BinGet after clearing the response: %+v", got.Response)
		}
	})

	// A bin keeps only its newest MaxRequests requests; the others go as
	// new ones arrive, and other bins are untouched.
	t.Run("KeepsNewest", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		const keep = 5
		b := h.createBin(newBin(t0, keep))
		other := h.createBin(newBin(t0, keep))
		var added []bin.Request // oldest first
		var others []string
		for i := range keep + 3 {
			added = append(added, h.addBinRequest(b, at(time.Duration(i)*time.Second)))
			if i%4 == 0 {
				others = append(others, h.addBinRequest(other, at(time.Duration(i)*time.Second)).ID)
			}
		}
		var want []string
		for _, r := range slices.Backward(added[len(added)-keep:]) {
			want = append(want, r.ID)
		}
		got := h.binRequests(b.ID, "", 100)
		if !slices.Equal(binRequestIDs(got), want) {
			t.Fatalf("BinRequestList after %d adds to a bin keeping %d:\n got %v\nwant newest first %v",
				len(added), keep, binRequestIDs(got), want)
		}
		for _, r := range added[:len(added)-keep] {
			_, err := h.s.BinRequestGet(h.ctx, r.ID)
			wantCode(t, err, webhook.ENOTFOUND, "BinRequestGet of a request beyond MaxRequests")
		}
		if got := binRequestIDs(h.binRequests(other.ID, "", 100)); !slices.Equal(got, reversed(others)) {
			t.Errorf("BinRequestList of the other bin: got %v, want %v", got, reversed(others))
		}
	})

	// AfterID is how a live view asks for what arrived since the newest
	// request it shows.
	t.Run("AfterID", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		b := h.createBin(newBin(t0, 100))
		other := h.createBin(newBin(t0, 100))
		r1 := h.addBinRequest(b, at(1*time.Second))
		h.addBinRequest(other, at(1*time.Second))
		r2 := h.addBinRequest(b, at(2*time.Second))
		r3 := h.addBinRequest(b, at(3*time.Second))
		for _, c := range []struct {
			name    string
			afterID string
			limit   int
			want    []string
		}{
			{"all", "", 10, []string{r3.ID, r2.ID, r1.ID}},
			{"limit", "", 2, []string{r3.ID, r2.ID}},
			{"after the oldest", r1.ID, 10, []string{r3.ID, r2.ID}},
			{"after the newest", r3.ID, 10, nil},
		} {
			if got := binRequestIDs(h.binRequests(b.ID, c.afterID, c.limit)); !slices.Equal(got, c.want) {
				t.Errorf("BinRequestList %s: got %v, want %v", c.name, got, c.want)
			}
		}
		r4 := h.addBinRequest(b, at(4*time.Second))
		if got := binRequestIDs(h.binRequests(b.ID, r3.ID, 10)); !slices.Equal(got, []string{r4.ID}) {
			t.Errorf("BinRequestList after the last one seen: got %v, want [%s]", got, r4.ID)
		}
		got, err := h.s.BinRequestGet(h.ctx, r2.ID)
		ok(t, err, "BinRequestGet")
		equal(t, "BinRequestGet", got, r2, normBinRequest)
	})

	t.Run("MissingBin", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		r := newBinRequest(bin.Bin{ID: webhook.NewID(bin.PrefixBin), Token: "tok_gone"}, t0)
		wantCode(t, h.s.BinRequestAdd(h.ctx, r), webhook.ENOTFOUND, "BinRequestAdd to a missing bin")
		_, err := h.s.BinRequestGet(h.ctx, r.ID)
		wantCode(t, err, webhook.ENOTFOUND, "BinRequestGet of a request refused")
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		b := h.createBin(newBin(t0, 10))
		other := h.createBin(newBin(t0, 10))
		gone := []bin.Request{h.addBinRequest(b, at(time.Second)), h.addBinRequest(b, at(2*time.Second))}
		kept := h.addBinRequest(other, at(time.Second))

		ok(t, h.s.BinDelete(h.ctx, auth.AllTenants(), b.ID), "BinDelete")
		_, err := h.s.BinGet(h.ctx, auth.AllTenants(), b.ID)
		wantCode(t, err, webhook.ENOTFOUND, "BinGet of a deleted bin")
		_, err = h.s.BinByToken(h.ctx, b.Token)
		wantCode(t, err, webhook.ENOTFOUND, "BinByToken of a deleted bin")
		for _, r := range gone {
			_, err := h.s.BinRequestGet(h.ctx, r.ID)
			wantCode(t, err, webhook.ENOTFOUND, "BinRequestGet of a deleted bin's request")
		}
		wantCode(t, h.s.BinDelete(h.ctx, auth.AllTenants(), b.ID), webhook.ENOTFOUND, "BinDelete twice")
		wantCode(t, h.s.BinDelete(h.ctx, auth.AllTenants(), webhook.NewID(bin.PrefixBin)), webhook.ENOTFOUND, "BinDelete of an unknown bin")

		list, err := h.s.BinList(h.ctx, auth.AllTenants())
		ok(t, err, "BinList")
		if !slices.Equal(binIDs(list), []string{other.ID}) {
			t.Errorf("BinList after deleting one: got %v, want [%s]", binIDs(list), other.ID)
		}
		got, err := h.s.BinRequestGet(h.ctx, kept.ID)
		ok(t, err, "BinRequestGet of another bin's request")
		equal(t, "other bin's request", got, kept, normBinRequest)
	})

	t.Run("Expire", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		now := at(time.Hour)
		expiring := func(expires time.Time) bin.Bin {
			b := newBin(t0, 10)
			b.ExpiresAt = expires
			return h.createBin(b)
		}
		earlier := expiring(at(30 * time.Minute))
		exactly := expiring(now)
		later := expiring(now.Add(time.Microsecond))
		much := expiring(at(2 * time.Hour))
		reqs := map[string]bin.Request{}
		for _, b := range []bin.Bin{earlier, exactly, later, much} {
			reqs[b.ID] = h.addBinRequest(b, at(time.Second))
		}

		n, err := h.s.BinExpire(h.ctx, now)
		ok(t, err, "BinExpire")
		if n != 2 {
			t.Errorf("BinExpire: %d bins, want 2 (expired before and exactly at now)", n)
		}
		for _, b := range []bin.Bin{earlier, exactly} {
			_, err := h.s.BinGet(h.ctx, auth.AllTenants(), b.ID)
			wantCode(t, err, webhook.ENOTFOUND, "BinGet of an expired bin")
			_, err = h.s.BinRequestGet(h.ctx, reqs[b.ID].ID)
			wantCode(t, err, webhook.ENOTFOUND, "BinRequestGet of an expired bin's request")
		}
		for _, b := range []bin.Bin{later, much} {
			got, err := h.s.BinGet(h.ctx, auth.AllTenants(), b.ID)
			ok(t, err, "BinGet of a bin not expired yet")
			equal(t, "bin not expired yet", got, b, normBin)
			_, err = h.s.BinRequestGet(h.ctx, reqs[b.ID].ID)
			ok(t, err, "BinRequestGet of a live bin's request")
		}
		n, err = h.s.BinExpire(h.ctx, now)
		ok(t, err, "BinExpire again")
		if n != 0 {
			t.Errorf("BinExpire again at the same time: %d bins, want 0", n)
		}
	})
}

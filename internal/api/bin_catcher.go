package api

import (
	"errors"
	"net/http"

	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/webhook"
)

// The request catcher's calls: a bin's custom response, one captured
// request (as JSON or raw), search, export and forwarding.

// searchBin returns the requests of the bin in the path that match the
// query's search terms: all of them (as before search) when there are
// none.
func searchBin(bins Bins, r *http.Request) ([]bin.Request, error) {
	q, err := inspect.ParseQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if q.Empty() && q.Limit == 0 {
		return bins.Requests(r.Context(), r.PathValue("id"))
	}
	if q.Limit == 0 {
		q.Limit = inspect.MaxRequestsLimit
	}
	return bins.Search(r.Context(), r.PathValue("id"), q)
}

func (a *API) setBinResponse(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	var resp bin.Response
	if err := a.decode(w, r, inspect.MaxResponseBody*2+64<<10, &resp); err != nil {
		return err
	}
	b, err := bins.SetResponse(r.Context(), r.PathValue("id"), &resp)
	if err != nil {
		return err
	}
	a.cfg.Registry.Audit(r.Context(), "bin.response", b.ID, http.StatusText(resp.Status))
	writeJSON(w, http.StatusOK, binView{Bin: b, URL: bins.URL(r, b)})
	return nil
}

func (a *API) resetBinResponse(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	b, err := bins.SetResponse(r.Context(), r.PathValue("id"), nil)
	if err != nil {
		return err
	}
	a.cfg.Registry.Audit(r.Context(), "bin.response", b.ID, "default")
	writeJSON(w, http.StatusOK, binView{Bin: b, URL: bins.URL(r, b)})
	return nil
}

func (a *API) getBinRequest(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	br, err := bins.Request(r.Context(), r.PathValue("id"), r.PathValue("rid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, binRequestViews([]bin.Request{br})[0])
	return nil
}

// rawBinRequest answers the captured request as received, bytes
// unchanged, as an HTTP message.
func (a *API) rawBinRequest(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	br, err := bins.Request(r.Context(), r.PathValue("id"), r.PathValue("rid"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "message/http")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", `attachment; filename="`+br.ID+`.http"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inspect.Raw(br))
	return nil
}

type forwardRequest struct {
	URL string `json:"url"`
}

func (a *API) forwardBinRequest(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	var req forwardRequest
	if err := a.decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	f, err := bins.Forward(r.Context(), r.PathValue("id"), r.PathValue("rid"), req.URL)
	if err != nil {
		if webhook.ErrorCode(err) != webhook.ENOTFOUND {
			a.cfg.Registry.Audit(r.Context(), "bin.forward", r.PathValue("rid"), req.URL+": "+auditText(err))
		}
		return err
	}
	a.cfg.Registry.Audit(r.Context(), "bin.forward", r.PathValue("rid"), f.URL+": "+http.StatusText(f.Status))
	writeJSON(w, http.StatusOK, f)
	return nil
}

// exportBin downloads the bin's requests (those matching the search terms
// if any) as JSON or as a HAR 1.2 document.
func (a *API) exportBin(w http.ResponseWriter, r *http.Request) error {
	bins, err := a.bins()
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "har" {
		return webhook.ParamError(webhook.EINVALID, "format", `must be "json" or "har"`)
	}
	b, err := bins.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	reqs, err := searchBin(bins, r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+b.ID+`.`+format+`"`)
	if format == "json" {
		writeJSON(w, http.StatusOK, listOf(binRequestViews(reqs)))
		return nil
	}
	doc, err := inspect.HAR(reqs, bins.BaseURL(r), a.cfg.Version)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
	return nil
}

// auditText is what an audit entry says of a refused forward: the
// message of a known error, never internal detail.
func auditText(err error) string {
	if e, ok := errors.AsType[*webhook.Error](err); ok && e.Code != webhook.EINTERNAL {
		return e.Message
	}
	return "failed"
}

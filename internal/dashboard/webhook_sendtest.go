package dashboard

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

type testResultView struct {
	base
	Webhook   webhook.Webhook
	Attempt   webhook.Attempt
	OK        bool
	Error     string // a user error: nothing was sent
	Failure   string // why the attempt failed, in words
	Signature []headerKV
	ReqBody   bodyView
	RespBody  bodyView
}

// signatureHeaders are the Standard Webhooks headers a test shows as sent.
var signatureHeaders = []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "Webhook-Event"}

// sendTest sends the example payload now and shows what came back: in the
// dialog when the page's script asked for a fragment, otherwise as a page.
func (d *Dashboard) sendTest(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	wh, err := d.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	v := testResultView{base: d.base(r, "Test event: "+wh.Name, "webhooks"), Webhook: wh}
	a, err := d.cfg.Registry.SendTest(r.Context(), id, strings.TrimSpace(r.PostForm.Get("event_type")))
	status := http.StatusOK
	if err != nil && a.ID == "" {
		_, top, err := fieldErrors(err)
		if err != nil {
			return err
		}
		v.Error, status = top, http.StatusUnprocessableEntity
	} else {
		// An error after the send is a failure to log it: the result itself
		// is still what the user asked for.
		if err != nil {
			d.log.Warn("dashboard: recording a test attempt failed", "webhook_id", id, "err", err)
		}
		v.Attempt, v.OK, v.Failure = a, a.Success(), failureMessage(a)
		for _, h := range signatureHeaders {
			if val := a.RequestHeaders.Get(h); val != "" {
				v.Signature = append(v.Signature, headerKV{h, val})
			}
		}
		v.ReqBody = bodyText(a.RequestBody, displayLimit)
		v.RespBody = bodyText(a.ResponseBody, displayLimit)
	}
	if isFragment(r) {
		d.renderFragment(w, r, status, "test_result", "test-result", v)
		return nil
	}
	d.render(w, r, status, "test_result", v)
	return nil
}

// failureMessage says in plain words why an attempt did not count as
// delivered.
func failureMessage(a webhook.Attempt) string {
	if a.Success() {
		return ""
	}
	switch a.ErrorClass {
	case webhook.ErrClassConnectionRefused:
		return "The receiver could not be reached: the connection was refused. Is it running, and is the URL right?"
	case webhook.ErrClassTimeout:
		return "The receiver did not answer in time. " + a.Error
	case webhook.ErrClassDNS:
		return "The host name could not be resolved. " + a.Error
	case webhook.ErrClassBlocked:
		return "Hookline does not send to this address: it is private or reserved (SSRF protection)."
	case webhook.ErrClassTLS:
		return "The TLS connection failed. " + a.Error
	case webhook.ErrClassHTTPStatus:
		return fmt.Sprintf("The receiver answered HTTP %d. Only a 2xx answer counts as delivered.", a.StatusCode)
	case webhook.ErrClassConnection:
		return "The receiver could not be reached. " + a.Error
	}
	if a.Error != "" {
		return a.Error
	}
	return "The test did not succeed."
}

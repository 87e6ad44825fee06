package dashboard

import (
	"net/http"
	"strings"

	"github.com/hookline/hookline/internal/auth"
)

// resumeForm is a form a user sent after their session had ended. It is
// carried through the sign-in page as hidden fields and offered again
// once they are signed in, so that nothing typed is lost to an expiry.
type resumeForm struct {
	// Path is where the form was sent: a page of the dashboard.
	Path   string
	Fields []resumeField
}

type resumeField struct{ Name, Value string }

// The sign-in form carries a kept form as resume_path and a resume:
// field for each of its fields.
const (
	resumePathField = "resume_path"
	resumePrefix    = "resume:"
	// maxResumeFields bounds what is carried; forms here have a dozen.
	maxResumeFields = 200
)

// formToResume returns r's posted form, to offer again after sign-in,
// or nil when there is nothing to keep.
func formToResume(r *http.Request) *resumeForm {
	if r.Method != http.MethodPost || isFragment(r) || parseForm(r) != nil {
		return nil
	}
	path := resumablePath(r.URL.Path)
	if path == "" {
		return nil
	}
	rf := &resumeForm{Path: path}
	for name, values := range r.PostForm {
		for _, v := range values {
			rf.Fields = append(rf.Fields, resumeField{name, v})
		}
	}
	if len(rf.Fields) == 0 || len(rf.Fields) > maxResumeFields {
		return nil
	}
	return rf
}

// resumeFromLogin reads a kept form back from the sign-in form.
func resumeFromLogin(r *http.Request) *resumeForm {
	path := resumablePath(r.PostForm.Get(resumePathField))
	if path == "" {
		return nil
	}
	rf := &resumeForm{Path: path}
	for name, values := range r.PostForm {
		field, ok := strings.CutPrefix(name, resumePrefix)
		if !ok || field == "" {
			continue
		}
		for _, v := range values {
			rf.Fields = append(rf.Fields, resumeField{field, v})
		}
	}
	if len(rf.Fields) == 0 || len(rf.Fields) > maxResumeFields {
		return nil
	}
	return rf
}

// resumablePath is path when a kept form may be sent there again: a page
// of the dashboard itself, not the sign-in or sign-out.
func resumablePath(path string) string {
	p := safeNext(path)
	if p == "/" && path != "/" || strings.ContainsAny(p, "?#") ||
		p == "/login" || p == "/logout" || strings.HasPrefix(p, "/portal/") || strings.HasPrefix(p, "/static/") {
		return ""
	}
	return p
}

type resumeView struct {
	base
	Resume *resumeForm
}

// signInToResume is the sign-in page for a form sent after the session
// ended: the form rides along, hidden.
func (d *Dashboard) signInToResume(w http.ResponseWriter, r *http.Request, rf *resumeForm) {
	v := loginView{base: d.base(r, "Sign in", ""), Resume: rf}
	v.Notice = "Your session ended before this was saved. Sign in again: what you typed is kept."
	v.Form.Username = auth.AdminUser
	d.render(w, r, http.StatusUnauthorized, "login", v)
}

// resumeAfterSignIn offers the kept form again, to send with one click
// now that the user is signed in. Sending it is theirs to decide: it may
// be a while since they typed it.
func (d *Dashboard) resumeAfterSignIn(w http.ResponseWriter, r *http.Request, rf *resumeForm) {
	d.render(w, r, http.StatusOK, "resume", resumeView{base: d.base(r, "Signed in again", ""), Resume: rf})
}

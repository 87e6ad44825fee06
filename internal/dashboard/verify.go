package dashboard

import (
	"embed"
	"net/http"
)

// snippetFS holds the signature-checking functions the Verify signatures
// page shows; verify_test.go runs each against a real signed delivery.
//
//go:embed snippets/*.txt
var snippetFS embed.FS

// snippet is one language's copy-ready verification code.
type snippet struct {
	ID       string
	Language string
	Code     string
	// Usage says how a receiver calls it.
	Usage string
}

// snippets, in the order the page shows them.
var snippets = []struct{ id, language, file, usage string }{
	{"go", "Go", "verify.go.txt",
		"body, _ := io.ReadAll(r.Body)\nif err := verifyWebhook(os.Getenv(\"WEBHOOK_SECRET\"), r.Header, body); err != nil {\n\thttp.Error(w, \"invalid signature\", http.StatusUnauthorized)\n\treturn\n}"},
	{"node", "Node.js", "verify.js.txt",
		"// With express: app.post(\"/webhooks\", express.raw({ type: \"*/*\" }), (req, res) => {\nif (!verifyWebhook(process.env.WEBHOOK_SECRET, req.headers, req.body)) return res.sendStatus(401);"},
	{"python", "Python", "verify.py.txt",
		"# With Flask:\nif not verify_webhook(os.environ[\"WEBHOOK_SECRET\"], request.headers, request.get_data()):\n    abort(401)"},
	{"php", "PHP", "verify.php.txt", ""},
}

type verifyView struct {
	base
	Snippets []snippet
}

// verify is the Verify signatures page: how a receiver checks that a
// delivery came from Hookline, in the languages receivers are written in.
func (d *Dashboard) verify(w http.ResponseWriter, r *http.Request) error {
	v := verifyView{base: d.base(r, "Verify signatures", "verify")}
	for _, s := range snippets {
		code, err := snippetFS.ReadFile("snippets/" + s.file)
		if err != nil {
			return err
		}
		v.Snippets = append(v.Snippets, snippet{ID: s.id, Language: s.language, Code: string(code), Usage: s.usage})
	}
	d.render(w, r, http.StatusOK, "verify", v)
	return nil
}

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/config"
)

// TestNoSecretsInLogsOrDatabase exercises every path that handles an API
// key or a signing secret (with debug logging on), then looks for them in
// the captured log and in the raw database files.
func TestNoSecretsInLogsOrDatabase(t *testing.T) {
	t.Parallel()
	var dataDir string
	s := startServer(t, func(c *config.Config) { dataDir = c.DataDir })
	rc := startReceiver(t, nil)
	w := s.createWebhook(rc.URL+"/hook", "payment_received")
	var rotated struct {
		Secret string `json:"secret"`
	}
	s.mustDo(200, "POST", "/api/v1/webhooks/"+w.ID+"/rotate-secret", nil, &rotated)
	var newKey struct {
		Key string `json:"key"`
	}
	s.mustDo(201, "POST", "/api/v1/keys", map[string]any{"name": "second"}, &newKey)
	s.publish("payment_received", map[string]any{"n": 1})
	rc.wait(t, 1)
	s.mustDo(200, "POST", "/api/v1/webhooks/"+w.ID+"/test", nil, nil)
	s.doKey("hkl_wrongwrongwrong", "GET", "/api/v1/webhooks", nil, nil) // a refused key
	s.stop()

	secrets := map[string]string{"admin API key": s.Key, "created API key": newKey.Key,
		"first signing secret": w.Secret, "rotated signing secret": rotated.Secret}
	logs := s.logs.String()
	if !strings.Contains(logs, "request") {
		t.Fatalf("the captured log looks empty:\n%.500s", logs)
	}
	for name, v := range secrets {
		if v == "" {
			t.Fatalf("%s is empty", name)
		}
		// The part after the prefix: a prefix alone (hkl_, whsec_) is fine.
		body := v[strings.Index(v, "_")+1:]
		if strings.Contains(logs, body) {
			t.Errorf("the %s appears in the log", name)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dataDir, "hookline.db*"))
	if len(files) == 0 {
		t.Fatal("no database files found")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range secrets {
			body := v[strings.Index(v, "_")+1:]
			if bytes.Contains(raw, []byte(body)) {
				t.Errorf("the %s is stored in clear in %s", name, filepath.Base(f))
			}
		}
	}
}

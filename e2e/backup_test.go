package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupUnderLoadRestores takes `hookline backup` while events are being
// published, restores it into a new data directory, and finds every event
// that was acknowledged before the backup started.
func TestBackupUnderLoadRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped in -short mode")
	}
	t.Parallel()
	dataDir := t.TempDir()
	_, recvURL := newCountingReceiver(t, 0)
	p := startProcess(t, dataDir)
	key := createKeyCLI(t, dataDir)
	client := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest("POST", p.URL+"/api/v1/webhooks", strings.NewReader(
		`{"name":"backup","url":"`+recvURL+`/hook","events":["*"]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create webhook: %v %v", err, resp)
	}

	var (
		mu        sync.Mutex
		acked     []string
		stop      atomic.Bool
		wg        sync.WaitGroup
		n         atomic.Int64
		halfway   = make(chan struct{})
		closeOnce sync.Once
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && n.Load() < 20000 {
				i := n.Add(1)
				id, err := publishRaw(client, p.URL, key, fmt.Appendf(nil, `{"type":"site_published","data":{"i":%d}}`, i))
				if err != nil {
					t.Errorf("publish: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				if len(acked) == 1000 {
					closeOnce.Do(func() { close(halfway) })
				}
				mu.Unlock()
			}
		}()
	}
	<-halfway
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "hookline-backup.db")
	out, err := exec.Command(hooklineBinary(t), "backup", "--data-dir", dataDir, "--to", backup).CombinedOutput()
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("hookline backup under load: %v\n%s", err, out)
	}

	restored := t.TempDir()
	key2, err := os.ReadFile(filepath.Join(dataDir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "secret.key"), key2, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(hooklineBinary(t), "restore", "--data-dir", restored, "--from", backup).CombinedOutput(); err != nil {
		t.Fatalf("hookline restore: %v\n%s", err, out)
	}
	p2 := startProcess(t, restored)
	for _, id := range before {
		req, _ := http.NewRequest("GET", p2.URL+"/api/v1/events/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+key) // the key is in the backup too
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("event %s acknowledged before the backup: status %d in the restored copy", id, resp.StatusCode)
		}
	}
	t.Logf("%d events acknowledged before the backup started, all found after restore (%d published in all)", len(before), n.Load())
}

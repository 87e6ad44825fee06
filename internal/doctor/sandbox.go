package doctor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/transform"
)

// checkSandbox starts a transform sandbox worker as the server does at a
// webhook's first transform, with the configured memory bound, and runs
// a script in it: a system where the executable cannot start itself
// again would fail every delivery of a webhook with a transform.
func checkSandbox(ctx context.Context, cfg config.Config, r *report) {
	p := transform.NewPool(transform.PoolConfig{Workers: 1, Memory: int64(cfg.TransformMemoryMB) << 20,
		Logger: slog.New(slog.DiscardHandler)})
	defer p.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := p.Run(ctx, `function handler(w) { w.payload = {ok: true}; return w }`,
		transform.Request{Method: "POST", URL: "https://example.com/", Payload: []byte(`{}`)},
		transform.Limits{Timeout: 5 * time.Second})
	switch bound := p.Stats().Bound; {
	case err != nil:
		r.add("transform sandbox", Fail, err.Error(),
			"webhooks with a transform cannot deliver: the hookline executable must be able to run itself again (exec permission on its file, /proc mounted)")
	case string(res.Body) != `{"ok":true}`:
		r.add("transform sandbox", Fail, fmt.Sprintf("a test script returned %q", res.Body), "report this as a bug")
	case bound == 0:
		r.add("transform sandbox", Warn, "a worker ran a script, but this system enforces no address-space limit (RLIMIT_AS): only the allocation watchdog bounds a transform's memory",
			"run Hookline on Linux where transforms must not exhaust memory")
	default:
		r.add("transform sandbox", OK, fmt.Sprintf("a worker ran a script under a %d MiB memory bound", bound>>20), "")
	}
}

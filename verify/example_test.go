package verify_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hookline/hookline/verify"
)

// A receiver verifies every request before acting on it. The clock is
// pinned here only so the example can replay the published test vector;
// a real receiver leaves Now nil.
func ExampleVerifier_VerifyRequest() {
	v, err := verify.New("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		log.Fatal(err)
	}
	v.Now = func() time.Time { return time.Unix(1614265330, 0) }

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := v.VerifyRequest(r)
		switch {
		case errors.Is(err, verify.ErrBodyTooLarge):
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			// Do not tell the sender why: that would help a forger.
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		// The webhook-id stays the same across retries: use it to skip
		// duplicates before processing body.
		fmt.Printf("accepted %s: %s\n", r.Header.Get(verify.HeaderID), body)
		w.WriteHeader(http.StatusNoContent)
	})

	for _, payload := range []string{`{"test": 2432232314}`, `{"test": 1}`} {
		r := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(payload))
		r.Header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
		r.Header.Set("webhook-timestamp", "1614265330")
		r.Header.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// accepted msg_p5jXN8AQM9LWM0D4loKWxJek: {"test": 2432232314}
	// 204
	// 401
}

// Command receiver-go is a minimal webhook receiver that verifies Hookline's
// Standard Webhooks signature before trusting a request.
//
//	WEBHOOK_SECRET=whsec_... go run ./examples/receiver-go -addr 127.0.0.1:3000
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/hookline/hookline/verify"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "address to listen on")
	flag.Parse()
	secret := os.Getenv("WEBHOOK_SECRET")
	if secret == "" {
		log.Fatal("set WEBHOOK_SECRET to the webhook's signing secret (whsec_...)")
	}
	v, err := verify.New(secret)
	if err != nil {
		log.Fatalf("WEBHOOK_SECRET: %v", err)
	}
	http.Handle("POST /webhooks", Handler(v))
	log.Printf("listening on http://%s/webhooks", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// Handler verifies each request and prints its event.
func Handler(v *verify.Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := v.VerifyRequest(r)
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			log.Printf("rejected %s: %v", r.Header.Get("webhook-id"), err)
			return
		}
		fmt.Printf("%s %s %s\n", r.Header.Get("webhook-id"), r.Header.Get("webhook-event"), body)
		w.WriteHeader(http.StatusNoContent)
	})
}

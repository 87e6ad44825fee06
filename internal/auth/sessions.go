package auth

import "time"

// PrefixSession starts every session's ID.
const PrefixSession = "ses_"

// Session is a signed-in dashboard session; only the token's hash is stored.
type Session struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

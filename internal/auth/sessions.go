package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// PrefixSession starts every session's ID.
const PrefixSession = "ses_"

// Session is a signed-in dashboard session; only the token's hash is stored.
type Session struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SessionStore is what signing in and out needs from storage.
type SessionStore interface {
	UserGet(ctx context.Context, username string) (User, error)
	SessionCreate(ctx context.Context, s Session, tokenHash []byte) error
	// SessionGet returns the session with that token hash, expired or not.
	SessionGet(ctx context.Context, tokenHash []byte) (Session, error)
	SessionDelete(ctx context.Context, tokenHash []byte) error
}

// ErrSignInFailed is the one answer to an unknown user or a wrong
// password: which of them it was is not revealed.
var ErrSignInFailed = &webhook.Error{Code: webhook.EUNAUTHORIZED, Message: "wrong username or password"}

// ErrNoSession is the answer to a missing, unknown or expired session
// token.
var ErrNoSession = &webhook.Error{Code: webhook.EUNAUTHORIZED, Message: "not signed in"}

// ThrottledError refuses a sign-in attempt after too many failures, before
// the password is checked.
type ThrottledError struct {
	// Wait is how long until the next attempt is considered.
	Wait time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.Wait.Round(time.Second))
}

// SessionsConfig configures Sessions.
type SessionsConfig struct {
	Store SessionStore
	// TTL is how long a sign-in lasts. Default 12h.
	TTL time.Duration
	Now func() time.Time
}

// Sessions signs users in with their password and recognises them
// afterwards by a session token. A token is 256 random bits; only its
// SHA-256 (Hash) is stored, so a copy of the database signs no one in.
type Sessions struct {
	cfg      SessionsConfig
	throttle *throttle
}

// NewSessions returns Sessions. Its sign-in throttle lives in memory, per
// Sessions value.
func NewSessions(cfg SessionsConfig) *Sessions {
	if cfg.TTL <= 0 {
		cfg.TTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sessions{cfg: cfg, throttle: newThrottle(cfg.Now)}
}

// SignIn checks a username and password and starts a session. It returns
// the session and its token, which is handed to the client and never
// stored. remote is the client's address: failures are throttled per
// address and per username. A refused attempt is ErrSignInFailed, or a
// *ThrottledError when it was not even checked.
func (s *Sessions) SignIn(ctx context.Context, username, password, remote string) (Session, string, error) {
	keys := []string{"ip:" + remote, "user:" + strings.ToLower(username)}
	if wait := s.throttle.wait(keys...); wait > 0 {
		return Session{}, "", &ThrottledError{Wait: wait}
	}
	ok := false
	if username != "" && password != "" && len(password) <= MaxPassword && len(username) <= 200 {
		u, err := s.cfg.Store.UserGet(ctx, username)
		switch {
		case err == nil:
			ok = CheckPassword(u.PasswordHash, password)
		case webhook.ErrorCode(err) == webhook.ENOTFOUND:
			CheckPassword(dummyHash(), password) // same time as a wrong password
		default:
			return Session{}, "", err
		}
	}
	if !ok {
		s.throttle.fail(keys...)
		return Session{}, "", ErrSignInFailed
	}
	s.throttle.succeed(keys...)
	token := newSessionToken()
	now := s.cfg.Now().UTC()
	se := Session{
		ID: webhook.NewID(PrefixSession), Username: username,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.TTL),
	}
	if err := s.cfg.Store.SessionCreate(ctx, se, Hash(token)); err != nil {
		return Session{}, "", err
	}
	return se, token, nil
}

// Lookup returns the live session of a token, or ErrNoSession. An expired
// session is deleted on the way.
func (s *Sessions) Lookup(ctx context.Context, token string) (Session, error) {
	// Longer than any token issued: not worth a lookup.
	if token == "" || len(token) > 100 {
		return Session{}, ErrNoSession
	}
	hash := Hash(token)
	se, err := s.cfg.Store.SessionGet(ctx, hash)
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		return Session{}, ErrNoSession
	case err != nil:
		return Session{}, err
	}
	if !s.cfg.Now().Before(se.ExpiresAt) {
		if err := s.cfg.Store.SessionDelete(ctx, hash); err != nil {
			return Session{}, fmt.Errorf("deleting an expired session: %w", err)
		}
		return Session{}, ErrNoSession
	}
	return se, nil
}

// SignOut ends the session of a token; an unknown token is no error.
func (s *Sessions) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.cfg.Store.SessionDelete(ctx, Hash(token))
}

func newSessionToken() string {
	var b [32]byte // 256 bits
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

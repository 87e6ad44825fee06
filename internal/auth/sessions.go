package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/webhook"
)

// PrefixSession starts every session's ID.
const PrefixSession = "ses_"

// Session is a signed-in dashboard session; only the token's hash is stored.
type Session struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	// Role is the user's role when the session was read (the stores join
	// it), so that a role change applies to the next request.
	Role      Role      `json:"role"`
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
	// UserSetPassword and SessionDeleteUser change a user's own password
	// (ChangePassword).
	UserSetPassword(ctx context.Context, username, hash string, now time.Time) error
	SessionDeleteUser(ctx context.Context, username string) error
	// AuditAdd records every failed sign-in.
	audit.Store
}

// ErrSignInFailed is the one answer to an unknown user or a wrong
// password: which of them it was is not revealed.
var ErrSignInFailed = &webhook.Error{Code: webhook.EUNAUTHORIZED, Message: "wrong username or password"}

// ErrNoSession is the answer to a missing, unknown or expired session
// token.
var ErrNoSession = &webhook.Error{Code: webhook.EUNAUTHORIZED, Message: "not signed in"}

// SignInFailure is the error of a sign-in that was checked and failed; it
// is (errors.Is) ErrSignInFailed.
type SignInFailure struct {
	// Target names the account for logs and the audit log: its ID when it
	// exists, "unknown" when not. Never the typed name of an account
	// that does not exist: that is often a password typed in the wrong
	// field.
	Target string
}

func (e *SignInFailure) Error() string { return ErrSignInFailed.Error() }

// Unwrap makes a failure ErrSignInFailed for errors.Is and its code for
// webhook.ErrorCode.
func (e *SignInFailure) Unwrap() error { return ErrSignInFailed }

// UnknownAccount is the audit target of a failed sign-in to an account
// that does not exist.
const UnknownAccount = "unknown"

// ThrottledError refuses a sign-in attempt before the password is
// checked: after too many failures, or while every password check slot is
// taken (Busy).
type ThrottledError struct {
	// Wait is how long until the next attempt is considered.
	Wait time.Duration
	// Busy: the attempt was refused because as many passwords as allowed
	// were being checked at that moment, not because of failures.
	Busy bool
}

func (e *ThrottledError) Error() string {
	if e.Busy {
		return "too many sign-ins at once; try again in a moment"
	}
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.Wait.Round(time.Second))
}

// SessionsConfig configures Sessions.
type SessionsConfig struct {
	Store SessionStore
	// TTL is how long a sign-in lasts. Default 12h.
	TTL time.Duration
	// MaxChecking bounds the password checks running at once (each costs
	// about 100 ms of a core); an attempt beyond it is refused at once
	// with a Busy *ThrottledError. Default: half the CPUs, at least one.
	MaxChecking int
	Now         func() time.Time
	// HashPassword hashes a changed password; default HashPassword.
	HashPassword func(string) (string, error)
}

// Sessions signs users in with their password and recognises them
// afterwards by a session token. A token is 256 random bits; only its
// SHA-256 (Hash) is stored, so a copy of the database signs no one in.
type Sessions struct {
	cfg      SessionsConfig
	throttle *throttle
	checking chan struct{} // a slot per password check running
	recorder *audit.Recorder
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
	if cfg.HashPassword == nil {
		cfg.HashPassword = HashPassword
	}
	if cfg.MaxChecking <= 0 {
		cfg.MaxChecking = max(1, runtime.NumCPU()/2)
	}
	return &Sessions{cfg: cfg, throttle: newThrottle(cfg.Now), checking: make(chan struct{}, cfg.MaxChecking),
		recorder: audit.NewRecorder(cfg.Store, cfg.Now, nil)}
}

// SignIn checks a username and password and starts a session. It returns
// the session and its token, which is handed to the client and never
// stored. remote is the client's address: attempts are throttled per
// address and per account (see throttle.go), and reserved before the
// password is checked. A refused attempt is a *SignInFailure
// (ErrSignInFailed), recorded in the audit log as user.sign_in_failed by
// the client address, or a *ThrottledError when it was not even checked.
func (s *Sessions) SignIn(ctx context.Context, username, password, remote string) (Session, string, error) {
	u, ok, err := s.throttledCheck(ctx, username, password, remote)
	if err != nil {
		return Session{}, "", err
	}
	if !ok {
		target := UnknownAccount
		if u.Username != "" {
			target = u.Username
		}
		s.recorder.Record(ctx, audit.Entry{Actor: "address:" + remote, Action: "user.sign_in_failed", Target: target})
		return Session{}, "", &SignInFailure{Target: target}
	}
	return s.Start(ctx, u)
}

// Start begins a session for u, whose credentials were checked by the
// caller (SignIn, an accepted invitation, a changed password).
func (s *Sessions) Start(ctx context.Context, u User) (Session, string, error) {
	token := newSessionToken()
	now := s.cfg.Now().UTC()
	se := Session{
		ID: webhook.NewID(PrefixSession), Username: u.Username, Role: u.Role,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.TTL),
	}
	if err := s.cfg.Store.SessionCreate(ctx, se, Hash(token)); err != nil {
		return Session{}, "", err
	}
	return se, token, nil
}

// ChangePassword changes a signed-in user's own password when current is
// right, ends every session of the account and starts a new one for the
// caller. Checking current counts as a sign-in attempt (throttled and
// audited the same way), so a session left open is no way to guess the
// password. Bad input is a field error of current_password or password.
func (s *Sessions) ChangePassword(ctx context.Context, username, current, password, remote string) (Session, string, error) {
	if err := CheckPasswordPolicy(password); err != nil {
		return Session{}, "", err
	}
	u, ok, err := s.throttledCheck(ctx, username, current, remote)
	if err != nil {
		return Session{}, "", err
	}
	if !ok {
		s.recorder.Record(ctx, audit.Entry{Actor: "address:" + remote, Action: "user.sign_in_failed",
			Target: username, Detail: "wrong current password when changing it"})
		return Session{}, "", webhook.FieldError(webhook.EUNPROCESSABLE, "current_password", "is not your current password")
	}
	hash, err := s.cfg.HashPassword(password)
	if err != nil {
		return Session{}, "", err
	}
	if err := s.cfg.Store.UserSetPassword(ctx, u.Username, hash, s.cfg.Now().UTC()); err != nil {
		return Session{}, "", err
	}
	if err := s.cfg.Store.SessionDeleteUser(ctx, u.Username); err != nil {
		return Session{}, "", err
	}
	s.recorder.Record(ctx, audit.Entry{Actor: UserPrincipal(u.Username, u.Role).Actor(), Action: "user.password_change",
		Target: u.Username})
	return s.Start(ctx, u)
}

// check looks the account up and checks the password; u is the account
// when it exists (zero when not), ok whether the password is right. An
// unknown account costs a check against a dummy hash, so it takes as long
// as a wrong password.
// throttledCheck checks a password as a sign-in attempt: reserved with the
// throttle before the slow hash (a refusal is its error), hashed within
// the concurrency bound, then settled as a success or a failure, or given
// back when storage failed.
func (s *Sessions) throttledCheck(ctx context.Context, username, password, remote string) (User, bool, error) {
	res, refused := s.throttle.reserve(remote, strings.ToLower(username))
	if refused != nil {
		return User{}, false, refused
	}
	select {
	case s.checking <- struct{}{}:
	default:
		s.throttle.refund(res)
		return User{}, false, &ThrottledError{Wait: busyWait, Busy: true}
	}
	u, ok, err := s.check(ctx, username, password)
	<-s.checking
	if err != nil {
		s.throttle.refund(res)
		return User{}, false, err
	}
	s.throttle.settle(res, ok)
	return u, ok, nil
}

func (s *Sessions) check(ctx context.Context, username, password string) (u User, ok bool, err error) {
	if username == "" || password == "" || len(password) > MaxPassword || len(username) > 200 {
		return User{}, false, nil
	}
	u, err = s.cfg.Store.UserGet(ctx, username)
	if lower := strings.ToLower(username); webhook.ErrorCode(err) == webhook.ENOTFOUND && lower != username {
		// Usernames are made lower case; the typed one need not be.
		u, err = s.cfg.Store.UserGet(ctx, lower)
	}
	switch {
	case err == nil:
		return u, CheckPassword(u.PasswordHash, password), nil
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		CheckPassword(dummyHash(), password)
		return User{}, false, nil
	}
	return User{}, false, err
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

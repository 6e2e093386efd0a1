package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// Session is a signed-in user's session on one organisation's behalf. It
// never holds the token: only its holder knows it.
type Session struct {
	// ID identifies the session in logs and lists; unlike the token it grants
	// nothing.
	ID             string
	UserID         string
	OrganisationID string
	CreatedAt      time.Time
	// Credential identifies the password the session was opened with (its
	// credential generation); the caller compares it with the account's
	// current one on every request, so a password change ends sessions
	// opened with the old password, even one opened while the change was
	// being made (R-AUTH-6).
	Credential string
	// LastSeenAt is the last time the session was used, to within
	// touchInterval of the idle timeout; the idle timeout counts from it.
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session, however active it is.
	ExpiresAt time.Time
}

// SessionConfig sets how long sessions last. Zero fields take the defaults
// of DefaultSessionConfig.
type SessionConfig struct {
	// IdleTimeout ends a session not used for this long; default 30 minutes.
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after it began, however
	// active; default 12 hours, about one working day.
	AbsoluteTimeout time.Duration
}

// DefaultSessionConfig returns a 30-minute idle and a 12-hour absolute
// timeout.
func DefaultSessionConfig() SessionConfig {
	return SessionConfig{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour}
}

// withDefaults returns c with every zero or negative field set to its default.
func (c SessionConfig) withDefaults() SessionConfig {
	d := DefaultSessionConfig()
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.AbsoluteTimeout <= 0 {
		c.AbsoluteTimeout = d.AbsoluteTimeout
	}
	return c
}

// SessionStore keeps sessions (R-AUTH-3, R-ORG-3). Tokens are random,
// expire after an idle and an absolute timeout, and end at logout
// (Delete) or when the account is closed or its password changed
// (DeleteForUser). A store never keeps a token, only a hash of it.
//
// It also keeps the sign-in throttle's counters (AttemptStore), so that the
// limits hold across restarts and across every node sharing the store
// (R-AUTH-5).
type SessionStore interface {
	AttemptStore
	// Create starts a session for userID acting for organisationID at now,
	// opened with the password credential names (see Session.Credential),
	// and returns its bearer token, which is shown to the client once and
	// never stored.
	Create(userID, organisationID, credential string, now time.Time) (token string, s Session, err error)
	// Lookup returns the session of token at now and records that it was
	// seen. It fails with domain.Unauthorized if the token is unknown,
	// malformed, idle for longer than the idle timeout or past its absolute
	// expiry, with the same message in every case.
	Lookup(token string, now time.Time) (Session, error)
	// Delete ends the session of token (logout). An unknown token is not an
	// error: the session is over either way.
	Delete(token string) error
	// DeleteForUser ends every session of userID, for account closure and
	// password changes.
	DeleteForUser(userID string) error
	// Purge removes the sessions that have expired by now, and the throttle
	// counters that no longer matter at now, and returns how many sessions
	// it removed.
	Purge(now time.Time) (int, error)
}

const (
	// tokenBytes is the token's entropy: 256 bits, twice the 128 the spec
	// demands, so guessing is hopeless even across many live sessions.
	tokenBytes = 32
	// lastSeenResolution is the most LastSeenAt may lag behind the last use
	// of a session, whatever the idle timeout. Skipping the write for a
	// session seen this recently saves a disk write per request.
	lastSeenResolution = time.Minute
	// touchFraction is the share of the idle timeout LastSeenAt may lag
	// behind: a session used at intervals up to 99% of the idle timeout
	// stays alive, however short the timeout (R-AUTH-3).
	touchFraction = 100
)

// touchInterval is how stale LastSeenAt may get before Lookup writes it:
// a hundredth of the idle timeout, at most lastSeenResolution. The idle
// timeout may then fire that much early, which errs on the safe side, and
// a long timeout costs at most one write a session every few seconds.
func touchInterval(idle time.Duration) time.Duration {
	return min(lastSeenResolution, idle/touchFraction)
}

// errInvalidSession is the one error every failed Lookup returns, so a
// client cannot tell an unknown token from an expired one.
func errInvalidSession() error {
	return domain.Errorf(domain.Unauthorized, "invalid or expired session")
}

// newToken returns a fresh bearer token: tokenBytes from crypto/rand as
// unpadded base64url, safe in headers and cookies.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: reading session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken returns the SHA-256 of token, the only form in which a token is
// stored. A fast hash suffices: the token has 256 bits of entropy, so there
// is no dictionary to search, unlike a password.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// wellFormedToken reports whether token could have come from newToken, so
// garbage is refused without touching the store.
func wellFormedToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

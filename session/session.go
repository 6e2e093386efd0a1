// Package session keeps signed-in users' sessions (R-AUTH-3) and the
// sign-in throttle's attempt counters (R-AUTH-5): the Store contract every
// backend meets, and the token helpers they share. The backends are
// session/sqlite (a file in the data directory) and session/postgres
// (shared by several API nodes); session/sessiontest is the contract suite
// both run.
package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

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

// Config sets how long sessions last. Zero fields take the defaults
// of DefaultConfig.
type Config struct {
	// IdleTimeout ends a session not used for this long; default 30 minutes.
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after it began, however
	// active; default 12 hours, about one working day.
	AbsoluteTimeout time.Duration
}

// DefaultConfig returns a 30-minute idle and a 12-hour absolute
// timeout.
func DefaultConfig() Config {
	return Config{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour}
}

// WithDefaults returns c with every zero or negative field set to its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.AbsoluteTimeout <= 0 {
		c.AbsoluteTimeout = d.AbsoluteTimeout
	}
	return c
}

// Store keeps sessions (R-AUTH-3, R-ORG-3). Tokens are random,
// expire after an idle and an absolute timeout, and end at logout
// (Delete) or when the account is closed or its password changed
// (DeleteForUser). A store never keeps a token, only a hash of it.
//
// It also keeps the sign-in throttle's counters (AttemptStore), so that the
// limits hold across restarts and across every node sharing the store
// (R-AUTH-5).
type Store interface {
	AttemptStore
	MFAStore
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
	// Peek is Lookup without recording that the session was seen: it
	// reports a live session and when it ends unless used before (EndsAt),
	// so a page can warn of the end without putting it off. Same errors.
	Peek(token string, now time.Time) (s Session, endsAt time.Time, err error)
	// Delete ends the session of token (logout). An unknown token is not an
	// error: the session is over either way.
	Delete(token string) error
	// DeleteForUser ends every session of userID, for account closure and
	// passwords set by someone else.
	DeleteForUser(userID string) error
	// KeepOnly ends every session of userID but the one of token, and
	// records credential as the password that one was opened with: a
	// user's own password change keeps the session that made it and ends
	// every other (R-AUTH-6). If token's session is gone, or is another
	// user's, every session of userID still ends.
	KeepOnly(token, userID, credential string) error
	// LastSignIns returns when each of userIDs last began a session (signed
	// in), as Create recorded it; a user never signed in is absent. It
	// outlives the sessions themselves (logout, expiry, purge), and holds
	// the time alone: nothing about where from or with what.
	LastSignIns(userIDs []string) (map[string]time.Time, error)
	// Purge removes the sessions that have expired by now, and the throttle
	// counters that no longer matter at now, and returns how many sessions
	// it removed.
	Purge(now time.Time) (int, error)
	// Close releases the store's resources.
	Close() error
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

// TouchInterval is how stale LastSeenAt may get before Lookup writes it:
// a hundredth of the idle timeout, at most lastSeenResolution. The idle
// timeout may then fire that much early, which errs on the safe side, and
// a long timeout costs at most one write a session every few seconds.
func TouchInterval(idle time.Duration) time.Duration {
	return min(lastSeenResolution, idle/touchFraction)
}

// EndsAt is when s ends unless used again: idle after it was last seen,
// or at its absolute expiry if that comes first.
func EndsAt(s Session, idle time.Duration) time.Time {
	if end := s.LastSeenAt.Add(idle); end.Before(s.ExpiresAt) {
		return end
	}
	return s.ExpiresAt
}

// ErrInvalid is the one error every failed Lookup returns, so a
// client cannot tell an unknown token from an expired one.
func ErrInvalid() error {
	return domain.Errorf(domain.Unauthorized, "invalid or expired session")
}

// Begin is the session a store's Create is about to record, and its
// token: userID and organisationID are required (an empty one is a
// programming error), times are rounded by round to what the store keeps,
// and the session expires absolute after now. Only HashToken(token) is
// stored.
func Begin(userID, organisationID, credential string, now time.Time, absolute time.Duration,
	round func(time.Time) time.Time) (string, Session, error) {
	if userID == "" || organisationID == "" {
		return "", Session{}, errors.New("session: a session needs a user and an organisation")
	}
	token, err := NewToken()
	if err != nil {
		return "", Session{}, err
	}
	now = round(now)
	return token, Session{ID: uuid.NewString(), UserID: userID, OrganisationID: organisationID, Credential: credential,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: round(now.Add(absolute))}, nil
}

// NewToken returns a fresh bearer token: tokenBytes from crypto/rand as
// unpadded base64url, safe in headers and cookies.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session: reading session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the SHA-256 of token, the only form in which a token is
// stored. A fast hash suffices: the token has 256 bits of entropy, so there
// is no dictionary to search, unlike a password.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// WellFormedToken reports whether token could have come from NewToken, so
// garbage is refused without touching the store.
func WellFormedToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// AttemptCounter is the password-attempt history of one throttle key (an
// account or a client address), as an AttemptStore keeps it. The key is a
// hash, never the username or address itself.
type AttemptCounter struct {
	Key string
	// Attempts counts the attempts of the current window: reserved ones
	// still being checked (Pending) and failed ones.
	Attempts int
	// Pending counts those of Attempts still being checked: reserved and
	// not yet settled as right or wrong. The rest of Attempts failed.
	Pending int
	// PendingUntil is when the latest pending attempt is given up: one
	// not settled by then (its node stopped, or the store could not be
	// reached to settle it) counts as failed. Zero if none is pending.
	PendingUntil time.Time
	// WindowStart is the first attempt of the current window; zero if none.
	WindowStart time.Time
	// LockedUntil ends the current lockout; zero if never locked since the
	// last quiet window.
	LockedUntil time.Time
	// Strikes counts lockouts in a row, which double the next one.
	Strikes int
	// ForgetAfter is when forgetting the counter changes no decision, so a
	// purge may drop it.
	ForgetAfter time.Time
}

// AttemptStore keeps the throttle's counters where every node that shares
// the store, and the node after a restart, sees them (R-AUTH-5).
type AttemptStore interface {
	// UpdateAttempts calls update with the counters of keys, in the order
	// given (a key never seen has a zero counter with Key set), and stores
	// the counters update returns, all atomically: no other UpdateAttempts
	// touching any of the keys, on any node, runs between the read and the
	// write. update may be called more than once if the store retries. It
	// returns update's counters as stored. Errors: domain.Unavailable when a
	// shared store cannot be reached; otherwise unclassified (internal).
	UpdateAttempts(keys []string, update func([]AttemptCounter) []AttemptCounter) error
}

// AttemptNanos and AttemptTime are zero-time-aware conversions between times and stored Unix nanoseconds:
// the zero time is stored as 0.
func AttemptNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func AttemptTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

package auth

import "time"

// AttemptCounter is the password-attempt history of one throttle key (an
// account or a client address), as an AttemptStore keeps it. The key is a
// hash, never the username or address itself.
type AttemptCounter struct {
	Key string
	// Attempts counts the attempts of the current window: reserved ones
	// still being checked and failed ones.
	Attempts int
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

// zero-time-aware conversions between times and stored Unix nanoseconds:
// the zero time is stored as 0.
func attemptNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func attemptTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

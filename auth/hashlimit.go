package auth

import (
	"runtime"
	"sync"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// HashSlotWait is how long a password check waits for a free hashing slot
// before it is refused as busy.
const HashSlotWait = 2 * time.Second

// busyRetryAfter is the Retry-After of a refusal for want of a slot.
const busyRetryAfter = time.Second

// LimitedHasher is a Hasher that runs at most a fixed number of argon2id
// computations at once, so that a flood of sign-ins cannot exhaust memory
// (each one takes Hasher.Memory) or every CPU (R-AUTH-5). A computation
// that finds no free slot within HashSlotWait is refused with BusyError
// rather than queued without bound. It is safe for concurrent use.
type LimitedHasher struct {
	h     Hasher
	slots chan struct{}
	wait  time.Duration

	mu       sync.Mutex
	inFlight int
	peak     int
}

// NewLimitedHasher returns h limited to n computations at once; n <= 0
// means one per CPU (runtime.NumCPU).
func NewLimitedHasher(h Hasher, n int) *LimitedHasher {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	return &LimitedHasher{h: h, slots: make(chan struct{}, n), wait: HashSlotWait}
}

// Limit returns how many computations may run at once.
func (l *LimitedHasher) Limit() int { return cap(l.slots) }

// InFlight returns how many computations are running now, for a gauge.
func (l *LimitedHasher) InFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inFlight
}

// Peak returns the most computations that have ever run at once.
func (l *LimitedHasher) Peak() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}

// Hash is Hasher.Hash in a slot. Errors: BusyError (domain.Unavailable).
func (l *LimitedHasher) Hash(password string) (string, error) {
	if err := l.acquire(); err != nil {
		return "", err
	}
	defer l.release()
	return l.h.Hash(password)
}

// Verify is Hasher.Verify in a slot. Errors: BusyError
// (domain.Unavailable), and those of Hasher.Verify.
func (l *LimitedHasher) Verify(encoded, password string) (bool, error) {
	if err := l.acquire(); err != nil {
		return false, err
	}
	defer l.release()
	return l.h.Verify(encoded, password)
}

// NeedsRehash is Hasher.NeedsRehash: it computes no hash, so it takes no
// slot.
func (l *LimitedHasher) NeedsRehash(encoded string) bool { return l.h.NeedsRehash(encoded) }

// DummyVerify is Hasher.DummyVerify in a slot, refused exactly as Verify
// is, so an unknown username is indistinguishable from a known one even
// under load (R-AUTH-3). Errors: BusyError (domain.Unavailable).
func (l *LimitedHasher) DummyVerify(password string) error {
	if err := l.acquire(); err != nil {
		return err
	}
	defer l.release()
	l.h.DummyVerify(password)
	return nil
}

func (l *LimitedHasher) acquire() error {
	select {
	case l.slots <- struct{}{}:
	default:
		timer := time.NewTimer(l.wait)
		defer timer.Stop()
		select {
		case l.slots <- struct{}{}:
		case <-timer.C:
			return BusyError{}
		}
	}
	l.mu.Lock()
	l.inFlight++
	l.peak = max(l.peak, l.inFlight)
	l.mu.Unlock()
	return nil
}

func (l *LimitedHasher) release() {
	l.mu.Lock()
	l.inFlight--
	l.mu.Unlock()
	<-l.slots
}

// BusyError refuses a password check for want of a hashing slot: code
// domain.Unavailable (503) with a Retry-After.
type BusyError struct{}

func (BusyError) Error() string { return busyErr.Error() }

// Unwrap returns the domain error, so its code shows through.
func (BusyError) Unwrap() error { return busyErr }

// RetryAfter says how long to wait before trying again.
func (BusyError) RetryAfter() time.Duration { return busyRetryAfter }

var busyErr = &domain.Error{Code: domain.Unavailable, Message: "too many sign-ins are being checked at once; try again in a moment"}

package ledger

import (
	"errors"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
)

// TestThrottledInFlight_AUTH3_AUTH5: a refusal only because attempts are
// being checked at this moment is told apart from a lockout after failed
// attempts, so the pages do not tell people signing in with the right
// password that their attempts failed.
func TestThrottledInFlight_AUTH3_AUTH5(t *testing.T) {
	locked := domain.Errorf(domain.TooManyRequests, "too many failed sign-in attempts; try again later")
	inFlight := throttled(&auth.Refusal{RetryAfter: time.Second, InFlight: true}, locked)
	failed := throttled(&auth.Refusal{RetryAfter: 15 * time.Minute}, locked)
	if !ThrottledInFlight(inFlight) {
		t.Error("a refusal while attempts are in flight is not told apart")
	}
	if ThrottledInFlight(failed) || ThrottledInFlight(locked) || ThrottledInFlight(errors.New("other")) {
		t.Error("a lockout after failures is taken for attempts in flight")
	}
	var r *RetryError
	if !errors.As(inFlight, &r) || r.After != time.Second {
		t.Errorf("in flight: %v, want a RetryError after 1s", inFlight)
	}
}

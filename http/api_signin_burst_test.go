package http

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// wantRightPasswordBurst fails tb unless every answer of a burst of right
// passwords is a session (201), a refusal for a moment while other
// attempts are checked (429 with Retry-After of a second, saying so, not
// "failed"), or 503 with Retry-After when no hashing slot came free.
func wantRightPasswordBurst(tb testing.TB, answers []*response) (signedIn, refused int) {
	tb.Helper()
	for _, r := range answers {
		switch r.Status {
		case http.StatusCreated:
			signedIn++
		case http.StatusTooManyRequests:
			refused++
			p := r.problem(tb, http.StatusTooManyRequests)
			if secs := wantRetryAfter(tb, r); secs != 1 {
				tb.Errorf("a right password in a burst refused with Retry-After %d s, want 1: a lockout", secs)
			}
			if strings.Contains(p.Detail, "failed") {
				tb.Errorf("a right password in a burst refused as failed: %q", p.Detail)
			}
		case http.StatusServiceUnavailable:
			r.problem(tb, http.StatusServiceUnavailable)
			wantRetryAfter(tb, r)
		default:
			tb.Fatalf("status %d: %s", r.Status, r.Body)
		}
	}
	return signedIn, refused
}

// TestRightPasswordBurstLocksNoAccount_AUTH5_AUTH3 proves R-AUTH-5 within
// R-AUTH-3: sign-ins are counted before the password is checked, so of
// twelve right sign-ins to one account at once some may be refused for a
// moment while five are being checked, but right passwords are no failed
// logins and lock nothing: the next sign-in succeeds.
func TestRightPasswordBurstLocksNoAccount_AUTH5_AUTH3(t *testing.T) {
	n := newNetwork(t)
	user := func(int) string { return "adviser.a" }
	answers := n.signInBurst(t, 12, user, func(int) string { return testUserPassword })
	if signedIn, _ := wantRightPasswordBurst(t, answers); signedIn == 0 {
		t.Fatal("no sign-in of the burst succeeded")
	}
	want(t, n.signInAttempt(t, "adviser.a", testUserPassword), http.StatusCreated)
	// The account's failures are counted as before: five wrong passwords
	// lock it, for the first lockout's length.
	for i := range 5 {
		n.signInAttempt(t, "adviser.a", fmt.Sprintf("Wr0ng-Guess#%d", i)).problem(t, http.StatusUnauthorized)
	}
	r := n.signInAttempt(t, "adviser.a", testUserPassword)
	r.problem(t, http.StatusTooManyRequests)
	if secs := wantRetryAfter(t, r); secs != 15*60 {
		t.Fatalf("locked for %d s after five failures, want 900", secs)
	}
}

// TestRightPasswordBurstLocksNoAddress_AUTH5_AUTH3: thirty people of one
// office, behind one address, signing in at once with their right
// passwords are refused at most for a moment (the address's limit is 20
// attempts being checked or failed), and the address stays open to the
// next.
func TestRightPasswordBurstLocksNoAddress_AUTH5_AUTH3(t *testing.T) {
	n := newNetwork(t)
	for i := range 30 {
		n.addUser(t, n.OrgA, fmt.Sprintf("office.%d", i), domain.RoleAdviser)
	}
	answers := n.signInBurst(t, 30, func(i int) string { return fmt.Sprintf("office.%d", i) },
		func(int) string { return testUserPassword })
	if signedIn, _ := wantRightPasswordBurst(t, answers); signedIn == 0 {
		t.Fatal("no sign-in of the burst succeeded")
	}
	want(t, n.signInAttempt(t, "adviser.b", testUserPassword), http.StatusCreated)
}

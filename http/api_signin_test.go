package http

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

// signInBurst posts n sign-ins at once, password(i) for the i-th, and
// returns the answers.
func (a *testAPI) signInBurst(tb testing.TB, n int, username func(i int) string, password func(i int) string) []*response {
	tb.Helper()
	out := make([]*response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := a.doAsync(http.MethodPost, "/v1/sessions", "", map[string]string{"username": username(i), "password": password(i)})
			if err != nil {
				tb.Errorf("sign-in %d: %v", i, err)
				return
			}
			out[i] = r
		})
	}
	wg.Wait()
	if tb.Failed() {
		tb.FailNow()
	}
	return out
}

// wantRetryAfter fails tb unless r carries a positive Retry-After.
func wantRetryAfter(tb testing.TB, r *response) int {
	tb.Helper()
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs <= 0 {
		tb.Fatalf("status %d with Retry-After %q, want a positive number of seconds", r.Status, r.Header.Get("Retry-After"))
	}
	return secs
}

// TestSignInBurstCountedBeforeCheck_AUTH5 proves R-AUTH-5: of 40 guesses
// at one account sent at once, no more than the limit of 5 have their
// password checked; the rest get 429 (or 503 when no hashing slot comes
// free in time, the attempt then given back), with Retry-After. Once five
// have failed, the account is locked: the right password, even in a burst
// of its own, gets 429.
func TestSignInBurstCountedBeforeCheck_AUTH5(t *testing.T) {
	// Enough hashing slots that no guess is given back as busy: exactly
	// the limit are checked, and fail.
	n := newNetwork(t, withHashLimit(40),
		withThrottle(auth.ThrottleConfig{AccountFailures: 5, AddressFailures: 1000, Window: 15 * time.Minute}))
	user := func(int) string { return "adviser.b" }
	answers := n.signInBurst(t, 40, user, func(i int) string { return "Wr0ng-Guess#" + strconv.Itoa(i) })
	checked := 0
	for _, r := range answers {
		switch r.Status {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			r.problem(t, r.Status)
			wantRetryAfter(t, r)
		case http.StatusUnauthorized:
			checked++
		default:
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	}
	if checked != 5 {
		t.Fatalf("%d of 40 concurrent guesses were checked, want the limit of 5", checked)
	}
	// The five failures locked the account.
	for _, r := range n.signInBurst(t, 10, user, func(int) string { return testUserPassword }) {
		r.problem(t, http.StatusTooManyRequests)
		wantRetryAfter(t, r)
	}
}

// TestSignInHashingBounded_AUTH5 proves R-AUTH-5: 200 sign-ins at once
// never have more than the configured number of password hashes computed
// at the same time; those that find no free slot in time get 503 with
// Retry-After, never an unbounded queue. Unknown usernames take the same
// path as known ones (R-AUTH-3).
func TestSignInHashingBounded_AUTH5(t *testing.T) {
	const limit = 2
	a := newTestAPI(t, withHashLimit(limit), withProductionHashing(),
		withThrottle(auth.ThrottleConfig{AccountFailures: 1000, AddressFailures: 100000, Window: 15 * time.Minute}))
	answers := a.signInBurst(t, 200, func(i int) string {
		if i%2 == 0 {
			return ledgerAdmin
		}
		return fmt.Sprintf("nobody.%d", i)
	}, func(i int) string { return "Wr0ng-Guess#" + strconv.Itoa(i) })
	for _, r := range answers {
		switch r.Status {
		case http.StatusUnauthorized:
		case http.StatusServiceUnavailable:
			r.problem(t, http.StatusServiceUnavailable)
			wantRetryAfter(t, r)
		default:
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	}
	if got := a.Hasher.Limit(); got != limit {
		t.Fatalf("hash limit %d, want %d", got, limit)
	}
	if peak := a.Hasher.Peak(); peak > limit || peak < 1 {
		t.Fatalf("at most %d password hashes ran at once, want 1..%d", peak, limit)
	}
	if n := a.Hasher.InFlight(); n != 0 {
		t.Fatalf("%d password hashes still counted in flight after every answer", n)
	}
}

// ledgerAdmin is the bootstrap coordinator's username.
const ledgerAdmin = "admin"

// TestPasswordChangeThrottled_AUTH5 proves R-AUTH-5: checking the current
// password on PUT /v1/users/me/password is an attempt counted beforehand,
// per account, as at sign-in; past the limit even the right one gets 429.
func TestPasswordChangeThrottled_AUTH5(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/users/me/password"
	for i := range 5 {
		n.do(t, http.MethodPut, path, n.AdviserA.Token, map[string]string{
			"current_password": "Wr0ng-Guess#" + strconv.Itoa(i), "new_password": "Fresh-Heron#2027"}).invalid(t, "current_password")
	}
	r := n.do(t, http.MethodPut, path, n.AdviserA.Token, map[string]string{
		"current_password": testUserPassword, "new_password": "Fresh-Heron#2027"})
	r.problem(t, http.StatusTooManyRequests)
	wantRetryAfter(t, r)
	// The same account's sign-in shares the limit: it is the same password.
	n.signInAttempt(t, "adviser.a", testUserPassword).problem(t, http.StatusTooManyRequests)
}

// TestPasswordChangeEndsConcurrentSessions_AUTH6 proves R-AUTH-6: sessions
// opened with the old password while a password change runs do not
// survive it, over several trials; the session that made the change
// does.
func TestPasswordChangeEndsConcurrentSessions_AUTH6(t *testing.T) {
	// Enough hashing slots that no sign-in is refused as busy: every one
	// races the change.
	n := newNetwork(t, withHashLimit(16),
		withThrottle(auth.ThrottleConfig{AccountFailures: 100000, AddressFailures: 100000, Window: time.Minute}))
	passwords := []string{testUserPassword, "Fresh-Heron#2027"}
	user := n.AdviserB
	for trial := range 4 {
		old, next := passwords[trial%2], passwords[(trial+1)%2]
		current := n.signIn(t, user.Username, old)
		tokens := make([]string, 6)
		var wg sync.WaitGroup
		for i := range tokens {
			wg.Go(func() {
				r, err := n.doAsync(http.MethodPost, "/v1/sessions", "", map[string]string{"username": user.Username, "password": old})
				if err == nil && r.Status == http.StatusCreated {
					tokens[i] = r.str("token")
				}
			})
		}
		r, err := n.doAsync(http.MethodPut, "/v1/users/me/password", current, map[string]string{"current_password": old, "new_password": next})
		wg.Wait()
		if err != nil || r.Status != http.StatusNoContent {
			t.Fatalf("trial %d: password change: %v %+v", trial, err, r)
		}
		for _, token := range tokens {
			if token == "" {
				continue
			}
			n.do(t, http.MethodGet, "/v1/directory", token, nil).problem(t, http.StatusUnauthorized)
		}
		want(t, n.do(t, http.MethodGet, "/v1/directory", current, nil), http.StatusOK)
		want(t, n.do(t, http.MethodGet, "/v1/directory", n.signIn(t, user.Username, next), nil), http.StatusOK)
	}
}

// TestPasswordSetBySomeoneElse_AUTH6 proves R-AUTH-6: an account opened by
// an org lead (or the coordinator) signs in with password_change_due, and
// until the password is changed its session may only change it or sign
// out; everything else is 403 saying why.
func TestPasswordSetBySomeoneElse_AUTH6(t *testing.T) {
	n := newNetwork(t)
	for _, by := range []testUser{n.LeadA, n.Admin} {
		username := "new." + by.Username
		want(t, n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", by.Token, map[string]any{
			"username": username, "display_name": "New", "email": "new@example.org",
			"roles": []domain.Role{domain.RoleAdviser}, "password": testInitialPassword}), http.StatusCreated)
		r := want(t, n.signInAttempt(t, username, testInitialPassword), http.StatusCreated)
		if due, _ := r.get("password_change_due").(bool); !due {
			t.Fatalf("password set by %s: password_change_due false: %s", by.Username, r.Body)
		}
		token := r.str("token")
		for _, req := range []struct{ method, path string }{
			{http.MethodGet, "/v1/directory"},
			{http.MethodGet, "/v1/referrals/" + n.Referral},
			{http.MethodPost, "/v1/referrals"},
		} {
			p := n.do(t, req.method, req.path, token, validReferral(n.OrgB, "Ann Example")).problem(t, http.StatusForbidden)
			if p.Detail != "you must change your password before doing anything else" {
				t.Errorf("%s %s: detail %q", req.method, req.path, p.Detail)
			}
		}
		// Signing out is allowed.
		other := n.signIn(t, username, testInitialPassword)
		want(t, n.do(t, http.MethodDelete, "/v1/sessions/current", other, nil), http.StatusNoContent)
		// So is changing the password, after which the account works, in
		// the session that changed it too.
		want(t, n.do(t, http.MethodPut, "/v1/users/me/password", token, map[string]string{
			"current_password": testInitialPassword, "new_password": testUserPassword}), http.StatusNoContent)
		want(t, n.do(t, http.MethodGet, "/v1/directory", token, nil), http.StatusOK)
		r = want(t, n.signInAttempt(t, username, testUserPassword), http.StatusCreated)
		if due, _ := r.get("password_change_due").(bool); due {
			t.Fatalf("password_change_due still true after the change: %s", r.Body)
		}
		want(t, n.do(t, http.MethodGet, "/v1/directory", r.str("token"), nil), http.StatusOK)
	}
}

// TestSessionIdleTimeoutShort_AUTH3 proves R-AUTH-3's idle timeout through
// the API with a 2-second timeout: a session used every half second lives
// until its absolute end; one left alone for longer than 2 s dies.
func TestSessionIdleTimeoutShort_AUTH3(t *testing.T) {
	a := newTestAPI(t, withSessions(session.Config{IdleTimeout: 2 * time.Second, AbsoluteTimeout: 10 * time.Second}))
	token := a.signIn(t, ledgerAdmin, testAdminPassword)
	for i := 1; i < 20; i++ {
		a.Clock.Advance(500 * time.Millisecond)
		want(t, a.do(t, http.MethodGet, "/v1/directory", token, nil), http.StatusOK)
	}
	a.Clock.Advance(500 * time.Millisecond) // 10 s: the absolute end
	a.do(t, http.MethodGet, "/v1/directory", token, nil).problem(t, http.StatusUnauthorized)

	token = a.signIn(t, ledgerAdmin, testAdminPassword)
	a.Clock.Advance(2*time.Second + time.Millisecond)
	a.do(t, http.MethodGet, "/v1/directory", token, nil).problem(t, http.StatusUnauthorized)
}

// TestUnknownUsernameThrottledAlike_AUTH3 proves R-AUTH-3 under R-AUTH-5's
// throttle: guesses at a username that does not exist are counted and
// refused exactly as guesses at one that does, with the same answers.
func TestUnknownUsernameThrottledAlike_AUTH3(t *testing.T) {
	n := newNetwork(t)
	for i := range 6 {
		known := n.signInAttempt(t, "adviser.c", "Wr0ng-Guess#"+strconv.Itoa(i))
		unknown := n.signInAttempt(t, "no.such.user", "Wr0ng-Guess#"+strconv.Itoa(i))
		if known.Status != unknown.Status || known.Header.Get("Retry-After") != unknown.Header.Get("Retry-After") {
			t.Fatalf("attempt %d: known %d (Retry-After %q), unknown %d (Retry-After %q)", i+1,
				known.Status, known.Header.Get("Retry-After"), unknown.Status, unknown.Header.Get("Retry-After"))
		}
		if a, b := known.withoutRequest(t), unknown.withoutRequest(t); a != b {
			t.Fatalf("attempt %d: answers differ:\n %s\n %s", i+1, a, b)
		}
		wantStatus := http.StatusUnauthorized
		if i == 5 {
			wantStatus = http.StatusTooManyRequests
		}
		known.problem(t, wantStatus)
	}
}

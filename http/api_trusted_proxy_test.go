package http

import (
	"net/http"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/config"
)

// TestTrustedProxyBelievedOnlyForForwardedFor_AUTH3 proves the per-address
// sign-in throttle of R-AUTH-3 keys on the address a trusted proxy gives in
// X-Forwarded-For, as http.trusted_proxies documents, and on no other
// header: a client's own X-Real-IP, passed on by the proxy beside an
// X-Forwarded-For that does not parse, gets no fresh address per guess.
func TestTrustedProxyBelievedOnlyForForwardedFor_AUTH3(t *testing.T) {
	a := newTestAPI(t,
		withThrottle(auth.ThrottleConfig{AccountFailures: 100, AddressFailures: 3, Window: 15 * time.Minute}),
		func(c *apiConfig) {
			c.configure = func(conf *config.Config) { conf.HTTP.TrustedProxies = []string{"127.0.0.1", "::1"} }
		})
	guess := func(headers ...string) int {
		t.Helper()
		return a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "nobody", "password": "Wrong#Guess12"}, headers...).Status
	}

	// X-Forwarded-For from the proxy is believed: each client has its own count.
	for i := 0; i < 3; i++ {
		if got := guess("X-Forwarded-For", "198.51.100.7"); got != http.StatusUnauthorized {
			t.Fatalf("guess %d from 198.51.100.7: status %d, want 401", i+1, got)
		}
	}
	if got := guess("X-Forwarded-For", "198.51.100.7"); got != http.StatusTooManyRequests {
		t.Fatalf("fourth guess from 198.51.100.7: status %d, want 429", got)
	}
	if got := guess("X-Forwarded-For", "198.51.100.8"); got != http.StatusUnauthorized {
		t.Fatalf("first guess from 198.51.100.8: status %d, want 401", got)
	}

	// X-Real-IP is not: guesses naming a fresh one each time, with no
	// X-Forwarded-For or one that does not parse, count for the proxy.
	for i, headers := range [][]string{
		{"X-Real-IP", "203.0.113.1"},
		{"X-Real-IP", "203.0.113.2"},
		{"X-Forwarded-For", "unknown", "X-Real-IP", "203.0.113.3"},
		{"X-Forwarded-For", "unknown", "X-Real-IP", "203.0.113.4"},
		{"X-Real-IP", "203.0.113.5"},
	} {
		want := http.StatusUnauthorized
		if i >= 3 {
			want = http.StatusTooManyRequests
		}
		if got := guess(headers...); got != want {
			t.Fatalf("guess %d with %v: status %d, want %d", i+1, headers, got, want)
		}
	}
}

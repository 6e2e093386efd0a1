package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// TestWebSignInStorageFullIsNoWrongPassword_OPS4_UI2: a sign-in the
// service cannot complete (its session cannot be stored: the disk is
// full) is answered on the sign-in page as POST /v1/sessions answers it,
// 507 saying storage is full, and its cause is logged; not as a 401
// beside the username with "An internal error occurred", which reads as
// a wrong username or password. The right password then signs in once
// storage is freed.
func TestWebSignInStorageFullIsNoWrongPassword_OPS4_UI2(t *testing.T) {
	full := &atomic.Bool{}
	a := newTestAPI(t, withWebPages(), withFaults(func(s eventstore.Store) eventstore.Store { return s },
		func(s ledger.Sessions) ledger.Sessions { return faultSessions{Sessions: s, full: full} }))
	b := a.pagesAs(t, "")
	form := url.Values{"username": {"admin"}, "password": {testAdminPassword}, "next": {"/"}}

	full.Store(true)
	a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "admin", "password": testAdminPassword}).
		problem(t, http.StatusInsufficientStorage)
	page := showing(t, b.post("/sign-in", form), http.StatusInsufficientStorage, "storage is full")
	if strings.Contains(page, "internal error") || strings.Contains(page, "username or password") {
		t.Errorf("the page blames the username or password:\n%s", page)
	}
	if !strings.Contains(a.Logs.String(), "/data/sessions.db") {
		t.Errorf("the cause was not logged:\n%s", a.Logs.String())
	}

	full.Store(false)
	if r := b.post("/sign-in", form); r.Status != http.StatusSeeOther {
		t.Fatalf("the right password after storage is freed: %d\n%s", r.Status, r.Body)
	}
}

// TestWebSignInHashingBusy_AUTH5_UI2: sign-ins on the web page share the
// bounded password hashing with the API (R-AUTH-5). One that finds no
// free hashing slot in time answers as POST /v1/sessions does, 503 with
// Retry-After, saying that too many people are signing in at this
// moment; never a 401 that reads as a wrong password. Every other one of
// the burst of wrong passwords is a 401 saying the username or password
// is not right.
func TestWebSignInHashingBusy_AUTH5_UI2(t *testing.T) {
	a := newTestAPI(t, withWebPages(), withHashLimit(1), withProductionHashing(),
		withThrottle(auth.ThrottleConfig{AccountFailures: 1000, AddressFailures: 100000, Window: 15 * time.Minute}))
	const n = 120
	answers := make([]*response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			answers[i] = a.pagesAs(t, "").post("/sign-in", url.Values{"username": {"nobody." + strconv.Itoa(i)},
				"password": {"Wr0ng-Guess#" + strconv.Itoa(i)}, "next": {"/"}})
		})
	}
	wg.Wait()
	busy := 0
	for _, r := range answers {
		switch r.Status {
		case http.StatusUnauthorized:
			showing(t, r, r.Status, "The username or password is not right")
		case http.StatusServiceUnavailable:
			busy++
			showing(t, r, r.Status, "<title>Error: Sign in", `href="#username"`, "Too many people are signing in at this moment")
			wantRetryAfter(t, r)
		default:
			t.Fatalf("status %d:\n%s", r.Status, r.Body)
		}
	}
	t.Logf("%d of %d found no hashing slot in time", busy, n)
}

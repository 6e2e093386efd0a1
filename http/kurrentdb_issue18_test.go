package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// newKurrentDBAPI starts a node (node.Build and this package's router, as
// cmd/ledger builds them) whose service and projections use a KurrentDB
// store on the protocol test double, with organisations A and B and an
// adviser in A.
func newKurrentDBAPI(tb testing.TB) (*testAPI, *kurrentdbtest.Controller, testUser, string) {
	tb.Helper()
	url, ctl := kurrentdbtest.Start(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ks, err := kurrentdb.Open(ctx, url)
	if err != nil {
		tb.Fatalf("kurrentdb.Open: %v", err)
	}
	tb.Cleanup(func() { _ = ks.Close() })
	a := newTestAPI(tb, withFaults(func(eventstore.Store) eventstore.Store { return ks }, nil))
	orgA, orgB := a.registerOrg(tb, "Advice Centre"), a.registerOrg(tb, "Housing Trust")
	ann := a.addUser(tb, orgA, "ann", domain.RoleAdviser)
	return a, ctl, ann, orgB
}

// Issue 18 point 2: a referral whose event is over KurrentDB's maximum
// append size answers 413 problem+json naming the limit, not 503 with a
// promise that retrying is safe; nothing is written.
func TestIssue18OversizedAppendAnswers413NamingTheLimit(t *testing.T) {
	a, ctl, ann, orgB := newKurrentDBAPI(t)
	ctl.SetMaxAppendSize(3000)
	before := len(ctl.All())
	body := validReferral(orgB, "Client Large")
	body["reason"] = strings.Repeat("Needs help with housing. ", 150)
	r := a.do(t, http.MethodPost, "/v1/referrals", ann.Token, body)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("POST /v1/referrals over the store's append limit = %d %s, want 413", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != problemContentType {
		t.Errorf("Content-Type = %q, want %s", ct, problemContentType)
	}
	var p problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem: %v", err)
	}
	if p.Status != http.StatusRequestEntityTooLarge || p.Type != problemTypeBase+string(codeTooLarge) || !strings.Contains(p.Detail, "3000 bytes") {
		t.Errorf("problem = %+v, want payload_too_large naming the 3000 byte limit", p)
	}
	if r.Header.Get("Retry-After") != "" {
		t.Error("a 413 for a change that can never fit carries Retry-After")
	}
	if after := len(ctl.All()); after != before {
		t.Errorf("the refused referral wrote %d events", after-before)
	}
}

// Issue 18 point 4: when the ledger's KurrentDB user loses read on $all,
// /readyz fails naming that cause rather than an outage.
func TestIssue18ReadyzNamesLostAccess(t *testing.T) {
	a, ctl, _, _ := newKurrentDBAPI(t)
	want(t, a.do(t, http.MethodGet, "/readyz", "", nil), http.StatusOK)
	ctl.DenyAll(true)
	r := a.do(t, http.MethodGet, "/readyz", "", nil)
	if r.Status != http.StatusServiceUnavailable || r.str("cause") != "event_store_access_denied" || !strings.Contains(r.str("reason"), "access") {
		t.Fatalf("/readyz with read on $all revoked = %d %s, want 503 naming the lost access", r.Status, r.Body)
	}
	ctl.DenyAll(false)
	want(t, a.do(t, http.MethodGet, "/readyz", "", nil), http.StatusOK)
}

// Issue 18 point 3: /readyz, a list read and an append (a new referral)
// through the HTTP API on KurrentDB with no other application's records,
// and with 1,000,000 of them in the same KurrentDB (written after the
// ledger's, the worst case for reading $all backwards). Compare ns/op of
// foreign=0 with foreign=1000000.
func BenchmarkIssue18SharedCluster(b *testing.B) {
	for _, foreign := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("foreign=%d", foreign), func(b *testing.B) {
			a, ctl, ann, orgB := newKurrentDBAPI(b)
			for i := range 20 {
				a.makeReferral(b, ann.Token, orgB, fmt.Sprintf("Client %d", i))
			}
			if foreign > 0 {
				ctl.SeedForeign("billing-", foreign)
			}
			// The first looks after the burst let the server scan it once,
			// in slices that each /readyz call (2 s deadline) keeps.
			a.waitReadyz(b, http.StatusOK)
			b.Run("readyz", func(b *testing.B) {
				defer recordsPerOp(b, ctl)()
				for b.Loop() {
					want(b, a.do(b, http.MethodGet, "/readyz", "", nil), http.StatusOK)
				}
			})
			b.Run("list", func(b *testing.B) {
				defer recordsPerOp(b, ctl)()
				for b.Loop() {
					want(b, a.do(b, http.MethodGet, "/v1/outbox", ann.Token, nil), http.StatusOK)
				}
			})
			b.Run("append", func(b *testing.B) {
				defer recordsPerOp(b, ctl)()
				i := 0
				for b.Loop() {
					i++
					a.makeReferral(b, ann.Token, orgB, fmt.Sprintf("Bench Client %d", i))
				}
			})
		})
	}
}

// recordsPerOp reports, when the returned function runs, how many records
// the double sent per operation: what the ledger had to receive, which
// does not depend on the machine's load as ns/op does.
func recordsPerOp(b *testing.B, ctl *kurrentdbtest.Controller) func() {
	before := ctl.Sent()
	return func() { b.ReportMetric(float64(ctl.Sent()-before)/float64(b.N), "records/op") }
}

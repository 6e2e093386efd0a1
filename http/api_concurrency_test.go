package http

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// race sends n requests at once and returns their responses, failing the
// test if any could not be sent.
func (a *testAPI) race(tb testing.TB, n int, send func(i int) (*response, error)) []*response {
	tb.Helper()
	out := make([]*response, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i], errs[i] = send(i)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("request %d: %v", i, err)
		}
	}
	return out
}

// TestOptimisticConcurrency proves R-LEDGER-2 through the API: a write
// based on a stale read is refused (412) and a conflicting write is never
// merged (409), while writes that do not conflict all land.
func TestOptimisticConcurrency(t *testing.T) {
	n := newNetwork(t)
	ref := func(id, suffix string) string { return "/v1/referrals/" + id + suffix }

	t.Run("StaleIfMatch", func(t *testing.T) {
		id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Stale")
		r := want(t, n.do(t, http.MethodGet, ref(id, ""), n.AdviserB.Token, nil), http.StatusOK)
		etag := r.Header.Get("ETag")
		if etag != `"0"` {
			t.Fatalf("ETag %q, want \"0\"", etag)
		}
		want(t, n.do(t, http.MethodPost, ref(id, "/notes"), n.AdviserA.Token, map[string]any{"text": "First."}, "If-Match", etag), http.StatusCreated)

		// B still holds revision 0.
		before := n.head(t)
		n.do(t, http.MethodPost, ref(id, "/acknowledgement"), n.AdviserB.Token, map[string]any{}, "If-Match", etag).
			problem(t, http.StatusPreconditionFailed)
		n.do(t, http.MethodPost, ref(id, "/notes"), n.AdviserB.Token, map[string]any{"text": "Late."}, "If-Match", etag).
			problem(t, http.StatusPreconditionFailed)
		if after := n.head(t); after != before {
			t.Fatalf("a refused write appended: head %d → %d", before, after)
		}
		r = want(t, n.do(t, http.MethodGet, ref(id, ""), n.AdviserB.Token, nil), http.StatusOK)
		checkReferral(t, r, map[string]any{"status": "made", "revision": 1.0})

		// A fresh ETag works (weak ones never match: api_ifmatch_test.go).
		want(t, n.do(t, http.MethodPost, ref(id, "/acknowledgement"), n.AdviserB.Token, map[string]any{}, "If-Match", `"1"`), http.StatusOK)
	})

	t.Run("InvalidIfMatch", func(t *testing.T) {
		id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Bad ETag")
		before := n.head(t)
		for _, h := range []string{`"abc"`, `"-1"`, `1 2`, `"1`} {
			p := n.do(t, http.MethodPost, ref(id, "/acknowledgement"), n.AdviserB.Token, map[string]any{}, "If-Match", h).
				problem(t, http.StatusBadRequest)
			if !p.hasField("If-Match") {
				t.Errorf("If-Match %s: problem does not name If-Match: %+v", h, p)
			}
		}
		if after := n.head(t); after != before {
			t.Fatalf("a refused write appended: head %d → %d", before, after)
		}
	})

	t.Run("IfMatchOnOrganisation", func(t *testing.T) {
		r := want(t, n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgA, n.LeadA.Token, nil), http.StatusOK)
		etag := r.Header.Get("ETag")
		want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgA, n.LeadA.Token, map[string]any{"description": "Now open late."}, "If-Match", etag), http.StatusOK)
		n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgA, n.LeadA.Token, map[string]any{"description": "Stale."}, "If-Match", etag).
			problem(t, http.StatusPreconditionFailed)
	})

	t.Run("RacingClosures", func(t *testing.T) {
		for round := range 3 {
			id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Race")
			want(t, n.do(t, http.MethodPost, ref(id, "/acknowledgement"), n.AdviserB.Token, map[string]any{}), http.StatusOK)
			rs := n.race(t, 2, func(i int) (*response, error) {
				return n.doAsync(http.MethodPost, ref(id, "/closure"), n.AdviserB.Token,
					map[string]any{"outcome": []string{"positive", "negative"}[i], "comment": "Closed by racer " + strconv.Itoa(i)})
			})
			statuses := []int{rs[0].Status, rs[1].Status}
			slices.Sort(statuses)
			if statuses[0] != http.StatusOK || statuses[1] != http.StatusConflict {
				t.Fatalf("round %d: statuses %v, want one 200 and one 409; bodies %s / %s", round, statuses, rs[0].Body, rs[1].Body)
			}
			winner := rs[0]
			if winner.Status != http.StatusOK {
				winner = rs[1]
			}
			_, events := n.history(t, n.Auditor.Token, id, "")
			closed := 0
			for _, ev := range events {
				if ev.Type == domain.ReferralClosedType {
					closed++
				}
			}
			if closed != 1 {
				t.Fatalf("round %d: %d closure events, want 1", round, closed)
			}
			r := want(t, n.do(t, http.MethodGet, ref(id, ""), n.AdviserA.Token, nil), http.StatusOK)
			if r.str("outcome") != winner.str("outcome") {
				t.Errorf("round %d: stored outcome %q, the 200 said %q", round, r.str("outcome"), winner.str("outcome"))
			}
		}
	})

	t.Run("ConcurrentNotes", func(t *testing.T) {
		id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Busy")
		const writers = 20
		rs := n.race(t, writers, func(i int) (*response, error) {
			token := n.AdviserA.Token
			if i%2 == 1 {
				token = n.AdviserB.Token
			}
			return n.doAsync(http.MethodPost, ref(id, "/notes"), token, map[string]any{"text": "Note " + strconv.Itoa(i)})
		})
		seen := map[string]bool{}
		for i, r := range rs {
			if r.Status != http.StatusCreated {
				t.Fatalf("note %d: status %d, body %s", i, r.Status, r.Body)
			}
			etag := r.Header.Get("ETag")
			if seen[etag] {
				t.Fatalf("note %d: revision %s given twice", i, etag)
			}
			seen[etag] = true
		}
		_, events := n.history(t, n.Auditor.Token, id, "")
		if len(events) != 1+writers {
			t.Fatalf("%d events, want %d", len(events), 1+writers)
		}
		for i := 1; i <= writers; i++ {
			if !seen[`"`+strconv.Itoa(i)+`"`] {
				t.Errorf("no note got revision %d", i)
			}
		}
	})
}

// TestIdempotencyKey checks API.md's Idempotency-Key on POST
// /v1/referrals: a retry with the same key and body gets the first answer
// and makes nothing new; the same key with another body is 422.
func TestIdempotencyKey(t *testing.T) {
	n := newNetwork(t)
	made := func() int { return n.countEvents(t, domain.ReferralMadeType) }
	start := made()
	body := validReferral(n.OrgB, "Client Retry")

	first := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "retry-1"), http.StatusCreated)
	second := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "retry-1"), http.StatusCreated)
	if string(first.Body) != string(second.Body) || first.str("id") == "" {
		t.Fatalf("retry answered differently:\n first  %s\n second %s", first.Body, second.Body)
	}
	if first.Header.Get("Location") != second.Header.Get("Location") || first.Header.Get("ETag") != second.Header.Get("ETag") {
		t.Errorf("retry headers differ: Location %q/%q ETag %q/%q", first.Header.Get("Location"), second.Header.Get("Location"),
			first.Header.Get("ETag"), second.Header.Get("ETag"))
	}
	if got := made(); got != start+1 {
		t.Fatalf("%d referrals made, want 1", got-start)
	}

	// The same key with a different body.
	other := validReferral(n.OrgB, "Client Retry")
	other["urgent"] = true
	before := n.head(t)
	n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, other, "Idempotency-Key", "retry-1").
		problem(t, http.StatusUnprocessableEntity)
	if after := n.head(t); after != before {
		t.Fatalf("a refused retry appended: head %d → %d", before, after)
	}

	// Without a key, each request makes a referral.
	a := n.makeReferralWith(t, n.AdviserA.Token, body)
	b := n.makeReferralWith(t, n.AdviserA.Token, body)
	if a == b {
		t.Fatalf("two requests without a key made one referral %s", a)
	}
	if got := made(); got != start+3 {
		t.Fatalf("%d referrals made, want 3", got-start)
	}
}

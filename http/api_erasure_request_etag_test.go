package http

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/ledger"
)

// TestErasureRequestCarriesTheETagItsDecisionMatches_LEDGER2_PRIV2: the
// decision on an erasure request compares If-Match with the revision of
// the client's stream, but GET /v1/erasure-requests/{id} gave no ETag, so
// a conditional decision could only guess or send "*" (R-LEDGER-2;
// API.md: resources served from a stream carry ETag). The coordinator,
// who decides it, now reads it with that revision as ETag, on HEAD as on
// GET. Sent back, it lets the decision through; once the case has moved
// on (a lock asked for) the ETag read before is stale: 412, nothing
// recorded; the fresh one works. The organisation that passed the request
// on, which cannot decide it, gets no ETag: the revision moves with case
// events it may not learn of (R-LOCK-12).
func TestErasureRequestCarriesTheETagItsDecisionMatches_LEDGER2_PRIV2(t *testing.T) {
	n := newLockNet(t)
	request := want(t, n.requestErasure(t, n.AdviserB.Token, n.Client, "The client asked us to."), http.StatusCreated).str("id")
	path := "/v1/erasure-requests/" + request

	got := want(t, n.do(t, http.MethodGet, path, n.Admin.Token, nil), http.StatusOK)
	stale := got.Header.Get("ETag")
	evs, err := n.Store.ReadStream(context.Background(), ledger.ClientStream(uuid.MustParse(n.Client)), 0, 0)
	if err != nil || len(evs) == 0 {
		t.Fatalf("the client's stream: %d events, %v", len(evs), err)
	}
	if at := `"` + strconv.FormatUint(evs[len(evs)-1].Revision, 10) + `"`; stale != at {
		t.Fatalf("GET %s: ETag %q, want the client's stream's revision %s", path, stale, at)
	}
	if head := want(t, n.do(t, http.MethodHead, path, n.Admin.Token, nil), http.StatusOK).Header.Get("ETag"); head != stale {
		t.Fatalf("HEAD %s: ETag %q, GET %q", path, head, stale)
	}
	if e := want(t, n.do(t, http.MethodGet, path, n.AdviserB.Token, nil), http.StatusOK).Header.Get("ETag"); e != "" {
		t.Fatalf("GET %s by the adviser who passed it on: ETag %q", path, e)
	}

	n.requestLockOn(t, n.Client, nil) // the case moves on
	fresh := want(t, n.do(t, http.MethodGet, path, n.Admin.Token, nil), http.StatusOK).Header.Get("ETag")
	if fresh == "" || fresh == stale {
		t.Fatalf("ETag after the case moved on: %q (before: %q)", fresh, stale)
	}
	decision := map[string]any{"carry_out": false, "reason": "A legal hold."}
	before := n.head(t)
	n.do(t, http.MethodPost, path+"/decision", n.Admin.Token, decision, "If-Match", stale).problem(t, http.StatusPreconditionFailed)
	if after := n.head(t); after != before {
		t.Fatalf("a decision with a stale ETag recorded something: head %d → %d", before, after)
	}
	r := want(t, n.do(t, http.MethodPost, path+"/decision", n.Admin.Token, decision, "If-Match", fresh), http.StatusOK)
	if r.str("status") != "refused" {
		t.Fatalf("decision answered %s", r.Body)
	}
}

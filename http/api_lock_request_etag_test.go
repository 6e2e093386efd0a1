package http

import (
	"net/http"
	"testing"
)

// TestLockRequestCarriesTheETagItsWritesMatch_LEDGER2_LOCK10: a lock
// request is read from its client's stream, so GET /v1/lock-requests/{id}
// carries that stream's revision as its ETag, the one its withdrawal and
// decision compare If-Match with (R-LEDGER-2; API.md: resources served
// from a stream carry ETag). Sent back, it lets the withdrawal through;
// once the case has moved on (a request withdrawn, another made) the
// ETag read before is stale: 412, nothing recorded; the fresh one works.
func TestLockRequestCarriesTheETagItsWritesMatch_LEDGER2_LOCK10(t *testing.T) {
	n := newLockNet(t)
	first := n.requestLockOn(t, n.Client, nil)
	got := want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+first, n.TeamManager.Token, nil), http.StatusOK)
	stale := got.Header.Get("ETag")
	if stale == "" {
		t.Fatalf("GET /v1/lock-requests/{id} carries no ETag")
	}
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+first+"/withdrawal", n.TeamManager.Token,
		map[string]any{"reason": "asked on the wrong case"}, "If-Match", stale), http.StatusOK)

	second := n.requestLockOn(t, n.Client, nil)
	fresh := want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+second, n.ServiceManager.Token, nil), http.StatusOK).Header.Get("ETag")
	if fresh == "" || fresh == stale {
		t.Fatalf("ETag after the case moved on: %q (before: %q)", fresh, stale)
	}
	before := n.head(t)
	n.do(t, http.MethodPost, "/v1/lock-requests/"+second+"/withdrawal", n.TeamManager.Token,
		map[string]any{"reason": "not needed"}, "If-Match", stale).problem(t, http.StatusPreconditionFailed)
	n.do(t, http.MethodPost, "/v1/lock-requests/"+second+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}, "If-Match", stale).problem(t, http.StatusPreconditionFailed)
	if after := n.head(t); after != before {
		t.Fatalf("a write with a stale ETag recorded something: head %d → %d", before, after)
	}
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+second+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}, "If-Match", fresh), http.StatusOK)
}

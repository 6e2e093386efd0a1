package http

import (
	"net/http"
	"testing"
)

// TestIdempotencyKeyReusedNamesTheKey_OPS1: an Idempotency-Key sent again
// with a different body is refused with 422 (API.md), but the problem named
// no field, unlike every other 422 and unlike the 400 of a malformed key,
// so a client reading errors could not tell what to change. It names
// Idempotency-Key, and nothing is written.
func TestIdempotencyKeyReusedNamesTheKey_OPS1(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/referrals/" + n.Referral + "/notes"
	want(t, n.do(t, http.MethodPost, path, n.AdviserA.Token, map[string]any{"text": "Called the client."}, "Idempotency-Key", "note-1"), http.StatusCreated)
	before := n.head(t)
	p := n.do(t, http.MethodPost, path, n.AdviserA.Token, map[string]any{"text": "Called again."}, "Idempotency-Key", "note-1").
		problem(t, http.StatusUnprocessableEntity)
	if !p.hasField("Idempotency-Key") {
		t.Errorf("the 422 of a reused key does not name Idempotency-Key: %+v", p)
	}
	if after := n.head(t); after != before {
		t.Errorf("a refused request wrote to the ledger (head %v, then %v)", before, after)
	}
}

package http

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/ledger"
)

// TestRetentionSparesACaseHeldForASeriousCaseReview_PRIV5_LOCK6: the
// retention rule shreds no client whose case is locked for a serious case
// review, or asked to be, until the review is recorded complete: the case
// is kept until the review's outcome is known. A case merely locked is
// shredded as any other.
func TestRetentionSparesACaseHeldForASeriousCaseReview_PRIV5_LOCK6(t *testing.T) {
	n := newLockNet(t)
	client := uuid.MustParse(n.Client)
	shred := func(t *testing.T) (int, error) {
		t.Helper()
		return n.Server.Service.ShredAll(context.Background(), []uuid.UUID{client}, n.KeyStore)
	}
	erased := func(t *testing.T) bool {
		t.Helper()
		return want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK).get("erased") == true
	}

	// Asked for: the request alone holds the case.
	body := map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "a serious case review",
		"allow": []map[string]any{}, "deny": []map[string]any{}, "serious_case_review": true}
	req := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token, body), http.StatusCreated)
	if got, err := shred(t); got != 0 || err != nil || erased(t) {
		t.Fatalf("retention of a case asked to be locked for a serious case review: shredded %d, %v", got, err)
	}
	if _, err := n.Server.Service.ShredForRetention(context.Background(), client, n.KeyStore); !errors.Is(err, ledger.ErrHeldForReview) {
		t.Fatalf("ShredForRetention = %v, want ErrHeldForReview", err)
	}

	// Locked for the review: still held.
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+req.str("id")+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}), http.StatusOK)
	if got, err := shred(t); got != 0 || err != nil || erased(t) {
		t.Fatalf("retention of a case locked for a serious case review: shredded %d, %v", got, err)
	}

	// The review recorded complete: the case is still locked, and no
	// longer held.
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/serious-case-review-completion", n.ServiceManager.Token,
		map[string]any{}), http.StatusOK)
	if got, err := shred(t); got != 1 || err != nil || !erased(t) {
		t.Fatalf("retention after the review: shredded %d, %v", got, err)
	}
}

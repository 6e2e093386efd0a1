package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestMonthlyReviewUnlockUndecidable_LOCK6_LOCK10 (R-LOCK-5, R-LOCK-6,
// R-LOCK-10): a monthly review that does not keep the lock asks for it to
// be lifted, and that unlock request needs a service manager to decide it
// as much as one asked for directly. When the lock refuses the
// organisation's only service manager (moved into a team its deny list
// names), nobody could ever decide it: the review is refused with 409 in
// plain words, from the API (problem+json naming keep_locked) and the
// review page (the error summary linking to the choice), and nothing is
// recorded, as POST /v1/clients/{id}/unlock-requests refuses it. Keeping
// the lock is still recorded; once a service manager could decide the
// unlock, the same review asks for it.
func TestMonthlyReviewUnlockUndecidable_LOCK6_LOCK10(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, map[string]any{"deny": []map[string]any{{"team": "family"}}})
	sm := "/v1/organisations/" + n.OrgB + "/users/" + n.ServiceManager.ID
	path := "/v1/clients/" + n.Client + "/lock-reviews"
	lift := map[string]any{"keep_locked": false, "notes": "The risk has passed."}

	// The form, opened while a service manager could still decide it.
	tess := n.web(t, n.TeamManager)
	review := "/locked-cases/" + n.Client + "/review"
	form := tess.get(review).body

	// The only service manager moved into the team the deny list refuses.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"team": "family"}), http.StatusOK)
	before, requested := n.head(t), n.countEvents(t, domain.UnlockRequestedType)
	p := n.do(t, http.MethodPost, path, n.TeamManager.Token, lift).problem(t, http.StatusConflict)
	if !strings.Contains(p.Detail, "service manager") {
		t.Errorf("refusal %q does not say no service manager could decide the unlock", p.Detail)
	}
	if !p.hasField("keep_locked") {
		t.Errorf("refusal does not name keep_locked: %+v", p)
	}
	page := tess.post(review, formOf(t, form, review, url.Values{"keep-locked": {"no"}, "review-notes": {"The risk has passed."}}))
	wantPage(t, page, http.StatusConflict, `class="error-summary"`, `href="#keep-locked"`, `id="keep-locked-error"`, "service manager")
	if after := n.head(t); after != before {
		t.Fatalf("refused reviews recorded something: head %d → %d", before, after)
	}

	// Keeping it locked needs nobody to decide anything.
	want(t, n.do(t, http.MethodPost, path, n.TeamManager.Token, map[string]any{"keep_locked": true, "notes": "Still needed."}), http.StatusCreated)
	if got := n.countEvents(t, domain.UnlockRequestedType); got != requested {
		t.Fatalf("%d unlock requests recorded, was %d", got, requested)
	}

	// With the service manager out of that team, the review asks for the unlock.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"team": ""}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, path, n.TeamManager.Token, lift), http.StatusCreated)
	if got := n.countEvents(t, domain.UnlockRequestedType); got != requested+1 {
		t.Fatalf("%d unlock requests recorded, want %d", got, requested+1)
	}
}

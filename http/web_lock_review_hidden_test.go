package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestReviewFormSentWithoutChoiceTellsNothing_LOCK12_LOCK5 (R-LOCK-5,
// R-LOCK-12): the review form sent without choosing whether the case stays
// locked was answered with the form again, 422, before the ledger was
// asked who may review the case: a team manager the hidden lock denies, or
// one of another organisation, who posted to /locked-cases/{client}/review
// was shown the case's referral reference and its review due date, where
// a made-up client id shows neither. The missing choice is now named only
// after the checks of who may review it, as the API's review answers: those
// the lock keeps out get the page for a client that does not exist, as the
// review page itself answers; nothing is recorded; the team manager who
// reviews it still gets the form back with the mistake named.
func TestReviewFormSentWithoutChoiceTellsNothing_LOCK12_LOCK5(t *testing.T) {
	n := newLockNet(t, withWebPages())
	denied := n.addUser(t, n.OrgB, "manager2.b", domain.RoleTeamManager)
	otherOrg := n.addUser(t, n.OrgA, "manager.a", domain.RoleTeamManager)
	n.lock(t, n.Client, map[string]any{"hide_notification": true, "deny": []map[string]any{{"user_id": denied.ID}}})
	reference := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK).str("reference")
	unknown := uuid.NewString()
	form := url.Values{"review-notes": {"checked"}}

	before := n.head(t)
	for _, u := range []testUser{denied, otherOrg} {
		w := n.web(t, u)
		real, none := w.post("/locked-cases/"+n.Client+"/review", form), w.post("/locked-cases/"+unknown+"/review", form)
		if real.status != http.StatusNotFound || none.status != http.StatusNotFound {
			t.Errorf("%s: the review sent without a choice answered %d, for a made-up client %d, want 404 both", u.Username, real.status, none.status)
		}
		if strings.Contains(real.body, reference) || strings.Contains(real.body, "Review due") {
			t.Errorf("%s: the answer tells of the hidden lock:\n%s", u.Username, real.body)
		}
	}
	if after := n.head(t); after != before {
		t.Fatalf("refused reviews recorded something: head %d → %d", before, after)
	}
	p := n.web(t, n.TeamManager).post("/locked-cases/"+n.Client+"/review", form)
	wantPage(t, p, http.StatusUnprocessableEntity, "Choose whether the case stays locked", "checked")
	if after := n.head(t); after != before {
		t.Fatalf("a review without a choice recorded something: head %d → %d", before, after)
	}
}

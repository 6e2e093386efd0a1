package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebMakeReferralOnlyForThoseWhoRefer_REF1: the make-a-referral form
// is refused, as POST /v1/referrals refuses it, to those who do not work
// cases (helpdesk, auditor, system support) before they type a client's
// details into it, not after; and the directory offers "Refer a client"
// only to those who may, and never to their own organisation, to which the
// ledger refuses a referral.
func TestWebMakeReferralOnlyForThoseWhoRefer_REF1(t *testing.T) {
	n := newNetwork(t, withWebPages())
	support := n.addUser(t, n.CoordinatorOrg, "support", domain.RoleSystemSupport)
	for _, u := range []testUser{n.HelpdeskB, n.Auditor, support} {
		w := n.web(t, u)
		wantPage(t, w.get("/make-a-referral"), http.StatusForbidden, "You cannot use this page")
		wantPage(t, w.get("/make-a-referral?to="+n.OrgC), http.StatusForbidden)
		if p := w.get("/directory"); strings.Contains(p.body, "/make-a-referral?to=") {
			t.Errorf("the directory offers %s a referral they may not make:\n%s", u.Username, p.body)
		}
		n.do(t, http.MethodPost, "/v1/referrals", u.Token, map[string]any{"to_organisation_id": n.OrgC}).problem(t, http.StatusForbidden)
	}
	adviser := n.web(t, n.AdviserB)
	wantPage(t, adviser.get("/make-a-referral"), http.StatusOK, "Make a referral")
	p := adviser.get("/directory")
	if !strings.Contains(p.body, "/make-a-referral?to="+n.OrgC) || !strings.Contains(p.body, "/make-a-referral?to="+n.OrgA) {
		t.Errorf("the directory does not offer the adviser the other organisations:\n%s", p.body)
	}
	if strings.Contains(p.body, "/make-a-referral?to="+n.OrgB) {
		t.Errorf("the directory offers the adviser a referral to their own organisation:\n%s", p.body)
	}
}

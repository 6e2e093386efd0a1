package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebErasureRequestNamesNoReferralTheLockHides_LOCK2_LOCK12_UI2: the
// coordinator's erasure request pages name the client's referrals only as
// the API's lists would show them to the coordinator: a referral of a case
// whose lock keeps the coordinator out is not named, nor linked, so the
// page does not reveal a hidden lock by a reference that then opens as a
// referral that does not exist (R-LOCK-2, R-LOCK-12, R-UI-2).
func TestWebErasureRequestNamesNoReferralTheLockHides_LOCK2_LOCK12_UI2(t *testing.T) {
	n := newLockNet(t, withWebPages())
	ref := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("reference")
	erasure := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/erasure-requests", n.AdviserB.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	admin := n.web(t, n.Admin)
	wantPage(t, admin.get("/erasure-requests/"+erasure), http.StatusOK, ref, "/referrals/"+n.Referral)

	// A hidden lock whose deny list names the coordinator: not even the
	// locked-cases report tells them of it.
	n.lock(t, n.Client, map[string]any{"hide_notification": true, "deny": []map[string]any{{"user_id": n.Admin.ID}}})
	if p := admin.get("/locked-cases"); strings.Contains(p.body, n.Client) {
		t.Fatalf("the locked-cases report lists a case whose lock denies the coordinator")
	}
	// The API shows the coordinator no referral of the case.
	n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.Admin.Token, nil).problem(t, http.StatusNotFound)
	if found, _ := want(t, n.do(t, http.MethodGet, "/v1/referrals?reference="+ref, n.Admin.Token, nil), http.StatusOK).JSON["referrals"].([]any); len(found) != 0 {
		t.Fatalf("the API lists the hidden case's referral to the coordinator: %v", found)
	}
	for _, path := range []string{"/erasure-requests", "/erasure-requests/" + erasure} {
		p := admin.get(path)
		wantPage(t, p, http.StatusOK)
		if strings.Contains(p.body, ref) || strings.Contains(p.body, n.Referral) {
			t.Errorf("%s names the referral of a case whose hidden lock keeps the coordinator out", path)
		}
	}
}

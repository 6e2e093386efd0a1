package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebSeriousCaseReview_LOCK1_LOCK6_LOCK10_UI1: a lock kept for a serious
// case review is asked for, decided and lifted through the pages, as the API
// allows (serious_case_review on the lock request, POST
// /v1/clients/{id}/serious-case-review-completion): the team manager marks
// the request, the deciding service manager sees it, an unlock is refused
// while the review is under way, and a service manager of the lock's
// organisation records the review complete; nobody else is offered that.
func TestWebSeriousCaseReview_LOCK1_LOCK6_LOCK10_UI1(t *testing.T) {
	n := newLocksNetwork(t)
	form := "/clients/" + n.client + "/lock-request"
	wantStatus(t, n.tess.get(form), http.StatusOK, `name="serious-case-review"`, "serious case review")
	p := n.tess.post(form, url.Values{"responsible": {n.ids["ben"]}, "lock-reason": {"Child death review."},
		"serious-case-review": {"yes"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("lock request: %d\n%s", p.status, p.body)
	}
	q := n.queue(t)
	if len(q) != 1 || q[0].(map[string]any)["serious_case_review"] != true {
		t.Fatalf("the request does not carry the serious case review: %v", q)
	}
	decide := "/lock-requests/" + q[0].(map[string]any)["id"].(string)
	wantStatus(t, n.sam.get(decide), http.StatusOK, "Serious case review")
	if p := n.sam.post(decide, url.Values{"decision": {"approve"}, "confirm": {"yes"}}); p.status != http.StatusSeeOther {
		t.Fatalf("approving: %d\n%s", p.status, p.body)
	}

	complete := "/locked-cases/" + n.client + "/serious-case-review"
	wantStatus(t, n.sam.get("/locked-cases"), http.StatusOK, `href="`+complete+`"`)
	if strings.Contains(n.tess.get("/locked-cases").body, `href="`+complete+`"`) {
		t.Errorf("the team manager who asked for the lock is offered to record its review complete")
	}
	for _, b := range []*browser{n.tess, n.ben, n.hal} {
		wantStatus(t, b.get(complete), http.StatusForbidden)
		wantStatus(t, b.post(complete, url.Values{}), http.StatusForbidden)
	}

	// While the review is under way the case cannot be unlocked (R-LOCK-6).
	wantStatus(t, n.tess.follow(n.tess.post("/locked-cases/"+n.client+"/unlock", url.Values{"unlock-reason": {"Done."}})),
		http.StatusOK, "Unlock requested.")
	unlock := "/lock-requests/" + n.queue(t)[0].(map[string]any)["id"].(string)
	wantStatus(t, n.sam.post(unlock, url.Values{"decision": {"approve"}, "confirm": {"yes"}}), http.StatusConflict,
		"serious case review")

	wantStatus(t, n.sam.get(complete), http.StatusOK, "Record the serious case review complete", n.reference)
	p = n.sam.post(complete, url.Values{})
	if p.status != http.StatusSeeOther || p.location != "/locked-cases" {
		t.Fatalf("recording the review complete: %d %q\n%s", p.status, p.location, p.body)
	}
	wantStatus(t, n.sam.follow(p), http.StatusOK, "Serious case review recorded complete.")
	cases := n.must(t, 200, "GET", "/v1/locked-cases", n.samToken, nil)["cases"].([]any)
	if len(cases) != 1 || cases[0].(map[string]any)["serious_case_review"] != false {
		t.Fatalf("the review is not recorded complete: %v", cases)
	}
	// A second time is a conflict, said in plain words; the page is gone.
	wantStatus(t, n.sam.post(complete, url.Values{}), http.StatusConflict, "not locked for a serious case review in progress")
	wantStatus(t, n.sam.get(complete), http.StatusNotFound)
	// Now the unlock can be approved.
	if p := n.sam.post(unlock, url.Values{"decision": {"approve"}, "confirm": {"yes"}}); p.status != http.StatusSeeOther {
		t.Fatalf("unlock after the review: %d\n%s", p.status, p.body)
	}
}

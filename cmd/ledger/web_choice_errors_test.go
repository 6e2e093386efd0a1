package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebChoiceErrorsBeforeConfirming_REF5_REF9_REF10_REF11_UI2: a form
// missing a choice or a required field says so by the field, in the words
// of the form, with what was typed kept, before any "Are you sure?" step:
// nobody is asked to confirm a decline, forward or withdrawal that cannot
// be made. The API's codes ("positive", "not_eligible") never show.
func TestWebChoiceErrorsBeforeConfirming_REF5_REF9_REF10_REF11_UI2(t *testing.T) {
	n := newWebNetwork(t)
	ann := n.browser(t)
	ann.signIn("ann", annPassword, "/")
	made := ann.post("/make-a-referral", validReferralForm(n.orgB, formKeyField.FindStringSubmatch(ann.get("/make-a-referral").body)[1]))
	if made.status != http.StatusSeeOther {
		t.Fatalf("make: %d\n%s", made.status, made.body)
	}
	ref := made.location
	ben := n.browser(t)
	ben.signIn("ben", benPassword, "/")
	id := strings.TrimPrefix(ref, "/referrals/")
	// Acknowledged, as a referral must be before its page offers Close.
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", n.signIn(t, "ben", benPassword), map[string]any{})

	p := ben.post(ref+"/close", url.Values{"comment": {"Housed."}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#outcome"`, "Choose whether the referral was taken forward", "Housed.</textarea>")
	if strings.Contains(p.body, "&#34;positive&#34;") {
		t.Errorf("the close form's error names the API's codes")
	}

	p = ben.post(ref+"/decline", url.Values{"decline-comment": {"Full until spring."}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#decline-reason"`, "Choose why you are declining", "Full until spring.</textarea>")
	if strings.Contains(p.body, "Are you sure") || strings.Contains(p.body, "not_eligible, no_capacity") {
		t.Errorf("an incomplete decline is offered for confirmation, or names the API's codes")
	}
	wantStatus(t, ben.post(ref+"/decline", url.Values{"decline-reason": {"no_capacity"}}), http.StatusUnprocessableEntity,
		`href="#decline-comment"`, `value="no_capacity" checked`)
	wantStatus(t, ben.post(ref+"/forward", url.Values{"forward-comment": {"Better placed."}, "forward-basis": {"verbal"},
		"forward-consent-confirmed": {"yes"}}), http.StatusUnprocessableEntity, `href="#forward-to"`, "Better placed.</textarea>")
	// Nothing chosen or written: every mistake at once, not the organisation's alone.
	wantStatus(t, ben.post(ref+"/forward", url.Values{}), http.StatusUnprocessableEntity,
		`href="#forward-to"`, "Choose the organisation to forward the referral to", `href="#forward-comment"`, `href="#forward-basis"`)
	wantStatus(t, ann.post(ref+"/withdraw", url.Values{}), http.StatusUnprocessableEntity, `href="#withdraw-reason"`)

	// Complete, the confirmation comes; nothing was changed meanwhile.
	wantStatus(t, ben.post(ref+"/decline", url.Values{"decline-reason": {"no_capacity"}, "decline-comment": {"Full until spring."}}),
		http.StatusOK, "Are you sure you want to decline this referral?")
	if r := n.must(t, 200, "GET", "/v1/referrals/"+id, n.signIn(t, "ben", benPassword), nil); r["status"] != "acknowledged" || r["revision"].(float64) != 1 {
		t.Fatalf("a refused form changed the referral: %v %v", r["status"], r["revision"])
	}
}

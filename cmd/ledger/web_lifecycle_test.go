package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// lifecycleReferral makes a referral from the Advice Centre to the Housing
// Trust through the API, as ann, and returns its page's path.
func (n *webNetwork) lifecycleReferral(t *testing.T, ann string) string {
	t.Helper()
	r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB, "urgent": false,
		"client":  map[string]any{"name": "Client Person", "date_of_birth": "1980-03-27"},
		"reason":  "Rent arrears; a notice to quit.",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	return "/referrals/" + r["id"].(string)
}

var revisionField = regexp.MustCompile(`name="revision" value="(\d+)"`)

// TestWebLifecycle works decline, reopen, forward and withdraw through the
// pages alone (R-UI-1): each is offered only to who may take it; decline,
// forward and withdraw ask for confirmation first; the ledger's refusals
// come back beside the fields (a decline without a reason, a forward to an
// organisation whose intake is off, R-REF-4); the forward chain is shown
// both ways (R-REF-9, R-REF-10, R-REF-11, R-REF-12).
func TestWebLifecycle(t *testing.T) {
	n := newWebNetwork(t)
	annToken := n.signIn(t, "ann", annPassword)
	ann, ben := n.browser(t), n.browser(t)
	ann.signIn("ann", annPassword, "/outgoing")
	ben.signIn("ben", benPassword, "/incoming")
	rev := func(b *browser, path string) string {
		t.Helper()
		m := revisionField.FindStringSubmatch(b.get(path).body)
		if m == nil {
			t.Fatalf("%s has no form", path)
		}
		return m[1]
	}

	// Decline (R-REF-9): the receiver is offered it, the referrer is not.
	declined := n.lifecycleReferral(t, annToken)
	p := ben.get(declined)
	wantStatus(t, p, http.StatusOK, "Decline referral", "Forward referral", `id="decline-reason"`)
	if strings.Contains(p.body, "Withdraw referral") {
		t.Error("the receiver is offered to withdraw")
	}
	p = ann.get(declined)
	wantStatus(t, p, http.StatusOK, "Withdraw referral")
	if strings.Contains(p.body, "Decline referral") || strings.Contains(p.body, "Forward referral") {
		t.Error("the referrer is offered to decline or forward")
	}
	form := url.Values{"revision": {rev(ben, declined)}, "decline-reason": {"no_capacity"}, "decline-comment": {"Full until spring."}}
	wantStatus(t, ben.post(declined+"/decline", form), http.StatusOK, "Are you sure you want to decline this referral?",
		`name="confirmed" value="yes"`, "No capacity", "Full until spring.", "No, go back to the referral")
	noReason := url.Values{"confirmed": {"yes"}, "revision": form["revision"], "decline-comment": {"Full until spring."}}
	wantStatus(t, ben.post(declined+"/decline", noReason), http.StatusUnprocessableEntity, `href="#decline-reason"`,
		`id="decline-reason-error"`, "Full until spring.</textarea>")
	form.Set("confirmed", "yes")
	wantStatus(t, ben.follow(ben.post(declined+"/decline", form)), http.StatusOK, "Referral declined.", "Declined", "No capacity", "Full until spring.")
	wantStatus(t, ann.get(declined), http.StatusOK, "Declined", "No capacity")

	// Reopen (R-REF-12): offered to the receiver of a declined referral.
	p = ben.get(declined)
	wantStatus(t, p, http.StatusOK, "Reopen referral", "You can reopen this referral until")
	if strings.Contains(p.body, "Decline referral") {
		t.Error("a declined referral is offered to be declined again")
	}
	if strings.Contains(ann.get(declined).body, "Reopen referral") {
		t.Error("the referrer is offered to reopen")
	}
	wantStatus(t, ben.follow(ben.post(declined+"/reopen", url.Values{"revision": {rev(ben, declined)}, "reopen-reason": {"The client called back."}})),
		http.StatusOK, "Referral reopened.", "Acknowledged", "The client called back.", "Close by")

	// Forward (R-REF-10): to an organisation with intake off, refused
	// naming the intake; then to one accepting referrals.
	food := n.must(t, 201, "POST", "/v1/organisations", n.admin, map[string]any{"name": "Food Bank",
		"admin_email": "d@food.example", "services": []any{}})["id"].(string)
	original := n.lifecycleReferral(t, annToken)
	p = ben.get(original)
	if !strings.Contains(p.body, `<option value="`+food+`"`) || strings.Contains(p.body, `<option value="`+n.orgC+`"`) {
		t.Errorf("the forward form must offer exactly the organisations accepting referrals:\n%s", p.body)
	}
	fwd := url.Values{"revision": {rev(ben, original)}, "forward-to": {food}, "forward-comment": {"They run a debt clinic."},
		"forward-basis": {"verbal"}, "forward-consent-confirmed": {"yes"}}
	wantStatus(t, ben.post(original+"/forward", fwd), http.StatusOK, "Are you sure you want to forward this referral?", "Food Bank", "verbal consent, confirmed")
	off := url.Values{"confirmed": {"yes"}, "revision": fwd["revision"], "forward-to": {n.orgC}, "forward-comment": {"x"},
		"forward-basis": {"verbal"}, "forward-consent-confirmed": {"yes"}}
	wantStatus(t, ben.post(original+"/forward", off), http.StatusUnprocessableEntity, `href="#forward-to"`, "intake is switched off")
	noConsent := url.Values{"confirmed": {"yes"}, "revision": fwd["revision"], "forward-to": {food}, "forward-comment": {"x"}}
	wantStatus(t, ben.post(original+"/forward", noConsent), http.StatusUnprocessableEntity, `href="#forward-basis"`)
	fwd.Set("confirmed", "yes")
	p = ben.follow(ben.post(original+"/forward", fwd))
	wantStatus(t, p, http.StatusOK, "Referral forwarded.", "Forwarded", "to Food Bank", "(this referral)", "Forwarded referrals")
	link := regexp.MustCompile(`<a class="link" href="(/referrals/[0-9a-f-]{36})">`).FindStringSubmatch(p.body[strings.Index(p.body, "Forwarded referrals"):])
	if link == nil || link[1] == original {
		t.Fatalf("the chain has no link to the new referral:\n%s", p.body)
	}
	next := link[1]
	p = ben.get(next) // the forwarding organisation made the new one
	wantStatus(t, p, http.StatusOK, "Why it was forwarded to you", "They run a debt clinic.", "Client Person", `href="`+original+`"`, "(this referral)")
	// The original referrer sees the chain without a link it may not follow.
	p = ann.get(original)
	wantStatus(t, p, http.StatusOK, "Forwarded", "A referral you cannot see")
	if strings.Contains(p.body, `href="`+next+`"`) {
		t.Error("the original referrer is linked to a referral it may not see")
	}
	wantStatus(t, ann.get(next), http.StatusNotFound)

	// Withdraw (R-REF-11): the referrer, after confirming.
	withdrawn := n.lifecycleReferral(t, annToken)
	w := url.Values{"revision": {rev(ann, withdrawn)}, "withdraw-reason": {"The client moved away."}}
	wantStatus(t, ann.post(withdrawn+"/withdraw", w), http.StatusOK, "Are you sure you want to withdraw this referral?", "The client moved away.")
	w.Set("confirmed", "yes")
	wantStatus(t, ann.follow(ann.post(withdrawn+"/withdraw", w)), http.StatusOK, "Referral withdrawn.", "Withdrawn", "The client moved away.")
	p = ben.get(withdrawn)
	wantStatus(t, p, http.StatusOK, "Withdrawn")
	if strings.Contains(p.body, "Decline referral") || strings.Contains(p.body, "Acknowledge referral") {
		t.Error("a withdrawn referral is offered actions")
	}
	// The ended referrals leave the open incoming list and are listed by
	// their status, with the day they ended.
	if in := ben.get("/incoming").body; strings.Contains(in, withdrawn) || strings.Contains(in, original) {
		t.Error("the open incoming list shows a withdrawn or forwarded referral")
	}
	wantStatus(t, ben.get("/incoming?status=withdrawn"), http.StatusOK, withdrawn, "Withdrawn")
	wantStatus(t, ben.get("/incoming?status=forwarded"), http.StatusOK, original, "Forwarded")
	wantStatus(t, ann.get("/outgoing"), http.StatusOK, withdrawn, "Withdrawn", original, "Forwarded")
	// Someone who may not act is refused as the API refuses them.
	wantStatus(t, ben.post(withdrawn+"/withdraw", url.Values{"confirmed": {"yes"}, "withdraw-reason": {"x"}}), http.StatusForbidden)
}

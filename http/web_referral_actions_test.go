package http

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// referralForms lists the actions whose forms the referral page r offers,
// in page order: "acknowledge", "close", "decline", …
func referralForms(tb testing.TB, r *response, referral string) []string {
	tb.Helper()
	page := showing(tb, r, http.StatusOK)
	var out []string
	for _, m := range regexp.MustCompile(`<form method="post" action="/referrals/`+referral+`/([a-z-]+)"`).FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestWebReferralOffersOnlyAllowedActions_REF5_UI2: a referral's page
// offers each action only in the states where the ledger allows it, so no
// form is offered that can only fail (R-UI-2): a new referral can be
// acknowledged but not yet closed; an acknowledged one closed, and not
// acknowledged again (R-REF-5); urgency reviewed while urgent and not yet
// reviewed (R-REF-7); declined and forwarded by the receiver while open
// (R-REF-9, R-REF-10); withdrawn by the referrer while open (R-REF-11);
// reopened by the receiver once closed (R-REF-12), nothing else then. Once
// the client's details are erased no free text can be kept, so the close,
// decline and withdraw forms ask for none, and closing with the outcome
// alone works.
func TestWebReferralOffersOnlyAllowedActions_REF5_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	body := validReferral(n.OrgB, "Una Urgent")
	body["urgent"] = true
	id := n.makeReferralWith(t, n.AdviserA.Token, body)
	path := "/referrals/" + id
	ann, ben := n.pagesAs(t, n.AdviserA.Token), n.pagesAs(t, n.AdviserB.Token)
	offers := func(who *pagesBrowser, name string, want ...string) {
		t.Helper()
		if got := referralForms(t, who.get(path), id); !slices.Equal(got, want) {
			t.Errorf("%s: the page offers %v, want %v", name, got, want)
		}
	}

	offers(ben, "new, to the receiver", "acknowledge", "assign", "notes", "urgency-review", "decline", "forward")
	offers(ann, "new, to the referrer", "notes", "withdraw")
	showing(t, ben.get(path), http.StatusOK, "You can close it once it is acknowledged.")

	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	offers(ben, "acknowledged, to the receiver", "assign", "notes", "urgency-review", "close", "decline", "forward")
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/urgency-review", n.AdviserB.Token,
		map[string]any{"urgent": false, "feedback": "Not urgent: the hearing is next month."}), http.StatusOK)
	offers(ben, "urgency reviewed, to the receiver", "assign", "notes", "close", "decline", "forward")
	offers(ann, "acknowledged, to the referrer", "notes", "withdraw")

	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": "Housed."}), http.StatusOK)
	offers(ben, "closed, to the receiver", "reopen")
	offers(ann, "closed, to the referrer")

	// Another client, whose details are erased while the referral is
	// acknowledged.
	other := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Ezra Erased")
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+other+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	n.erase(t, n.clientOf(t, other), "The client asked.")
	page := showing(t, ben.get("/referrals/"+other), http.StatusOK, `action="/referrals/`+other+`/close"`,
		"the referral closes with its outcome alone", `action="/referrals/`+other+`/decline"`)
	for _, field := range []string{`name="comment"`, `name="decline-comment"`} {
		if strings.Contains(page, field) {
			t.Errorf("an erased referral's page asks for free text it cannot keep: %s", field)
		}
	}
	if page := showing(t, ann.get("/referrals/"+other), http.StatusOK, `action="/referrals/`+other+`/withdraw"`); strings.Contains(page, `name="withdraw-reason"`) {
		t.Error("an erased referral's withdraw form asks for a reason it cannot keep")
	}
	revision := regexp.MustCompile(`name="revision" value="(\d+)"`).FindStringSubmatch(page)[1]
	showing(t, ben.follow(ben.post("/referrals/"+other+"/close", url.Values{"revision": {revision}, "outcome": {"negative"}})),
		http.StatusOK, "Closed")
}

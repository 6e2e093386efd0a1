package http

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestClientNameInvisibleCharactersRefused_REF1: a client's name that
// hides a text-direction override (shown as "John", stored reversed), a
// zero-width space (a name that looks like another, or like none) or a
// line separator is refused, naming the field, as control characters are;
// a direction override in free text too, and in an organisation's name.
// Names written in scripts that need the zero-width non-joiner are kept.
func TestClientNameInvisibleCharactersRefused_REF1(t *testing.T) {
	n := newNetwork(t)
	for _, name := range []string{"\u202enhoJ Smith", "\u200b", "Jo\u200bBloggs", "Jo\u2028Bloggs", "\ufeffJo Bloggs", "Jo\u2066Bloggs\u2069"} {
		n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgB, name)).invalid(t, "client.name")
		n.do(t, http.MethodPost, "/v1/clients/search", n.AdviserA.Token,
			map[string]any{"name": name, "date_of_birth": "1980-02-29"}).invalid(t, "name")
	}
	body := validReferral(n.OrgB, "Jo Bloggs")
	body["reason"] = "Needs help with \u202Egnisuoh."
	n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body).invalid(t, "reason")
	n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgA, n.LeadA.Token,
		map[string]any{"name": "Beta\u202e Advice"}).invalid(t, "name")

	for _, name := range []string{"می\u200cخواهم Rezaei", "زهرا احمدی", "Zoë O'Brien-Smith"} {
		want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgB, name)), http.StatusCreated)
	}
}

// TestClientNameOnlyMarksRefused_REF1 (R-REF-1, R-REF-14): a client's name
// made only of combining accents, or of characters that the known-client
// index sets aside (a lone diaeresis or breve, spaces of other scripts),
// compares as no name at all, so it is refused as an empty name is: 422
// naming client.name with the same message, from the API and the web form,
// and nothing is recorded; a search by such a name is refused as a search
// without one. Names whose accents sit on letters are kept.
func TestClientNameOnlyMarksRefused_REF1(t *testing.T) {
	n := newNetwork(t, withWebPages())
	empty := n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgB, "")).invalid(t, "client.name")
	emptySearch := n.do(t, http.MethodPost, "/v1/clients/search", n.AdviserA.Token,
		map[string]any{"name": "", "date_of_birth": "1980-02-29"}).invalid(t, "name")
	made := n.countEvents(t, domain.ReferralMadeType)
	ann := n.web(t, n.AdviserA)
	emptyPage := ann.post("/make-a-referral", formOf(t, ann.get("/make-a-referral").body, "/make-a-referral", url.Values{
		"to": {n.OrgB}, "client-name": {""}, "client-dob": {"27 3 1980"}, "reason": {"Rent arrears."}, "basis": {"written"},
		"consent-confirmed": {"yes"}, "privacy-notice": {"yes"}}))
	wantPage(t, emptyPage, http.StatusUnprocessableEntity)
	emptyMessage := regexp.MustCompile(`id="client-name-error"[^>]*>(.*?)</p>`).FindStringSubmatch(emptyPage.body)
	if emptyMessage == nil {
		t.Fatalf("the form's error for an empty name: %s", emptyPage.body)
	}
	message := func(p apiProblem, field string) string {
		for _, f := range p.Errors {
			if f.Field == field {
				return f.Message
			}
		}
		return ""
	}
	for _, name := range []string{"\u0301\u0301", " \u0301 \u0308 ", "\u00a8\u02d8", "\u3000\u0301"} {
		p := n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgB, name)).invalid(t, "client.name")
		if message(p, "client.name") != message(empty, "client.name") {
			t.Errorf("name %+q: %v, want as an empty name %v", name, p.Errors, empty.Errors)
		}
		p = n.do(t, http.MethodPost, "/v1/clients/search", n.AdviserA.Token,
			map[string]any{"name": name, "date_of_birth": "1980-02-29"}).invalid(t, "name")
		if message(p, "name") != message(emptySearch, "name") {
			t.Errorf("search by %+q: %v, want as without a name %v", name, p.Errors, emptySearch.Errors)
		}
		page := ann.post("/make-a-referral", formOf(t, ann.get("/make-a-referral").body, "/make-a-referral", url.Values{
			"to": {n.OrgB}, "client-name": {name}, "client-dob": {"27 3 1980"}, "reason": {"Rent arrears."}, "basis": {"written"},
			"consent-confirmed": {"yes"}, "privacy-notice": {"yes"}}))
		wantPage(t, page, http.StatusUnprocessableEntity, emptyMessage[0])
	}
	if got := n.countEvents(t, domain.ReferralMadeType); got != made {
		t.Fatalf("%d referrals made, was %d", got, made)
	}
	for _, name := range []string{"Zoe\u0301", "\u00c9mile Zola", "e\u0301"} {
		want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgB, name)), http.StatusCreated)
	}
}

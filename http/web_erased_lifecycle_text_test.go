package http

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestWebErasedLifecycleTextSaysErased_PRIV3: once a client's data is
// erased, the referral page's summary showed each step's free text (the
// urgency review's feedback, the closure's, decline's and forward's
// comments, the withdrawal's and reopening's reasons, the comment of the
// referral a forward made, the safeguarding reason of a referral shared
// without consent) as if none had been given: "Withdrawn 7 December", with
// nothing after it, where a reason is required. The API answers null with
// "erased": true. Each now says its text is not kept because the client's
// details are erased, as the notes do.
func TestWebErasedLifecycleTextSaysErased_PRIV3(t *testing.T) {
	n := newNetwork(t, withWebPages())
	ok := func(r *response) { t.Helper(); want(t, r, http.StatusOK) }
	post := func(token, path string, body map[string]any) *response {
		t.Helper()
		return n.do(t, http.MethodPost, path, token, body)
	}
	body := validReferral(n.OrgB, "Qz4 Client")
	body["urgent"] = true
	delete(body, "consent")
	body["safeguarding_override"] = map[string]any{"reason": "Qz4override risk at home"}
	first := n.makeReferralWith(t, n.AdviserA.Token, body)
	client := n.clientOf(t, first)
	ok(post(n.AdviserB.Token, "/v1/referrals/"+first+"/acknowledgement", map[string]any{}))
	ok(post(n.AdviserB.Token, "/v1/referrals/"+first+"/urgency-review", map[string]any{"urgent": false, "feedback": "Qz4feedback"}))
	forwarded := want(t, post(n.AdviserB.Token, "/v1/referrals/"+first+"/forward", map[string]any{"to_organisation_id": n.OrgC,
		"comment": "Qz4forward comment", "consent": map[string]any{"method": "written", "confirmed": true}}), http.StatusCreated).str("id")
	ok(post(n.AdviserC.Token, "/v1/referrals/"+forwarded+"/decline", map[string]any{"reason_code": "other", "comment": "Qz4decline first"}))
	ok(post(n.AdviserC.Token, "/v1/referrals/"+forwarded+"/reopening", map[string]any{"reason": "Qz4reopen reason"}))
	again := func(to string) string {
		return n.makeReferralWith(t, n.AdviserA.Token, map[string]any{"to_organisation_id": to, "client": map[string]any{"client_id": client},
			"reason": "Qz4reason again", "consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	}
	withdrawn := again(n.OrgB)
	ok(post(n.AdviserA.Token, "/v1/referrals/"+withdrawn+"/withdrawal", map[string]any{"reason": "Qz4withdraw reason"}))
	closed := again(n.OrgC)
	ok(post(n.AdviserC.Token, "/v1/referrals/"+closed+"/acknowledgement", map[string]any{}))
	ok(post(n.AdviserC.Token, "/v1/referrals/"+closed+"/closure", map[string]any{"outcome": "positive", "comment": "Qz4close comment"}))
	declined := again(n.OrgC)
	ok(post(n.AdviserC.Token, "/v1/referrals/"+declined+"/decline", map[string]any{"reason_code": "no_capacity", "comment": "Qz4decline comment"}))

	row := func(page, term string) string {
		m := regexp.MustCompile(`(?s)<dt>` + term + `</dt><dd[^>]*>(.*?)</dd>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no %q row on the page:\n%s", term, page)
		}
		return m[1]
	}
	consent := regexp.MustCompile(`(?s)<h3 class="heading-s">Consent</h3>\s*<p class="body">(.*?)</p>`)
	type check struct {
		user     testUser
		referral string
		rows     []string // the summary rows holding free text
		consent  bool     // shared without consent, with a reason
	}
	checks := []check{
		{n.AdviserA, first, []string{"Urgency", "Forwarded"}, true},
		{n.AdviserC, forwarded, []string{"Reopened", "Why it was forwarded to you"}, false},
		{n.AdviserB, withdrawn, []string{"Withdrawn"}, false},
		{n.AdviserC, closed, []string{"Closed"}, false},
		{n.AdviserC, declined, []string{"Declined"}, false},
	}
	for _, c := range checks { // before: the text is there
		p := n.web(t, c.user).get("/referrals/" + c.referral)
		wantPage(t, p, http.StatusOK)
		for _, term := range c.rows {
			if !strings.Contains(row(p.body, term), "Qz4") {
				t.Fatalf("before the erasure the %s row shows no text: %s", term, row(p.body, term))
			}
		}
	}
	n.erase(t, client, "The client asked.")
	erased := regexp.MustCompile(`(?i)erased`)
	for _, c := range checks {
		p := n.web(t, c.user).get("/referrals/" + c.referral)
		wantPage(t, p, http.StatusOK)
		if strings.Contains(p.body, "Qz4") {
			t.Errorf("%s: the erased client's text is on the page", c.referral)
		}
		for _, term := range c.rows {
			if got := row(p.body, term); !erased.MatchString(got) {
				t.Errorf("the %s row of an erased client's referral reads %q, not that its text is erased", term, got)
			}
		}
		if c.consent {
			m := consent.FindStringSubmatch(p.body)
			if m == nil || !erased.MatchString(m[1]) {
				t.Errorf("the consent of a referral shared without it reads %q, not that its reason is erased", m)
			}
		}
	}
}

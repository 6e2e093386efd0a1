package http

import (
	"net/http"
	"regexp"
	"testing"
)

// TestWebErasedNotesShowAsErased_PRIV3: once the client's data is erased
// every read shows it as erased: a note on their referral, whose text the
// API then gives as null, reads "erased" on the referral's page, as its
// history page shows it, not as a note with nothing in it.
func TestWebErasedNotesShowAsErased_PRIV3(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserB.Token,
		map[string]any{"text": "Called the client back."}), http.StatusCreated)
	req := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.AdviserB.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+req+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)
	note := regexp.MustCompile(`(?s)<li class="note">(.*?)</li>`)
	for _, u := range []testUser{n.AdviserA, n.AdviserB} {
		p := n.web(t, u).get("/referrals/" + n.Referral)
		wantPage(t, p, http.StatusOK)
		m := note.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("the note is not listed:\n%s", p.body)
		}
		if regexp.MustCompile(`Called the client back`).MatchString(m[1]) || !regexp.MustCompile(`(?i)erased`).MatchString(m[1]) {
			t.Errorf("%s: the note of an erased client does not read as erased: %s", u.Username, m[1])
		}
	}
}

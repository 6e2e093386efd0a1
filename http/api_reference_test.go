package http

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestReferralReference: every referral has a short reference, in the
// referral and in the lists, and GET /v1/referrals?reference= finds it for
// the organisations involved only, as the inbox and outbox would (R-REF-13,
// R-AUTH-4).
func TestReferralReference(t *testing.T) {
	n := newNetwork(t)
	r := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK)
	ref := r.str("reference")
	if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`).MatchString(ref) {
		t.Fatalf("reference %q is not two groups of four Crockford base32 characters", ref)
	}
	inbox := n.viewList(t, n.AdviserB.Token, "/v1/inbox")
	if len(inbox.Referrals) != 1 || inbox.Referrals[0].Reference != ref {
		t.Fatalf("the inbox does not list the reference %q: %+v", ref, inbox.Referrals)
	}
	find := func(token, q string) referralList {
		return n.viewList(t, token, "/v1/referrals?reference="+url.QueryEscape(q))
	}
	for _, q := range []string{ref, strings.ToLower(strings.ReplaceAll(ref, "-", ""))} {
		for _, u := range []testUser{n.AdviserA, n.AdviserB, n.LeadB} {
			if l := find(u.Token, q); len(l.Referrals) != 1 || l.Referrals[0].ID != n.Referral {
				t.Fatalf("%s searching %q: %+v", u.Username, q, l.Referrals)
			}
		}
	}
	// Need to know: another organisation's adviser finds nothing, exactly
	// as their inbox and outbox show nothing; the auditor, who searches the
	// whole network, finds it (R-AUTH-4).
	if l := find(n.AdviserC.Token, ref); len(l.Referrals) != 0 {
		t.Fatalf("%s finds a referral their organisation is not party to: %+v", n.AdviserC.Username, l.Referrals)
	}
	if l := find(n.Auditor.Token, ref); len(l.Referrals) != 1 || l.Referrals[0].ID != n.Referral {
		t.Fatalf("the auditor searching %q: %+v", ref, l.Referrals)
	}
	t.Run("ErrNotAReference", func(t *testing.T) {
		n.do(t, http.MethodGet, "/v1/referrals?reference=ABC", n.AdviserA.Token, nil).invalid(t, "reference")
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		n.do(t, http.MethodGet, "/v1/referrals?reference="+ref, "", nil).problem(t, http.StatusUnauthorized)
	})
}

package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebForwardChainNeedToKnow_AUTH4_REF10: a referral's chain of forwards
// shows of a referral the user may not see no more than the API's
// forwarded_to and forwarded_from tell them: the organisations of the
// forward made from, or to, one they see, without its status; a forward
// further on, between other organisations, is not shown at all. The
// original referrer does not learn where the client went after the
// organisation it referred them to passed them on, nor how that went.
func TestWebForwardChainNeedToKnow_AUTH4_REF10(t *testing.T) {
	n := newNetwork(t, withWebPages())
	orgD := n.registerOrg(t, "Delta Crisis")
	adviserD := n.addUser(t, orgD, "adviser.d", domain.RoleAdviser)
	forward := func(id, token, to string) string {
		t.Helper()
		return want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/forward", token, map[string]any{
			"to_organisation_id": to, "comment": "Better placed.", "consent": map[string]any{"method": "verbal", "confirmed": true}}),
			http.StatusCreated).str("id")
	}
	r0 := n.Referral // Alpha to Beta
	r1 := forward(r0, n.AdviserB.Token, n.OrgC)
	r2 := forward(r1, n.AdviserC.Token, orgD)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+r2+"/acknowledgement", adviserD.Token, map[string]any{}), http.StatusOK)

	chain := func(u testUser, id string) string {
		t.Helper()
		p := n.web(t, u).get("/referrals/" + id)
		wantPage(t, p, http.StatusOK, `id="forward-chain"`)
		s := p.body[strings.Index(p.body, `id="forward-chain"`):]
		return s[:strings.Index(s, "</ol>")]
	}
	lacks := func(who, section string, texts ...string) {
		t.Helper()
		for _, x := range texts {
			if strings.Contains(section, x) {
				t.Errorf("%s's chain shows %q:\n%s", who, x, section)
			}
		}
	}
	has := func(who, section string, texts ...string) {
		t.Helper()
		for _, x := range texts {
			if !strings.Contains(section, x) {
				t.Errorf("%s's chain lacks %q:\n%s", who, x, section)
			}
		}
	}

	a := chain(n.AdviserA, r0)
	has("Alpha", a, "(this referral)", "A referral you cannot see", "Beta Housing to Gamma Debt")
	lacks("Alpha", a, "Delta Crisis", "Acknowledged", "New", r1, r2)

	c := chain(n.AdviserC, r1)
	has("Gamma", c, "made to Beta Housing", "Gamma Debt to Delta Crisis, Acknowledged", r2)
	lacks("Gamma", c, "Alpha Advice", r0)

	d := chain(adviserD, r2)
	has("Delta", d, "made to Gamma Debt", "(this referral)")
	lacks("Delta", d, "Alpha Advice", "Beta Housing", r0, r1)

	// The coordinator, network-wide, sees every link.
	all := chain(n.Admin, r1)
	has("the coordinator", all, "Alpha Advice to Beta Housing, Forwarded", "Gamma Debt to Delta Crisis, Acknowledged", r0, r2)
}

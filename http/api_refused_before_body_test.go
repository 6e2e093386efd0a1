package http

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestRefusedCallerGetsTheSameAnswerWhateverTheBody_AUTH4_LOCK12: whoever
// may not act gets the 403 or 404 of a valid body whatever body they send
// (R-AUTH-4, R-AUTH-7, R-LOCK-10, R-LOCK-12; API.md: authenticated but not
// allowed is 403, or 404 where revealing existence would leak). A body
// check made before the check of who may act would answer them 422
// instead, telling an outsider that the route's resource is there (a
// hidden lock's request answers as one that does not exist) and which
// fields it takes. For every write route of the authorisation matrix and
// every cell the rules refuse, the route is sent an empty body and a body
// whose every value has the wrong JSON type; both must get the refused
// cell's status, and nothing is written. Cells where the body decides
// whether the caller may act (bodyDecides) are left out.
func TestRefusedCallerGetsTheSameAnswerWhateverTheBody_AUTH4_LOCK12(t *testing.T) {
	routes := matrixRoutes()
	w := buildMatrixWorld(t)
	keys := make([]string, 0, len(routes))
	for key := range routes {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	before := w.head(t)
	cells := 0
	for _, key := range keys {
		method, _, _ := strings.Cut(key, " ")
		if method == http.MethodGet || method == http.MethodHead {
			continue
		}
		for _, p := range routes[key] {
			if p.body == nil || p.last > 0 {
				continue
			}
			states := []lockState{stateNone}
			if p.perCase {
				states = caseStates
			}
			for _, c := range w.callers {
				for _, st := range states {
					status := p.want(c, st)
					if !refused(status) || bodyDecides(routes[key], c, st) {
						continue
					}
					cell := matrixCell{route: key, variant: p.variant, role: c.role, rel: c.rel, state: st}
					k := w.cases[st]
					valid, _ := p.body(w, k, c).(map[string]any)
					token := c.user.Token
					if p.session {
						token = w.signIn(t, c.user.Username, c.user.Password)
					}
					for name, b := range map[string]any{"empty body": map[string]any{}, "wrong types": wrongTypes(valid)} {
						cells++
						if got := w.do(t, method, p.path(w, k, c), token, b); got.Status != status {
							t.Errorf("%v with %s: status %d, want %d as with a valid body; body %s", cell, name, got.Status, status, got.Body)
						}
					}
				}
			}
		}
	}
	if after := w.head(t); after != before {
		t.Errorf("refused requests appended: head %d → %d", before, after)
	}
	t.Logf("%d refused cells", cells)
}

func refused(status int) bool { return status == http.StatusForbidden || status == http.StatusNotFound }

// bodyDecides: another probe of the route lets the caller act, so what
// they may do depends on what the body asks (a lead may open an
// adviser's account but not a network role's, R-AUTH-7); a body that
// asks nothing is no such request.
func bodyDecides(probes []probe, c *matrixCaller, st lockState) bool {
	for _, p := range probes {
		if !refused(p.want(c, st)) {
			return true
		}
	}
	return false
}

// wrongTypes is a body with the keys of a valid one, each with a value of
// another JSON type.
func wrongTypes(valid map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range valid {
		switch v.(type) {
		case string:
			out[k] = 12345
		default:
			out[k] = "not-of-this-type"
		}
	}
	return out
}

// TestLockDecisionBodyCheckedAfterWhoMayDecide_LOCK10_LOCK12: a decision
// without approve, or with approve of the wrong type, was answered 422
// before the checks of who may decide, so anyone, kept out of a hidden
// lock or of another organisation, learnt that the request exists. They
// now get, byte for byte, the 404 of a request that does not exist; the
// organisation's lead (who may not decide) 404 too behind the hidden
// lock; the service manager who may decide still gets the 422 naming
// approve; nothing is written.
func TestLockDecisionBodyCheckedAfterWhoMayDecide_LOCK10_LOCK12(t *testing.T) {
	n := newLockNetA(t)
	n.lock(t, n.Client, map[string]any{"hide_notification": true})
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "over"}), http.StatusCreated).str("id")
	real, unknown := "/v1/lock-requests/"+unlock+"/decision", "/v1/lock-requests/"+uuid.NewString()+"/decision"
	before := n.head(t)
	for _, body := range []map[string]any{{}, {"approve": "yes"}, {"reason": 7}} {
		for _, u := range []testUser{n.AdviserC, n.AdviserA, n.HelpdeskB, n.LeadB, n.TeamManagerA} {
			n.sameAsUnknown(t, u, http.MethodPost, real, unknown, body)
		}
		n.do(t, http.MethodPost, real, n.ServiceManager.Token, body).invalid(t, "approve")
	}
	if after := n.head(t); after != before {
		t.Fatalf("a decision without approve recorded something: head %d → %d", before, after)
	}
	want(t, n.do(t, http.MethodPost, real, n.ServiceManager.Token, map[string]any{"approve": true}), http.StatusOK)
}

// TestMFARequirementBodyCheckedAfterWhoMaySetIt_AUTH4: a requirement sent
// without required, or with required of the wrong type, was answered 422
// before the check of who may set it. Whoever may not (an adviser of the
// organisation, another organisation's lead) now gets the 403 a valid
// body gets; the organisation's lead gets the 422 naming required;
// nothing is written.
func TestMFARequirementBodyCheckedAfterWhoMaySetIt_AUTH4(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/organisations/" + n.OrgB + "/mfa-requirement"
	before := n.head(t)
	for _, body := range []map[string]any{{"required": false}, {}, {"required": "yes"}} {
		for _, u := range []testUser{n.AdviserB, n.LeadA, n.HelpdeskB} {
			n.do(t, http.MethodPut, path, u.Token, body).problem(t, http.StatusForbidden)
		}
	}
	for _, body := range []map[string]any{{}, {"required": "yes"}} {
		n.do(t, http.MethodPut, path, n.LeadB.Token, body).invalid(t, "required")
	}
	if after := n.head(t); after != before {
		t.Fatalf("a refused requirement recorded something: head %d → %d", before, after)
	}
}

// TestPermittedCallerToldOfTheFieldLeftOut_AUTH4_PRIV2_LOCK5: whoever may
// act is still told, in one 422, that the field was left out, or for the
// urgency review that urgent must be false, with the other fields at
// fault (before, the 422 named that field alone), and nothing is written: a decision on an erasure request by the
// coordinator (whose stand-in refusal destroys no key), a lock review by
// the lock's team manager, an intake switch by the organisation's lead,
// an urgency review by the receiving adviser.
func TestPermittedCallerToldOfTheFieldLeftOut_AUTH4_PRIV2_LOCK5(t *testing.T) {
	n := newLockNet(t)
	erasure := want(t, n.requestErasure(t, n.AdviserB.Token, n.Client, "The client asked us to."), http.StatusCreated).str("id")
	urgent := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Urgent")
	n.lock(t, n.Client, nil)
	locked := n.Client
	before := n.head(t)
	for _, tc := range []struct {
		method, path string
		user         testUser
		body         map[string]any
		fields       []string
	}{
		{http.MethodPost, "/v1/erasure-requests/" + erasure + "/decision", n.Admin, map[string]any{}, []string{"carry_out"}},
		{http.MethodPost, "/v1/erasure-requests/" + erasure + "/decision", n.Admin, map[string]any{"reason": 3}, []string{"carry_out", "reason"}},
		{http.MethodPost, "/v1/clients/" + locked + "/lock-reviews", n.TeamManager, map[string]any{"notes": "Still needed."}, []string{"keep_locked"}},
		{http.MethodPost, "/v1/clients/" + locked + "/lock-reviews", n.TeamManager, map[string]any{"keep_locked": "yes"}, []string{"keep_locked"}},
		{http.MethodPut, "/v1/organisations/" + n.OrgB + "/intake", n.LeadB, map[string]any{}, []string{"accepting"}},
		{http.MethodPut, "/v1/organisations/" + n.OrgB + "/intake", n.LeadB, map[string]any{"resume_on": "2001-01-01"}, []string{"accepting", "reason", "resume_on"}},
		{http.MethodPost, "/v1/referrals/" + urgent + "/urgency-review", n.AdviserB, map[string]any{"feedback": "Not urgent."}, []string{"urgent"}},
		{http.MethodPost, "/v1/referrals/" + urgent + "/urgency-review", n.AdviserB, map[string]any{"urgent": true}, []string{"urgent", "feedback"}},
	} {
		r := n.do(t, tc.method, tc.path, tc.user.Token, tc.body)
		for _, f := range tc.fields {
			r.invalid(t, f)
		}
	}
	if after := n.head(t); after != before {
		t.Fatalf("a request with a field left out recorded something: head %d → %d", before, after)
	}
	got := want(t, n.do(t, http.MethodGet, "/v1/erasure-requests/"+erasure, n.Admin.Token, nil), http.StatusOK)
	if got.str("status") != "requested" || got.get("client_erased") != false {
		t.Fatalf("after decisions without carry_out: %s", got.Body)
	}
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
}

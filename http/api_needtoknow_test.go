package http

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// referralEndpoint is one thing a user can do to a referral.
type referralEndpoint struct {
	name     string
	method   string
	suffix   string // after /v1/referrals/{id}
	body     func(n *network) any
	needsAck bool // the referral must be acknowledged first (closure)
	ok       int  // the status when allowed
}

func referralEndpoints() []referralEndpoint {
	return []referralEndpoint{
		{name: "GetReferral", method: http.MethodGet, ok: http.StatusOK},
		{name: "History", method: http.MethodGet, suffix: "/history", ok: http.StatusOK},
		{name: "Acknowledge", method: http.MethodPost, suffix: "/acknowledgement",
			body: func(*network) any { return map[string]any{} }, ok: http.StatusOK},
		{name: "Assign", method: http.MethodPost, suffix: "/assignment",
			body: func(n *network) any { return map[string]any{"user_id": n.AdviserB.ID} }, ok: http.StatusOK},
		{name: "UrgencyReview", method: http.MethodPost, suffix: "/urgency-review",
			body: func(*network) any {
				return map[string]any{"urgent": false, "feedback": "Can wait for the normal timescale."}
			}, ok: http.StatusOK},
		{name: "Note", method: http.MethodPost, suffix: "/notes",
			body: func(*network) any { return map[string]any{"text": "Spoke to the referrer."} }, ok: http.StatusCreated},
		{name: "Closure", method: http.MethodPost, suffix: "/closure",
			body: func(*network) any {
				return map[string]any{"outcome": "positive", "comment": "Taken forward."}
			}, needsAck: true, ok: http.StatusOK},
	}
}

// TestNeedToKnow proves R-AUTH-4 cell by cell: every role at the referring,
// receiving and an uninvolved organisation, against every referral
// endpoint. Each cell gets a fresh urgent referral from A to B (acknowledged
// first for closure), so a cell's outcome never depends on another's, and
// a refused write appends nothing.
func TestNeedToKnow(t *testing.T) {
	n := newNetwork(t)
	const (
		ok  = 0 // the endpoint's success status
		no  = http.StatusForbidden
		hid = http.StatusNotFound
	)
	// Columns: GetReferral, History, Acknowledge, Assign, UrgencyReview,
	// Note, Closure.
	tests := []struct {
		name string
		user testUser
		want [7]int
	}{
		{"AdviserOfReferrer", n.AdviserA, [7]int{ok, ok, no, no, no, ok, no}},
		{"AdviserOfReceiver", n.AdviserB, [7]int{ok, ok, ok, ok, ok, ok, ok}},
		{"OrgLeadOfReceiver", n.LeadB, [7]int{ok, ok, ok, ok, ok, ok, ok}},
		{"TeamManagerOfReceiver", n.TeamManager, [7]int{ok, ok, ok, ok, ok, ok, ok}},
		{"HelpdeskOfReceiver", n.HelpdeskB, [7]int{ok, ok, no, no, no, no, no}},
		{"Coordinator", n.Admin, [7]int{ok, ok, no, no, no, no, no}},
		{"Auditor", n.Auditor, [7]int{ok, ok, no, no, no, no, no}},
		{"AdviserOfOutsider", n.AdviserC, [7]int{hid, hid, hid, hid, hid, hid, hid}},
	}
	endpoints := referralEndpoints()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, ep := range endpoints {
				t.Run(ep.name, func(t *testing.T) {
					body := validReferral(n.OrgB, "Client Matrix")
					body["urgent"] = true
					id := n.makeReferralWith(t, n.AdviserA.Token, body)
					if ep.needsAck {
						want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
					}
					var reqBody any
					if ep.body != nil {
						reqBody = ep.body(n)
					}
					before := n.head(t)
					r := n.do(t, ep.method, "/v1/referrals/"+id+ep.suffix, tt.user.Token, reqBody)
					status := tt.want[i]
					if status == ok {
						status = ep.ok
					}
					if r.Status != status {
						t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
					}
					if status >= 400 {
						r.problem(t, status)
						if after := n.head(t); after != before {
							t.Errorf("a refused request appended events: head %d → %d", before, after)
						}
					}
					if status != hid {
						return
					}
					// R-AUTH-4: an outsider learns nothing, not even that
					// the referral exists. The answer is the one for an id
					// that was never used, apart from the request's own
					// instance and request_id.
					missing := n.do(t, ep.method, "/v1/referrals/"+uuid.NewString()+ep.suffix, tt.user.Token, reqBody)
					missing.problem(t, http.StatusNotFound)
					if got, want := r.withoutRequest(t), missing.withoutRequest(t); got != want {
						t.Errorf("hidden referral and missing referral answer differently:\n hidden  %s\n missing %s", got, want)
					}
					if r.Header.Get("ETag") != "" {
						t.Errorf("hidden referral has an ETag")
					}
				})
			}
		})
	}
}

// TestNeedToKnowWithIfMatch checks that If-Match does not give away what
// need to know hides (R-AUTH-4): an outsider's conditional write to a
// referral gets the answer a referral that does not exist gets, whatever
// revision it names, so neither existence nor revision can be probed.
func TestNeedToKnowWithIfMatch(t *testing.T) {
	n := newNetwork(t)
	id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Probed")
	for _, ep := range referralEndpoints() {
		if ep.method != http.MethodPost {
			continue
		}
		for _, etag := range []string{`"0"`, `"1"`, `"7"`} {
			t.Run(ep.name+etag, func(t *testing.T) {
				before := n.head(t)
				hidden := n.do(t, ep.method, "/v1/referrals/"+id+ep.suffix, n.AdviserC.Token, ep.body(n), "If-Match", etag)
				missing := n.do(t, ep.method, "/v1/referrals/"+uuid.NewString()+ep.suffix, n.AdviserC.Token, ep.body(n), "If-Match", etag)
				hidden.problem(t, http.StatusNotFound)
				missing.problem(t, http.StatusNotFound)
				if a, b := hidden.withoutRequest(t), missing.withoutRequest(t); a != b {
					t.Errorf("hidden and missing referral answer differently:\n %s\n %s", a, b)
				}
				if after := n.head(t); after != before {
					t.Errorf("head %d → %d", before, after)
				}
			})
		}
	}
	// Those who may see the referral get 412 for a stale revision.
	n.do(t, http.MethodPost, "/v1/referrals/"+id+"/acknowledgement", n.AdviserB.Token, map[string]any{}, "If-Match", `"7"`).
		problem(t, http.StatusPreconditionFailed)
}

package http

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestDecideHiddenLockRequestUnseen_LOCK12_LOCK10 (R-LOCK-3, R-LOCK-10,
// R-LOCK-12): someone who sends a decision on a lock request still
// waiting, whose notification is hidden, and whom the lock once in force
// would keep out without a word (the deny list names them, they are
// helpdesk staff, or the allow list leaves them out, and they do not
// manage it), was told 403 "only a service manager of the organisation
// that asked for the lock decides it": that the request is there, where a
// request that does not exist answers 404, as its GET and its withdrawal
// answer them. They now get that 404, whichever way they decide and
// whatever the body; those the lock would let in are still told they may
// not decide it (403); nothing is recorded, and a service manager who may
// decide it still does.
func TestDecideHiddenLockRequestUnseen_LOCK12_LOCK10(t *testing.T) {
	n := newLockNet(t)
	other := n.addUser(t, n.OrgB, "other.b", domain.RoleAdviser)
	deniedSM := n.addUser(t, n.OrgB, "service2.b", domain.RoleServiceManager)
	request := n.requestLockOn(t, n.Client, map[string]any{"hide_notification": true,
		"allow": []map[string]any{{"team": "duty"}},
		"deny":  []map[string]any{{"user_id": n.LeadB.ID}, {"user_id": deniedSM.ID}}})
	missing := uuid.NewString()
	bodies := []map[string]any{{"approve": true}, {"approve": false, "reason": "not needed"}, {}}

	before := n.head(t)
	for _, tc := range []struct {
		name string
		u    testUser
	}{{"denied org lead", n.LeadB}, {"denied service manager", deniedSM}, {"helpdesk", n.HelpdeskB},
		{"adviser not allowed", other}, {"referrer", n.AdviserA}, {"organisation not involved", n.AdviserC}} {
		for _, body := range bodies {
			n.sameAsUnknown(t, tc.u, http.MethodPost, "/v1/lock-requests/"+request+"/decision", "/v1/lock-requests/"+missing+"/decision", body)
		}
	}
	for _, tc := range []struct {
		name string
		u    testUser
	}{{"responsible person", n.AdviserB}, {"allowed team", n.DutyMember}, {"team manager who asked", n.TeamManager}} {
		if r := n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", tc.u.Token, bodies[0]); r.Status != http.StatusForbidden {
			t.Errorf("%s: decision answered %d, want 403: %s", tc.name, r.Status, r.Body)
		}
	}
	if after := n.head(t); after != before {
		t.Fatalf("refused decisions recorded something: head %d → %d", before, after)
	}
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", n.ServiceManager.Token, bodies[0]), http.StatusOK)
}

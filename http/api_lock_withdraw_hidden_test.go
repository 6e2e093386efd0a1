package http

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestWithdrawHiddenLockRequestUnseen_LOCK12_LOCK10 (R-LOCK-3, R-LOCK-10,
// R-LOCK-12): a member of the lock's organisation who may not withdraw a
// lock request still waiting, and whom the lock, once in force, would keep
// out without a word (its notification hidden: the deny list names them,
// they are helpdesk staff, or the allow list leaves them out), learns
// nothing of it by trying to withdraw it: the same 404 as for a request
// that does not exist, as its GET answers, not a 403 that says it is
// there. Those the lock would let in, or who decide it, are told they may
// not withdraw it (403), as for a request not hidden; nothing is
// recorded, and its team manager still withdraws it.
func TestWithdrawHiddenLockRequestUnseen_LOCK12_LOCK10(t *testing.T) {
	n := newLockNet(t)
	other := n.addUser(t, n.OrgB, "other.b", domain.RoleAdviser)
	deniedSM := n.addUser(t, n.OrgB, "service2.b", domain.RoleServiceManager)
	request := n.requestLockOn(t, n.Client, map[string]any{"hide_notification": true,
		"allow": []map[string]any{{"team": "duty"}},
		"deny":  []map[string]any{{"user_id": n.LeadB.ID}, {"user_id": deniedSM.ID}}})
	missing := uuid.NewString()

	before := n.head(t)
	for _, tc := range []struct {
		name string
		u    testUser
	}{{"denied org lead", n.LeadB}, {"denied service manager", deniedSM}, {"helpdesk", n.HelpdeskB}, {"adviser not allowed", other}} {
		got, unknown := n.withdraw(t, tc.u, request, "not needed"), n.withdraw(t, tc.u, missing, "not needed")
		got.problem(t, http.StatusNotFound)
		if a, b := got.withoutRequest(t), unknown.withoutRequest(t); a != b {
			t.Errorf("%s: withdrawal of the hidden request answers %s, of none %s", tc.name, a, b)
		}
		read, none := n.do(t, http.MethodGet, "/v1/lock-requests/"+request, tc.u.Token, nil), n.do(t, http.MethodGet, "/v1/lock-requests/"+missing, tc.u.Token, nil)
		read.problem(t, http.StatusNotFound)
		if a, b := read.withoutRequest(t), none.withoutRequest(t); a != b {
			t.Errorf("%s: the hidden request reads %s, none %s", tc.name, a, b)
		}
	}
	for _, tc := range []struct {
		name string
		u    testUser
	}{{"responsible person", n.AdviserB}, {"allowed team", n.DutyMember}, {"deciding service manager", n.ServiceManager}} {
		if r := n.withdraw(t, tc.u, request, "not needed"); r.Status != http.StatusForbidden {
			t.Errorf("%s: withdrawal answered %d, want 403: %s", tc.name, r.Status, r.Body)
		}
	}
	if after := n.head(t); after != before {
		t.Fatalf("refused withdrawals recorded something: head %d → %d", before, after)
	}
	want(t, n.withdraw(t, n.TeamManager, request, "asked on the wrong case"), http.StatusOK)
}

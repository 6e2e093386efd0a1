package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestDenyListLeavesNoDecider_LOCK2_LOCK10 (R-LOCK-2, R-LOCK-6,
// R-LOCK-10): a lock request whose deny list refuses every service
// manager of the organisation who could decide it (by name or by team,
// the requester never deciding their own) could never be decided, and
// would keep the case from being locked by another request: it is refused
// with 422 naming deny, from the API and the lock request page, and
// nothing is recorded. With one service manager left off the list, the
// same request is taken, and they decide it.
func TestDenyListLeavesNoDecider_LOCK2_LOCK10(t *testing.T) {
	n := newLockNet(t, withWebPages())
	// The organisation's only service manager (n.ServiceManager) denied.
	body := func(deny ...map[string]any) map[string]any {
		return map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "Risk from a member of staff.",
			"allow": []any{}, "deny": deny}
	}
	path := "/v1/clients/" + n.Client + "/lock-requests"
	requested := n.countEvents(t, domain.LockRequestedType)
	n.do(t, http.MethodPost, path, n.TeamManager.Token, body(map[string]any{"user_id": n.ServiceManager.ID})).invalid(t, "deny")

	// The form says so on the page, and keeps what was sent.
	tess := n.web(t, n.TeamManager)
	lock := "/clients/" + n.Client + "/lock-request"
	page := tess.post(lock, formOf(t, tess.get(lock+"?referral="+n.Referral).body, lock, url.Values{
		"responsible": {n.AdviserB.ID}, "lock-reason": {"Risk from a member of staff."}, "deny-user": {n.ServiceManager.ID}}))
	wantPage(t, page, http.StatusUnprocessableEntity, `id="deny-user-error"`, "service manager")

	// A team manager who is also a service manager cannot decide their own
	// request: refusing the other one leaves nobody either. So does a team.
	both := n.addUser(t, n.OrgB, "both.b", domain.RoleTeamManager, domain.RoleServiceManager)
	n.do(t, http.MethodPost, path, both.Token, body(map[string]any{"user_id": n.ServiceManager.ID})).invalid(t, "deny")
	want(t, n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgB+"/users", n.Admin.Token, map[string]any{
		"username": "sm.duty", "display_name": "Duty manager", "email": "sm.duty@example.org",
		"roles": []string{"service_manager"}, "team": "duty", "password": testInitialPassword}), http.StatusCreated)
	duty := n.firstSignIn(t, "sm.duty", testInitialPassword)
	n.do(t, http.MethodPost, path, n.TeamManager.Token, body(map[string]any{"user_id": n.ServiceManager.ID},
		map[string]any{"user_id": both.ID}, map[string]any{"team": "Duty"})).invalid(t, "deny")
	if got := n.countEvents(t, domain.LockRequestedType); got != requested {
		t.Fatalf("%d lock requests recorded, was %d", got, requested)
	}

	// One left off the list decides it.
	id := want(t, n.do(t, http.MethodPost, path, n.TeamManager.Token, body(map[string]any{"user_id": n.ServiceManager.ID},
		map[string]any{"user_id": both.ID})), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+id+"/decision", duty.Token, map[string]any{"approve": true}), http.StatusOK)
}

// TestLockRequestByTheOnlyServiceManager_LOCK10_LOCK6 (R-LOCK-6,
// R-LOCK-10): a team manager who is also their organisation's only
// service manager never decides a request they made themselves, so a
// lock request of theirs could never be decided, deny list or none; nor
// could one whose organisation's only service manager holds the helpdesk
// role. Such a request is refused with 409 in plain words, from the API
// and the lock request page, and nothing is recorded, as an unlock
// request nobody could decide is. An organisation with no service
// manager at all is not refused: appointing one decides the request.
func TestLockRequestByTheOnlyServiceManager_LOCK10_LOCK6(t *testing.T) {
	n := newLockNet(t, withWebPages())
	sm := "/v1/organisations/" + n.OrgB + "/users/" + n.ServiceManager.ID
	path := "/v1/clients/" + n.Client + "/lock-requests"
	body := map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "Risk from a member of staff.", "allow": []any{}, "deny": []any{}}
	requested := n.countEvents(t, domain.LockRequestedType)
	refused := func(u testUser, how string) {
		t.Helper()
		p := n.do(t, http.MethodPost, path, u.Token, body).problem(t, http.StatusConflict)
		if !strings.Contains(p.Detail, "service manager") {
			t.Errorf("%s: refusal %q does not say no service manager could decide it", how, p.Detail)
		}
		if got := n.countEvents(t, domain.LockRequestedType); got != requested {
			t.Fatalf("%s: %d lock requests recorded, was %d", how, got, requested)
		}
	}

	// The organisation's only service manager is also a team manager, and asks.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"roles": []string{"service_manager", "team_manager"}}), http.StatusOK)
	refused(n.ServiceManager, "only service manager is the requester")
	page := n.web(t, n.ServiceManager)
	lock := "/clients/" + n.Client + "/lock-request"
	p := page.post(lock, formOf(t, page.get(lock+"?referral="+n.Referral).body, lock, url.Values{
		"responsible": {n.AdviserB.ID}, "lock-reason": {"Risk from a member of staff."}}))
	wantPage(t, p, http.StatusConflict, "No service manager of your organisation could decide")
	if got := n.countEvents(t, domain.LockRequestedType); got != requested {
		t.Fatalf("lock request page: %d lock requests recorded, was %d", got, requested)
	}

	// The only service manager given the helpdesk role instead.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"roles": []string{"service_manager", "helpdesk"}}), http.StatusOK)
	refused(n.TeamManager, "only service manager made helpdesk")

	// No service manager at all: the request is taken, and waits for one.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"roles": []string{"adviser"}}), http.StatusOK)
	id := want(t, n.do(t, http.MethodPost, path, n.TeamManager.Token, body), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"roles": []string{"service_manager"}}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+id+"/decision", n.ServiceManager.Token, map[string]any{"approve": true}), http.StatusOK)
}

package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestUnlockRequestNobodyCanDecide_LOCK6_LOCK2_LOCK10 (R-LOCK-2,
// R-LOCK-6, R-LOCK-10): an unlock request needs a service manager of the
// lock's organisation to decide it, whom the lock does not refuse and who
// did not ask for it. When the organisation's only service manager has
// since been moved into a team the lock's deny list refuses, or given the
// helpdesk role, or is the one asking, nobody could ever decide the
// request: it is refused with 409 in plain words, from the API and the
// unlock page, and nothing is recorded, as a lock request whose deny list
// leaves nobody to decide it is refused. An organisation with no service
// manager at all is not refused: appointing one decides the request.
func TestUnlockRequestNobodyCanDecide_LOCK6_LOCK2_LOCK10(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, map[string]any{"deny": []map[string]any{{"team": "family"}}})
	path := "/v1/clients/" + n.Client + "/unlock-requests"
	sm := "/v1/organisations/" + n.OrgB + "/users/" + n.ServiceManager.ID
	requested := n.countEvents(t, domain.UnlockRequestedType)
	refused := func(u testUser, how string) {
		t.Helper()
		p := n.do(t, http.MethodPost, path, u.Token, map[string]any{"reason": "The risk has passed."}).problem(t, http.StatusConflict)
		if !strings.Contains(p.Detail, "service manager") {
			t.Errorf("%s: refusal %q does not say no service manager could decide it", how, p.Detail)
		}
		if got := n.countEvents(t, domain.UnlockRequestedType); got != requested {
			t.Fatalf("%s: %d unlock requests recorded, was %d", how, got, requested)
		}
	}

	// The form, opened while a service manager could still decide it.
	tess := n.web(t, n.TeamManager)
	unlock := "/locked-cases/" + n.Client + "/unlock"
	form := tess.get(unlock).body

	// The only service manager moved into the team the deny list refuses.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"team": "family"}), http.StatusOK)
	refused(n.TeamManager, "only service manager denied by team")
	page := tess.post(unlock, formOf(t, form, unlock, url.Values{"unlock-reason": {"The risk has passed."}}))
	wantPage(t, page, http.StatusConflict, "service manager")
	if got := n.countEvents(t, domain.UnlockRequestedType); got != requested {
		t.Fatalf("unlock page: %d unlock requests recorded, was %d", got, requested)
	}

	// The only service manager given the helpdesk role instead.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"team": ""}), http.StatusOK)
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"roles": []string{"service_manager", "helpdesk"}}), http.StatusOK)
	refused(n.TeamManager, "only service manager made helpdesk")

	// The only service manager is the one asking: they never decide their own.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"roles": []string{"service_manager", "team_manager"}}), http.StatusOK)
	refused(n.ServiceManager, "only service manager is the requester")

	// No service manager at all: not the lock's doing, the request is taken.
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"roles": []string{"team_manager"}}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, path, n.TeamManager.Token, map[string]any{"reason": "The risk has passed."}), http.StatusCreated)
}

package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestCoordinatorLockedCasesLeaveOutLocksThatRefuseThem_LOCK7_LOCK2: the
// coordinator's locked-cases report lists every locked case (R-LOCK-7),
// but the deny list wins over everything (R-LOCK-2): a coordinator it
// names, by account or by team, is refused the case everywhere else, so
// the report, API and page, leaves that lock out for them as it does for a
// manager it refuses (R-LOCK-12); another coordinator still finds it.
func TestCoordinatorLockedCasesLeaveOutLocksThatRefuseThem_LOCK7_LOCK2(t *testing.T) {
	n := newLockNet(t, withWebPages())
	denied := n.addUser(t, n.CoordinatorOrg, "coordinator.denied", domain.RoleCoordinator)
	other := n.addUser(t, n.CoordinatorOrg, "coordinator.other", domain.RoleCoordinator)
	lists := func(u testUser) (api, page bool) {
		t.Helper()
		r := want(t, n.do(t, http.MethodGet, "/v1/locked-cases", u.Token, nil), http.StatusOK)
		p := n.web(t, u).get("/locked-cases")
		if p.status != http.StatusOK {
			t.Fatalf("locked cases page for %s: %d", u.Username, p.status)
		}
		return strings.Contains(string(r.Body), n.Client), strings.Contains(p.body, n.Client)
	}
	n.lock(t, n.Client, map[string]any{"hide_notification": true, "deny": []map[string]any{{"user_id": denied.ID}}})
	if api, page := lists(denied); api || page {
		t.Errorf("a coordinator the deny list names finds the case in the locked-cases report: API %v, page %v", api, page)
	}
	if api, page := lists(other); !api || !page {
		t.Fatalf("another coordinator lost the case: API %v, page %v", api, page)
	}
	// By team: the other coordinator moved into a team the lock refuses.
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.CoordinatorOrg+"/users/"+other.ID, n.Admin.Token,
		map[string]any{"team": "out of hours"}), http.StatusOK)
	_, client2 := n.newClient(t, "Client Report Two")
	n.lock(t, client2, map[string]any{"deny": []map[string]any{{"team": "out of hours", "organisation_id": n.CoordinatorOrg}}})
	r := want(t, n.do(t, http.MethodGet, "/v1/locked-cases", other.Token, nil), http.StatusOK)
	if strings.Contains(string(r.Body), client2) {
		t.Errorf("a coordinator in a team the deny list names finds the case in the locked-cases report")
	}
	if !strings.Contains(string(r.Body), n.Client) {
		t.Errorf("the coordinator lost a case whose lock does not refuse them: %s", r.Body)
	}
}

package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestLockedCasesLeaveOutManagersTheLockRefuses_LOCK7_LOCK12: the
// locked-cases report lists a manager the cases they asked for, approved or
// are responsible for (R-LOCK-5, R-LOCK-7), but the deny list wins over
// everything and helpdesk never has access (R-LOCK-2): once the team
// manager who asked for a hidden lock is moved into a team it refuses,
// and the service manager who approved it is given the helpdesk role,
// neither finds the case in the report, API or page, as every other route
// tells them nothing of it (R-LOCK-12); the responsible team manager and
// the coordinator still do.
func TestLockedCasesLeaveOutManagersTheLockRefuses_LOCK7_LOCK12(t *testing.T) {
	n := newLockNet(t, withWebPages())
	responsible := n.addUser(t, n.OrgB, "manager.resp", domain.RoleTeamManager)
	n.lock(t, n.Client, map[string]any{"hide_notification": true, "responsible_user_id": responsible.ID,
		"deny": []map[string]any{{"team": "family"}}})
	lists := func(u testUser) (api, page bool) {
		t.Helper()
		r := want(t, n.do(t, http.MethodGet, "/v1/locked-cases", u.Token, nil), http.StatusOK)
		p := n.web(t, u).get("/locked-cases")
		if p.status != http.StatusOK {
			t.Fatalf("locked cases page for %s: %d", u.Username, p.status)
		}
		return strings.Contains(string(r.Body), n.Client), strings.Contains(p.body, n.Client)
	}
	for _, u := range []testUser{n.TeamManager, n.ServiceManager, responsible} {
		if api, page := lists(u); !api || !page {
			t.Fatalf("before any change %s finds the case: API %v, page %v", u.Username, api, page)
		}
	}
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.TeamManager.ID, n.LeadB.Token,
		map[string]any{"team": "family"}), http.StatusOK)
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.ServiceManager.ID, n.LeadB.Token,
		map[string]any{"roles": []string{"service_manager", "helpdesk"}}), http.StatusOK)
	for _, u := range []testUser{n.TeamManager, n.ServiceManager} {
		n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", u.Token, nil).problem(t, http.StatusNotFound)
		if api, page := lists(u); api || page {
			t.Errorf("%s, whom the hidden lock refuses now, still finds the case in the locked-cases report: API %v, page %v", u.Username, api, page)
		}
	}
	if api, page := lists(responsible); !api || !page {
		t.Errorf("the responsible team manager, whom the lock still lets in, lost the case: API %v, page %v", api, page)
	}
	if r := want(t, n.do(t, http.MethodGet, "/v1/locked-cases", n.Admin.Token, nil), http.StatusOK); !strings.Contains(string(r.Body), n.Client) {
		t.Fatalf("the coordinator's report lost the case: %s", r.Body)
	}
}

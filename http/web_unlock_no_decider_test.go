package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebUnlockPageSaysNobodyCanDecide_UI1_LOCK6_LOCK10: when no service
// manager of the organisation could decide an unlock request (the only
// one is now in a team the lock's deny list refuses), the unlock page
// says so when it is opened, as the refusal the request would get
// (R-LOCK-6, R-LOCK-10), and offers no form that could only be refused
// (R-UI-1); once the lead moves the service manager out of that team the
// form is offered again.
func TestWebUnlockPageSaysNobodyCanDecide_UI1_LOCK6_LOCK10(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, map[string]any{"deny": []map[string]any{{"team": "family"}}})
	sm := "/v1/organisations/" + n.OrgB + "/users/" + n.ServiceManager.ID
	tess := n.web(t, n.TeamManager)
	unlock := "/locked-cases/" + n.Client + "/unlock"
	formTag := `action="` + unlock + `"`

	wantPage(t, tess.get(unlock), http.StatusOK, formTag)
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"team": "family"}), http.StatusOK)
	p := tess.get(unlock)
	wantPage(t, p, http.StatusOK, "Ask to unlock a case", "No service manager of your organisation could decide this request")
	if strings.Contains(p.body, formTag) || strings.Contains(p.body, `name="unlock-reason"`) {
		t.Errorf("the unlock page offers a form no service manager could decide:\n%s", p.body)
	}
	want(t, n.do(t, http.MethodPatch, sm, n.LeadB.Token, map[string]any{"team": ""}), http.StatusOK)
	p = tess.get(unlock)
	wantPage(t, p, http.StatusOK, formTag)
	if strings.Contains(p.body, "No service manager of your organisation could decide") {
		t.Errorf("the unlock page still says nobody could decide the request:\n%s", p.body)
	}
}

package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestAccessLogRefusedToNetworkRolesTheLockRefuses_LOCK2_LOCK12: the
// coordinator and auditors read a client's access log (R-LOCK-9), but the
// deny list wins over everything and helpdesk never has access (R-LOCK-2).
// An auditor or coordinator a lock's deny list names (by user or by team),
// or a coordinator who is also helpdesk staff, read the access log of a
// case whose hidden lock refuses them: every entry since the lock says
// "locked" and who got in by what grant. They now get exactly what they
// get for a client that does not exist (R-LOCK-12); a lock that does not
// hide its notification tells them whom the case is locked to (R-LOCK-3).
// The subject access export a hidden lock refuses a coordinator answers
// 404 as for no client too, not a 403 saying the case is locked. Those
// the lock does not refuse still read the log.
func TestAccessLogRefusedToNetworkRolesTheLockRefuses_LOCK2_LOCK12(t *testing.T) {
	n := newLockNet(t)
	deniedCoordinator := n.addUser(t, n.CoordinatorOrg, "coordinator.denied", domain.RoleCoordinator)
	deskCoordinator := n.addUser(t, n.CoordinatorOrg, "coordinator.desk", domain.RoleCoordinator, domain.RoleHelpdesk)
	teamAuditor := n.addUser(t, n.CoordinatorOrg, "auditor.two", domain.RoleAuditor)
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.CoordinatorOrg+"/users/"+teamAuditor.ID, n.Admin.Token,
		map[string]any{"team": "Review"}), http.StatusOK)
	deny := []map[string]any{{"user_id": deniedCoordinator.ID}, {"user_id": n.Auditor.ID},
		{"team": "review", "organisation_id": n.CoordinatorOrg}}
	n.lock(t, n.Client, map[string]any{"hide_notification": true, "deny": deny})
	_, visible := n.newClient(t, "Client Visible")
	n.lock(t, visible, map[string]any{"deny": deny})
	unknown := uuid.NewString()

	for _, u := range []testUser{deniedCoordinator, deskCoordinator, n.Auditor, teamAuditor} {
		n.sameAsUnknown(t, u, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", "/v1/clients/"+unknown+"/access-log", nil)
		p := n.do(t, http.MethodGet, "/v1/clients/"+visible+"/access-log", u.Token, nil).problem(t, http.StatusForbidden)
		if !strings.Contains(p.Detail, "Test adviser.b") {
			t.Errorf("%s: the visible lock's refusal does not name the responsible person: %q", u.Username, p.Detail)
		}
	}
	for _, u := range []testUser{deniedCoordinator, deskCoordinator} {
		n.sameAsUnknown(t, u, http.MethodGet, "/v1/clients/"+n.Client+"/subject-access?reason=SAR-1",
			"/v1/clients/"+unknown+"/subject-access?reason=SAR-1", nil)
	}
	for _, u := range []testUser{n.Admin} {
		want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", u.Token, nil), http.StatusOK)
		want(t, n.do(t, http.MethodGet, "/v1/clients/"+visible+"/access-log", u.Token, nil), http.StatusOK)
	}
	other := n.addUser(t, n.CoordinatorOrg, "auditor.three", domain.RoleAuditor)
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", other.Token, nil), http.StatusOK)
}

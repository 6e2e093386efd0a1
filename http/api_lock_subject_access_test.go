package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestSubjectAccessOfALockedCaseRefusedToHelpdesk_LOCK2_PRIV6: a subject
// access export holds everything a read of the case would, decrypted, so
// a coordinator who is also helpdesk staff, whom a lock never lets in,
// not even temporarily (R-LOCK-2), gets none of a locked case. Another
// coordinator answers the request (R-PRIV-6); nothing was recorded for the
// refused one. The same coordinator still exports a case that is not
// locked.
func TestSubjectAccessOfALockedCaseRefusedToHelpdesk_LOCK2_PRIV6(t *testing.T) {
	n := newLockNet(t)
	other := n.addUser(t, n.CoordinatorOrg, "coordinator.two", domain.RoleCoordinator)
	desk := n.addUser(t, n.CoordinatorOrg, "coordinator.desk", domain.RoleCoordinator, domain.RoleHelpdesk)
	path := "/v1/clients/" + n.Client + "/subject-access?reason=SAR-2026-17"
	want(t, n.do(t, http.MethodGet, path, desk.Token, nil), http.StatusOK)
	n.lock(t, n.Client, nil)
	exports := n.countEvents(t, domain.ClientSubjectAccessExportedType)
	p := n.do(t, http.MethodGet, path, desk.Token, nil).problem(t, http.StatusForbidden)
	if !strings.Contains(p.Detail, "another coordinator") {
		t.Errorf("refusal %q does not say another coordinator answers", p.Detail)
	}
	if got := n.countEvents(t, domain.ClientSubjectAccessExportedType); got != exports {
		t.Fatalf("%d exports recorded for a refused coordinator", got-exports)
	}
	r := want(t, n.do(t, http.MethodGet, path, other.Token, nil), http.StatusOK)
	if !strings.Contains(string(r.Body), "Client Zero") {
		t.Errorf("the export by a coordinator the lock does not refuse lacks the client's data: %s", r.Body)
	}
}

// TestSubjectAccessOfALockedCaseRefusedToADeniedCoordinator_LOCK2_PRIV6:
// the deny list wins over everything (R-LOCK-2), a coordinator's subject
// access export too: a coordinator the lock's deny list names gets none of
// the case, and nothing is recorded; another coordinator answers the
// request (R-PRIV-6).
func TestSubjectAccessOfALockedCaseRefusedToADeniedCoordinator_LOCK2_PRIV6(t *testing.T) {
	n := newLockNet(t)
	denied := n.addUser(t, n.CoordinatorOrg, "coordinator.denied", domain.RoleCoordinator)
	other := n.addUser(t, n.CoordinatorOrg, "coordinator.other", domain.RoleCoordinator)
	path := "/v1/clients/" + n.Client + "/subject-access?reason=SAR-2026-18"
	want(t, n.do(t, http.MethodGet, path, denied.Token, nil), http.StatusOK)
	n.lock(t, n.Client, map[string]any{"deny": []map[string]any{{"user_id": denied.ID}}})
	exports := n.countEvents(t, domain.ClientSubjectAccessExportedType)
	r := n.do(t, http.MethodGet, path, denied.Token, nil)
	p := r.problem(t, http.StatusForbidden)
	if !strings.Contains(p.Detail, "another coordinator") {
		t.Errorf("refusal %q does not say another coordinator answers", p.Detail)
	}
	if strings.Contains(string(r.Body), "Client Zero") {
		t.Errorf("the refusal carries the client's data: %s", r.Body)
	}
	if got := n.countEvents(t, domain.ClientSubjectAccessExportedType); got != exports {
		t.Fatalf("%d exports recorded for a denied coordinator", got-exports)
	}
	ok := want(t, n.do(t, http.MethodGet, path, other.Token, nil), http.StatusOK)
	if !strings.Contains(string(ok.Body), "Client Zero") {
		t.Errorf("the export by a coordinator the lock does not deny lacks the client's data: %s", ok.Body)
	}
}

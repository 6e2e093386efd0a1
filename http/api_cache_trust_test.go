package http

import (
	"net/http"
	"slices"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// The node keeps the folded state of recently read streams and answers
// sessions from memory (issue 14). These tests read a locked case first,
// so that its referral and client streams are in the node's caches, then
// change who the reader is (their team, their roles), and check the very
// next request answers as the lock says for who they are now (R-LOCK-2,
// R-LOCK-11, R-AUTH-4; issue 5: effective immediately).

// readsOfCase is what a reader gets from every route to a case: the
// referral, its history, and whether their inbox and the search by
// reference list it.
type readsOfCase struct {
	referral, history int
	inbox, search     bool
}

func (n *lockNet) readsOfCase(tb testing.TB, u testUser) readsOfCase {
	tb.Helper()
	path := "/v1/referrals/" + n.Referral
	ref := want(tb, n.do(tb, http.MethodGet, path, n.AdviserB.Token, nil), http.StatusOK).str("reference")
	return readsOfCase{
		referral: n.do(tb, http.MethodGet, path, u.Token, nil).Status,
		history:  n.do(tb, http.MethodGet, path+"/history", u.Token, nil).Status,
		inbox:    slices.Contains(listedIDs(n.viewList(tb, u.Token, "/v1/inbox")), n.Referral),
		search:   slices.Contains(listedIDs(n.viewList(tb, u.Token, "/v1/referrals?reference="+ref)), n.Referral),
	}
}

// TestTeamChangedThenReading_LOCK11: a member of the team a lock allows
// reads the case; moved to another team by their org lead, their very
// next read is refused by every route, and moved back, let in again.
func TestTeamChangedThenReading_LOCK11(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil) // allows the team "duty" of organisation B
	in := readsOfCase{referral: http.StatusOK, history: http.StatusOK, inbox: true, search: true}
	out := readsOfCase{referral: http.StatusForbidden, history: http.StatusForbidden}
	if got := n.readsOfCase(t, n.DutyMember); got != in {
		t.Fatalf("a member of the allowed team: %+v, want %+v", got, in)
	}
	setTeam := func(team string) {
		t.Helper()
		want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.DutyMember.ID, n.LeadB.Token,
			map[string]any{"team": team}), http.StatusOK)
	}
	setTeam("intake")
	if got := n.readsOfCase(t, n.DutyMember); got != out {
		t.Fatalf("moved out of the allowed team: %+v, want %+v", got, out)
	}
	setTeam("duty")
	if got := n.readsOfCase(t, n.DutyMember); got != in {
		t.Fatalf("moved back into the allowed team: %+v, want %+v", got, in)
	}
}

// TestNetworkRoleRemovedThenReading_LOCK2_AUTH7: system support reads a
// locked case by their role; once the coordinator removes the role, their
// very next read is refused by every route.
func TestNetworkRoleRemovedThenReading_LOCK2_AUTH7(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	path := "/v1/referrals/" + n.Referral
	want(t, n.do(t, http.MethodGet, path, n.SystemSupport.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodGet, path+"/history", n.SystemSupport.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.CoordinatorOrg+"/users/"+n.SystemSupport.ID, n.Admin.Token,
		map[string]any{"roles": []domain.Role{domain.RoleHelpdesk}}), http.StatusOK)
	for _, p := range []string{path, path + "/history"} {
		if r := n.do(t, http.MethodGet, p, n.SystemSupport.Token, nil); r.Status == http.StatusOK {
			t.Fatalf("GET %s after the role was removed: %d %s", p, r.Status, r.Body)
		}
	}
}

// TestDeniedAfterReading_LOCK2: the responsible person's colleague reads
// the case before it is locked; the lock, approved a moment later, keeps
// them out on their very next request by every route, although the case
// is in the node's caches.
func TestDeniedAfterReading_LOCK2(t *testing.T) {
	n := newLockNet(t)
	before := readsOfCase{referral: http.StatusOK, history: http.StatusOK, inbox: true, search: true}
	if got := n.readsOfCase(t, n.LeadB); got != before {
		t.Fatalf("before the lock: %+v, want %+v", got, before)
	}
	n.lock(t, n.Client, map[string]any{"deny": []map[string]any{{"user_id": n.LeadB.ID}}})
	after := readsOfCase{referral: http.StatusForbidden, history: http.StatusForbidden}
	if got := n.readsOfCase(t, n.LeadB); got != after {
		t.Fatalf("after the lock: %+v, want %+v", got, after)
	}
}

// TestTrustStateSurvivesRestart_AUTH7_LOCK2_PRIV3: the views that decide
// who may read a case (accounts with their roles, teams and void network
// roles, locks, erasures) are kept in views.db and loaded from there at a
// restart, not replayed (issue 14); after a restart every one of them
// still holds: a legacy network role an org lead recorded stays void, a
// user moved out of the allowed team stays out, a closed account stays
// closed, the lock keeps the case out of lists, and an erased client stays
// erased.
func TestTrustStateSurvivesRestart_AUTH7_LOCK2_PRIV3(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil) // allows the team "duty" of organisation B
	path := "/v1/referrals/" + n.Referral
	legacy := n.recordLegacyUser(t, n.LeadB, "legacy.support", domain.RoleAdviser, domain.RoleSystemSupport)
	closed := n.addUser(t, n.OrgB, "closed.b", domain.RoleAdviser)
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.DutyMember.ID, n.LeadB.Token,
		map[string]any{"team": "intake"}), http.StatusOK)
	want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+closed.ID, n.LeadB.Token, nil), http.StatusNoContent)
	erasedRef := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Erased Before Restart")
	erasedClient := n.clientOf(t, erasedRef)
	n.erase(t, erasedClient, "asked to be forgotten")

	check := func(what string, m *network) {
		t.Helper()
		for _, u := range []testUser{legacy, n.DutyMember, n.LeadB} {
			if r := m.do(t, http.MethodGet, path, u.Token, nil); r.Status != http.StatusForbidden {
				t.Errorf("%s: %s reads the locked case: %d", what, u.Username, r.Status)
			}
			if slices.Contains(listedIDs(m.viewList(t, u.Token, "/v1/inbox")), n.Referral) {
				t.Errorf("%s: %s's inbox lists the locked case", what, u.Username)
			}
		}
		want(t, m.do(t, http.MethodGet, path, n.DutyMember.Token, nil), http.StatusForbidden)
		if r := m.do(t, http.MethodGet, "/v1/directory", closed.Token, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: a closed account's session: %d", what, r.Status)
		}
		if r := m.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": closed.Username,
			"password": testUserPassword}); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: a closed account signs in: %d", what, r.Status)
		}
		r := want(t, m.do(t, http.MethodGet, "/v1/referrals/"+erasedRef, n.AdviserB.Token, nil), http.StatusOK)
		if r.get("erased") != true || r.get("client", "name") != nil {
			t.Errorf("%s: the erased client reads %s", what, r.Body)
		}
		want(t, m.do(t, http.MethodGet, path, n.AdviserB.Token, nil), http.StatusOK)
	}
	check("before the restart", n.network)
	n.Close()
	restarted := *n.network
	restarted.testAPI = newTestAPI(t, onDataDir(n.Dir, n.MasterKey), startingAt(n.Clock.Now()))
	check("after the restart", &restarted)
}

// TestEveryLockedReadRecordedBeforeAnswer_LOCK9 (issue 14 point 6): reads
// of unlocked cases may be written to the access log after their answer,
// but every route that reads a locked case's data, by every kind of
// grant, and an auditor's history read, is in the stored log by the time
// it is answered.
func TestEveryLockedReadRecordedBeforeAnswer_LOCK9(t *testing.T) {
	n := newLockNet(t)
	stored := func() int { return len(n.storedAccess(t, n.Client)) }
	read := func(what string, token, path string) {
		t.Helper()
		n.flushReads(t) // the reads queued before, which a read written first writes too
		before := stored()
		want(t, n.do(t, http.MethodGet, path, token, nil), http.StatusOK)
		if got := stored(); got != before+1 {
			t.Errorf("%s: %d access records stored by the answer, want %d", what, got, before+1)
		}
	}
	path := "/v1/referrals/" + n.Referral
	read("an auditor's history read", n.Auditor.Token, path+"/history")
	n.lock(t, n.Client, nil)
	n.flushReads(t)
	unlocked := stored()
	read("the responsible person's read", n.AdviserB.Token, path)
	read("the allowed team's history read", n.DutyMember.Token, path+"/history")
	read("system support's read", n.SystemSupport.Token, path)
	read("the responsible person's messages", n.AdviserB.Token, "/v1/clients/"+n.Client+"/messages")
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/temporary-access", n.AdviserB.Token,
		map[string]any{"user_id": n.LeadB.ID, "reason": "complaint investigation", "hours": 2}), http.StatusCreated)
	read("a temporary grantee's read", n.LeadB.Token, path)
	read("a locked subject access", n.Admin.Token, "/v1/clients/"+n.Client+"/subject-access?reason=court+order")
	for _, a := range n.storedAccess(t, n.Client)[unlocked:] {
		if !a.Locked {
			t.Errorf("a read of the locked case is stored with locked false: %+v", a)
		}
	}
}

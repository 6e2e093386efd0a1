package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// withdraw sends POST /v1/lock-requests/{id}/withdrawal as u.
func (n *lockNet) withdraw(tb testing.TB, u testUser, request, reason string) *response {
	tb.Helper()
	return n.do(tb, http.MethodPost, "/v1/lock-requests/"+request+"/withdrawal", u.Token, map[string]any{"reason": reason})
}

// requestLockOn asks for a lock on client as B's team manager and
// returns the request's id.
func (n *lockNet) requestLockOn(tb testing.TB, client string, extra map[string]any) string {
	tb.Helper()
	body := map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff"}
	for k, v := range extra {
		body[k] = v
	}
	return want(tb, n.do(tb, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, body), http.StatusCreated).str("id")
}

// TestWithdrawLockRequest_LOCK1_LOCK10: the team manager who asked for a
// lock takes the request back before anyone decides it: 200 with status
// "withdrawn", the request's own path says so and who did it, the
// service manager's queue no longer lists it, deciding it is a conflict,
// and the case can be asked about again. Before anyone withdraws it,
// whoever may not is refused and nothing is recorded: members of the
// lock's organisation who may not withdraw it (an adviser, a service
// manager, helpdesk) 403, anyone of another organisation 404, as for a
// request that does not exist (R-LOCK-10, R-LOCK-12); a withdrawal needs
// a reason (422 naming it). Once withdrawn, withdrawing again is 409.
func TestWithdrawLockRequest_LOCK1_LOCK10(t *testing.T) {
	n := newLockNet(t)
	request := n.requestLockOn(t, n.Client, nil)
	teamManagerA := n.addUser(t, n.OrgA, "manager.a", domain.RoleTeamManager)

	before := n.head(t)
	for _, u := range []testUser{n.AdviserB, n.ServiceManager, n.HelpdeskB, n.LeadB} {
		n.withdraw(t, u, request, "not needed").problem(t, http.StatusForbidden)
	}
	for _, u := range []testUser{teamManagerA, n.AdviserA, n.AdviserC, n.SystemSupport, n.Admin} {
		n.withdraw(t, u, request, "not needed").problem(t, http.StatusNotFound)
	}
	n.withdraw(t, n.TeamManager, request, " ").invalid(t, "reason")
	if after := n.head(t); after != before {
		t.Fatalf("refused withdrawals recorded something: head %d → %d", before, after)
	}
	if reqs := want(t, n.do(t, http.MethodGet, "/v1/lock-requests", n.ServiceManager.Token, nil), http.StatusOK).JSON["requests"].([]any); len(reqs) != 1 {
		t.Fatalf("%d requests waiting before the withdrawal, want 1", len(reqs))
	}

	r := want(t, n.withdraw(t, n.TeamManager, request, "asked on the wrong case"), http.StatusOK)
	if r.str("status") != "withdrawn" || r.str("id") != request || r.str("client_id") != n.Client || r.str("kind") != "lock" {
		t.Fatalf("withdrawal answered %s", r.Body)
	}
	got := want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+request, n.TeamManager.Token, nil), http.StatusOK)
	if got.str("status") != "withdrawn" || got.str("withdrawn_by") != n.TeamManager.ID || got.get("withdrawn_at") == nil || got.get("decided_by") != nil {
		t.Fatalf("the withdrawn request reads %s", got.Body)
	}
	if reqs := want(t, n.do(t, http.MethodGet, "/v1/lock-requests", n.ServiceManager.Token, nil), http.StatusOK).JSON["requests"].([]any); len(reqs) != 0 {
		t.Fatalf("the withdrawn request is still waiting for a decision: %v", reqs)
	}

	before = n.head(t)
	n.withdraw(t, n.TeamManager, request, "again").problem(t, http.StatusConflict)
	n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}).problem(t, http.StatusConflict)
	n.withdraw(t, n.AdviserC, request, "again").problem(t, http.StatusNotFound)
	if after := n.head(t); after != before {
		t.Fatalf("a withdrawn request acted on again recorded something: head %d → %d", before, after)
	}

	// The case is free for a new request, which may be decided.
	again := n.requestLockOn(t, n.Client, nil)
	d := want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+again+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}), http.StatusOK)
	if d.str("status") != "locked" {
		t.Fatalf("the new request decided: %s", d.Body)
	}
}

// TestWithdrawLockRequestOfAnother_LOCK10: a lock request whose service
// managers have all gone (the one left is kept out by a team move the
// deny list names) would wait for good; another team manager of the
// organisation it belongs to can take it back, and is named as having
// done so. A team manager the lock's deny list names cannot.
func TestWithdrawLockRequestOfAnother_LOCK10(t *testing.T) {
	n := newLockNet(t)
	other := n.addUser(t, n.OrgB, "manager2.b", domain.RoleTeamManager)
	denied := n.addUser(t, n.OrgB, "manager3.b", domain.RoleTeamManager)
	request := n.requestLockOn(t, n.Client, map[string]any{"deny": []map[string]any{{"user_id": denied.ID}}})
	// The only service manager leaves.
	want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+n.ServiceManager.ID, n.LeadB.Token, nil), http.StatusNoContent)

	n.withdraw(t, denied, request, "not needed").problem(t, http.StatusForbidden)
	// The other team manager sees what they would withdraw, but not its
	// reason: the client's data, theirs to read only if they asked.
	seen := want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+request, other.Token, nil), http.StatusOK)
	if seen.str("status") != "requested" || seen.str("reason") != "" || seen.str("requested_by") != n.TeamManager.ID {
		t.Fatalf("the pending request as another team manager reads it: %s", seen.Body)
	}
	n.do(t, http.MethodGet, "/v1/lock-requests/"+request, denied.Token, nil).problem(t, http.StatusNotFound)
	want(t, n.withdraw(t, other, request, "nobody is left to decide it"), http.StatusOK)
	got := want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+request, n.TeamManager.Token, nil), http.StatusOK)
	if got.str("status") != "withdrawn" || got.str("withdrawn_by") != other.ID {
		t.Fatalf("the request withdrawn by another team manager reads %s", got.Body)
	}
	n.requestLockOn(t, n.Client, nil)
}

// TestWithdrawUnlockRequest_LOCK6: an unlock request taken back leaves
// the lock in force: the locked-cases report still lists the case with no
// unlock requested, the request cannot be decided any more (409), and a
// new unlock request may be made. Someone a hidden lock keeps out gets
// the 404 of a request that does not exist (R-LOCK-12).
func TestWithdrawUnlockRequest_LOCK6(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, map[string]any{"hide_notification": true})
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "no longer needed"}), http.StatusCreated).str("id")

	n.withdraw(t, n.AdviserA, unlock, "keep it").problem(t, http.StatusNotFound)
	n.withdraw(t, n.ServiceManager, unlock, "keep it").problem(t, http.StatusForbidden)
	r := want(t, n.withdraw(t, n.TeamManager, unlock, "a new risk came up"), http.StatusOK)
	if r.str("status") != "withdrawn" || r.str("kind") != "unlock" {
		t.Fatalf("unlock withdrawal answered %s", r.Body)
	}
	cases := want(t, n.do(t, http.MethodGet, "/v1/locked-cases", n.ServiceManager.Token, nil), http.StatusOK).JSON["cases"].([]any)
	if len(cases) != 1 || cases[0].(map[string]any)["client_id"] != n.Client {
		t.Fatalf("the case is no longer locked after its unlock request was withdrawn: %v", cases)
	}
	if v, ok := cases[0].(map[string]any)["unlock_requested"]; ok && v != false {
		t.Fatalf("the locked-cases report still shows an unlock requested: %v", cases[0])
	}
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
	n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil).problem(t, http.StatusNotFound)
	n.do(t, http.MethodPost, "/v1/lock-requests/"+unlock+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}).problem(t, http.StatusConflict)
	if reqs := want(t, n.do(t, http.MethodGet, "/v1/lock-requests", n.ServiceManager.Token, nil), http.StatusOK).JSON["requests"].([]any); len(reqs) != 0 {
		t.Fatalf("the withdrawn unlock request is still waiting: %v", reqs)
	}
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "now it is over"}), http.StatusCreated)
}

// TestWithdrawnLockRequestNotPending_LOCK7: the statistics count a
// withdrawn lock request as asked for, but no longer as pending.
func TestWithdrawnLockRequestNotPending_LOCK7(t *testing.T) {
	n := newLockNet(t, exactStatistics)
	request := n.requestLockOn(t, n.Client, nil)
	b := n.statistics(t, "?from=2026-12&to=2026-12")
	if got := count(t, b.row(t, n.OrgB, "2026-12"), "lock_requests_pending"); got != 1 {
		t.Fatalf("lock_requests_pending before the withdrawal = %d, want 1", got)
	}
	want(t, n.withdraw(t, n.TeamManager, request, "asked in error"), http.StatusOK)
	row := n.statistics(t, "?from=2026-12&to=2026-12").row(t, n.OrgB, "2026-12")
	if asked, pending, locked := count(t, row, "lock_requests"), count(t, row, "lock_requests_pending"), count(t, row, "locked_cases"); asked != 1 || pending != 0 || locked != 0 {
		t.Fatalf("after the withdrawal: lock_requests %d, lock_requests_pending %d, locked_cases %d; want 1, 0, 0", asked, pending, locked)
	}
}

// TestWithdrawAfterErasure_LOCK6_PRIV3: once the client's data is erased
// no reason can be kept: a withdrawal with one is refused, one without is
// taken, so a request made before the erasure can still be taken back.
func TestWithdrawAfterErasure_LOCK6_PRIV3(t *testing.T) {
	n := newLockNet(t)
	request := n.requestLockOn(t, n.Client, nil)
	erasure := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/erasure-requests", n.TeamManager.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+erasure+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)

	n.withdraw(t, n.TeamManager, request, "asked in error").problem(t, http.StatusConflict)
	want(t, n.withdraw(t, n.TeamManager, request, ""), http.StatusOK)
	if reqs := want(t, n.do(t, http.MethodGet, "/v1/lock-requests", n.ServiceManager.Token, nil), http.StatusOK).JSON["requests"].([]any); len(reqs) != 0 {
		t.Fatalf("the withdrawn request is still waiting: %v", reqs)
	}
}

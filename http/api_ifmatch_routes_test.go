package http

import (
	"net/http"
	"testing"
)

// TestIfMatchHonouredAndDocumentedOnEveryWrite_LEDGER2_Issue16 sends, to
// every write that evaluates If-Match beside the referral and organisation
// ones TestIfMatchRFC9110_Issue16 covers, a request that would succeed but
// for an If-Match naming a revision the resource is not at. Each must be
// refused with 412 and append nothing (R-LEDGER-2); the harness's OpenAPI
// check fails the test when the document does not declare that 412 for
// the operation (issue 16: the document describes every real answer).
func TestIfMatchHonouredAndDocumentedOnEveryWrite_LEDGER2_Issue16(t *testing.T) {
	n := newLockNet(t)
	stale := []string{"If-Match", `"999"`}
	other := n.addUser(t, n.OrgB, "other.b", "adviser")
	erasureClient := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Erasure"),
		n.AdviserA.Token, nil), http.StatusOK).str("client_id")
	erasure := want(t, n.do(t, http.MethodPost, "/v1/clients/"+erasureClient+"/erasure-requests", n.AdviserA.Token,
		map[string]any{"reason": "the client asked"}), http.StatusCreated).str("id")
	lockRequest := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token,
		map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff",
			"allow": []map[string]any{}, "deny": []map[string]any{}}), http.StatusCreated).str("id")

	for _, tc := range []struct {
		name, method, path string
		token              string
		body               any
	}{
		{"RegisterOrganisation", http.MethodPost, "/v1/organisations", n.Admin.Token,
			map[string]any{"name": "Delta Help", "admin_email": "d@delta.example"}},
		{"AddUser", http.MethodPost, "/v1/organisations/" + n.OrgB + "/users", n.LeadB.Token,
			map[string]any{"username": "new.b", "display_name": "New", "email": "new@example.org", "roles": []string{"adviser"},
				"password": testInitialPassword}},
		{"EditUser", http.MethodPatch, "/v1/organisations/" + n.OrgB + "/users/" + other.ID, n.LeadB.Token,
			map[string]any{"team": "duty"}},
		{"CloseAccount", http.MethodDelete, "/v1/organisations/" + n.OrgB + "/users/" + other.ID, n.LeadB.Token, nil},
		{"RequireSecondFactor", http.MethodPut, "/v1/organisations/" + n.OrgB + "/mfa-requirement", n.LeadB.Token,
			map[string]any{"required": true}},
		{"SetUserPassword", http.MethodPut, "/v1/organisations/" + n.OrgB + "/users/" + other.ID + "/password", n.LeadB.Token,
			map[string]any{"password": "Lantern#Otter-Path58"}},
		{"ResetSecondFactor", http.MethodDelete, "/v1/organisations/" + n.OrgB + "/users/" + other.ID + "/mfa", n.LeadB.Token, nil},
		{"MakeReferral", http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgB, "Client Stale")},
		{"RequestErasure", http.MethodPost, "/v1/clients/" + erasureClient + "/erasure-requests", n.AdviserB.Token,
			map[string]any{"reason": "the client asked again"}},
		{"SubjectAccess", http.MethodGet, "/v1/clients/" + erasureClient + "/subject-access", n.Admin.Token, nil},
		{"DecideErasure", http.MethodPost, "/v1/erasure-requests/" + erasure + "/decision", n.Admin.Token,
			map[string]any{"carry_out": false, "reason": "a legal hold"}},
		{"RequestLock", http.MethodPost, "/v1/clients/" + n.Client + "/lock-requests", n.TeamManager.Token,
			map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "another reason",
				"allow": []map[string]any{}, "deny": []map[string]any{}}},
		{"DecideLock", http.MethodPost, "/v1/lock-requests/" + lockRequest + "/decision", n.ServiceManager.Token,
			map[string]any{"approve": true}},
		{"WithdrawLockRequest", http.MethodPost, "/v1/lock-requests/" + lockRequest + "/withdrawal", n.TeamManager.Token,
			map[string]any{"reason": "asked in error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := n.head(t)
			n.do(t, tc.method, tc.path, tc.token, tc.body, stale...).problem(t, http.StatusPreconditionFailed)
			if after := n.head(t); after != before {
				t.Fatalf("a refused write appended: head %d → %d", before, after)
			}
		})
	}

	// With the case locked, the lock's own writes.
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+lockRequest+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/temporary-access", n.AdviserB.Token,
		map[string]any{"user_id": n.LeadB.ID, "reason": "cover", "hours": 2}), http.StatusCreated)
	for _, tc := range []struct {
		name, method, path string
		token              string
		body               any
	}{
		{"GrantTemporaryAccess", http.MethodPost, "/v1/clients/" + n.Client + "/temporary-access", n.AdviserB.Token,
			map[string]any{"user_id": n.DutyMember.ID, "reason": "cover", "hours": 2}},
		{"EndTemporaryAccess", http.MethodDelete, "/v1/clients/" + n.Client + "/temporary-access/" + n.LeadB.ID, n.AdviserB.Token, nil},
		{"ReviewLock", http.MethodPost, "/v1/clients/" + n.Client + "/lock-reviews", n.TeamManager.Token,
			map[string]any{"keep_locked": true, "notes": "still needed"}},
		{"RequestUnlock", http.MethodPost, "/v1/clients/" + n.Client + "/unlock-requests", n.TeamManager.Token,
			map[string]any{"reason": "no longer needed"}},
		{"CompleteSeriousCaseReview", http.MethodPost, "/v1/clients/" + n.Client + "/serious-case-review-completion", n.ServiceManager.Token,
			map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := n.head(t)
			n.do(t, tc.method, tc.path, tc.token, tc.body, stale...).problem(t, http.StatusPreconditionFailed)
			if after := n.head(t); after != before {
				t.Fatalf("a refused write appended: head %d → %d", before, after)
			}
		})
	}
}

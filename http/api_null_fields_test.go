package http

import (
	"net/http"
	"testing"
)

// TestNullOptionalFieldsAsDocumented_Issue16: the strict decoder reads a
// JSON null as an absent field (decode_walk.go), so a request that sends
// null for an optional field is answered as one that leaves it out. The
// document must say so: the harness's OpenAPI check fails a request the
// server accepts but the document calls invalid (issue 16).
func TestNullOptionalFieldsAsDocumented_Issue16(t *testing.T) {
	n := newLockNet(t)
	referral := validReferral(n.OrgB, "Client Null")
	referral["urgent"] = nil
	referral["safeguarding_override"] = nil
	referral["client"].(map[string]any)["phone"] = nil
	id := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, referral), http.StatusCreated).str("id")

	for _, c := range []struct {
		name, method, path string
		token              string
		body               map[string]any
		status             int
	}{
		{"RegisterOrganisation", http.MethodPost, "/v1/organisations", n.Admin.Token,
			map[string]any{"name": "Delta Help", "admin_email": "d@delta.example", "services": nil, "description": nil}, http.StatusCreated},
		{"UpdateOrganisation", http.MethodPatch, "/v1/organisations/" + n.OrgB, n.LeadB.Token,
			map[string]any{"services": nil, "description": nil, "name": nil, "admin_email": nil}, http.StatusOK},
		{"UpdateUser", http.MethodPatch, "/v1/organisations/" + n.OrgB + "/users/" + n.AdviserB.ID, n.LeadB.Token,
			map[string]any{"display_name": nil, "roles": nil, "email": nil, "team": nil}, http.StatusOK},
		{"AddNote", http.MethodPost, "/v1/referrals/" + id + "/notes", n.AdviserB.Token,
			map[string]any{"text": "Called.", "agreed_close_by": nil}, http.StatusCreated},
		{"SendMessage", http.MethodPost, "/v1/clients/" + n.Client + "/messages", n.AdviserA.Token,
			map[string]any{"text": "Please call back.", "child_protection": nil}, http.StatusAccepted},
		{"SetIntake", http.MethodPut, "/v1/organisations/" + n.OrgB + "/intake", n.LeadB.Token,
			map[string]any{"accepting": true, "reason": nil, "resume_on": nil}, http.StatusOK},
		{"RequestLock", http.MethodPost, "/v1/clients/" + n.Client + "/lock-requests", n.TeamManager.Token,
			map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff", "allow": nil, "deny": nil,
				"hide_notification": nil}, http.StatusCreated},
	} {
		t.Run(c.name, func(t *testing.T) {
			want(t, n.do(t, c.method, c.path, c.token, c.body), c.status)
		})
	}
}

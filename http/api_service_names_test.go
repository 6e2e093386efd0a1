package http

import (
	"net/http"
	"testing"
)

// TestServiceNamesUniqueInAnEntry_VIEW4: an organisation's directory entry
// lists each service once, so a service named again in another case or
// spacing is refused, naming the repeated one, on registration and on
// PATCH; distinct services are kept.
func TestServiceNamesUniqueInAnEntry_VIEW4(t *testing.T) {
	n := newNetwork(t)
	dup := []map[string]any{{"name": "Housing advice", "description": "Rent"}, {"name": "HOUSING  advice", "description": ""}}
	n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgA, n.LeadA.Token, map[string]any{"services": dup}).invalid(t, "services[1].name")
	n.do(t, http.MethodPost, "/v1/organisations", n.Admin.Token, map[string]any{"name": "Delta Advice",
		"admin_email": "intake@delta.example", "description": "", "services": dup}).invalid(t, "services[1].name")
	ok := []map[string]any{{"name": "Housing advice", "description": ""}, {"name": "Debt advice", "description": ""}}
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgA, n.LeadA.Token, map[string]any{"services": ok}), http.StatusOK)
}

package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLockRequestOfErasedClientCanBeRefused_PRIV3_LOCK10: a lock or unlock
// request still waiting when its client's data was erased could be
// approved but never refused: a refusal needs a reason, and a reason, the
// client's free text, can no longer be kept (409), while one without a
// reason was refused as incomplete (422). The request stayed in the
// service managers' queue for ever unless approved. Now, as a closure, a
// decline or the request's own withdrawal, a refusal of an erased client's
// request is recorded without a reason, from the API and from the decision
// page, which no longer asks for one; a reason given is still refused
// with 409, as nothing about the client can be recorded.
func TestLockRequestOfErasedClientCanBeRefused_PRIV3_LOCK10(t *testing.T) {
	n := newLockNet(t, withWebPages())
	ask := func(client string) string {
		return want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
			"responsible_user_id": n.AdviserB.ID, "reason": "A related member of staff."}), http.StatusCreated).str("id")
	}
	decide := func(id string, body map[string]any) *response {
		return n.do(t, http.MethodPost, "/v1/lock-requests/"+id+"/decision", n.ServiceManager.Token, body)
	}
	refused := func(id string) {
		t.Helper()
		got := want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+id, n.TeamManager.Token, nil), http.StatusOK)
		if got.str("status") != "refused" || got.get("reason") != nil || got.get("erased") != true {
			t.Errorf("the refused request of an erased client reads %s", got.Body)
		}
	}
	_, apiClient := n.newClient(t, "Client Api")
	_, pageClient := n.newClient(t, "Client Page")
	_, lockedClient := n.newClient(t, "Client Locked")
	viaAPI, viaPage := ask(apiClient), ask(pageClient)
	want(t, decide(ask(lockedClient), map[string]any{"approve": true}), http.StatusOK)
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+lockedClient+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "The risk has passed."}), http.StatusCreated).str("id")
	for _, c := range []string{apiClient, pageClient, lockedClient} {
		n.eraseAs(t, n.AdviserB.Token, c, "The client asked.")
	}

	// The API: with a reason, nothing can be recorded; without one, the
	// refusal is.
	head := n.head(t)
	decide(viaAPI, map[string]any{"approve": false, "reason": "Not needed."}).problem(t, http.StatusConflict)
	if n.head(t) != head {
		t.Fatal("a refusal with a reason of an erased client's request wrote something")
	}
	want(t, decide(viaAPI, map[string]any{"approve": false}), http.StatusOK)
	refused(viaAPI)

	// The page: no reason asked for, the refusal goes through.
	b := n.web(t, n.ServiceManager)
	page := b.get("/lock-requests/" + viaPage)
	wantPage(t, page, http.StatusOK)
	if strings.Contains(page.body, `name="decision-reason"`) {
		t.Errorf("the decision page of an erased client's request asks for a reason that cannot be kept:\n%s", page.body)
	}
	check := b.post("/lock-requests/"+viaPage, formOf(t, page.body, "/lock-requests/"+viaPage, url.Values{"decision": {"refuse"}}))
	wantPage(t, check, http.StatusOK, "Check your decision")
	done := b.post("/lock-requests/"+viaPage, formOf(t, check.body, "/lock-requests/"+viaPage, nil))
	if done.status != http.StatusSeeOther {
		t.Fatalf("refusing an erased client's lock request from the page: %d\n%s", done.status, done.body)
	}
	refused(viaPage)

	// An unlock request of an erased client's locked case: the same.
	decide(unlock, map[string]any{"approve": false, "reason": "Still needed."}).problem(t, http.StatusConflict)
	want(t, decide(unlock, map[string]any{"approve": false}), http.StatusOK)
	refused(unlock)
	if got := want(t, n.do(t, http.MethodGet, "/v1/lock-requests", n.ServiceManager.Token, nil), http.StatusOK).JSON["requests"].([]any); len(got) != 0 {
		t.Errorf("refused requests still wait for a decision: %v", got)
	}
}

package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebLockPagesSayRefusedAreLeftOut_UI1_LOCK2_LOCK7: the Locked cases
// page says in its opening words that the cases whose lock refuses the
// user are not listed (R-LOCK-7, R-LOCK-2), for a manager as for the
// coordinator, instead of claiming "every locked case in the network"
// while one such case is missing from the counts; the Messages page says
// it lists the cases whose responsible person can no longer read them,
// not only those whose responsible person left (R-LOCK-8). Neither names
// the case left out (R-LOCK-12).
func TestWebLockPagesSayRefusedAreLeftOut_UI1_LOCK2_LOCK7(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, map[string]any{"allow": []map[string]any{{"user_id": n.DutyMember.ID}},
		"deny": []map[string]any{{"team": "family"}}})
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "Seen near the school."), http.StatusAccepted)
	n.flushReads(t)

	for _, u := range []testUser{n.Admin, n.TeamManager} {
		p := n.webPage(t, "/locked-cases", u.Token)
		if p.Status != http.StatusOK || !strings.Contains(string(p.Body), "except those whose lock refuses you") {
			t.Errorf("%s: the Locked cases page does not say the cases whose lock refuses them are left out: %d\n%s", u.Username, p.Status, p.Body)
		}
	}

	// The responsible person is moved into the team the lock refuses:
	// someone the lock lets in reads the case's messages, and is told why.
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.AdviserB.ID, n.LeadB.Token,
		map[string]any{"team": "family"}), http.StatusOK)
	p := n.webPage(t, "/messages", n.DutyMember.Token)
	body := string(p.Body)
	if p.Status != http.StatusOK || !strings.Contains(body, "Seen near the school.") {
		t.Fatalf("someone the lock lets in does not see the messages: %d\n%s", p.Status, body)
	}
	if !strings.Contains(body, "whose responsible person has left or can no longer read them") {
		t.Errorf("the Messages page's opening words say only that it lists cases whose responsible person left:\n%s", body)
	}
}

package http

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestLockListsNameStaff_LOCK2: a lock request whose lists name a
// helpdesk user to let in (R-LOCK-2: helpdesk never has access), a user
// that does not exist, or a team of an organisation that does not exist,
// is refused 422 naming every such entry at once, and nothing is
// recorded. Teams are labels on accounts, so a team no account is in yet
// is accepted. A role on the allow list is refused in the allow list's
// own words.
func TestLockListsNameStaff_LOCK2(t *testing.T) {
	n := newLockNet(t)
	r := n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff",
		"allow": []map[string]any{{"user_id": n.HelpdeskB.ID}, {"user_id": uuid.NewString()}, {"team": "nobody-in-it-yet"},
			{"role": "emergency_duty"}, {"team": "duty", "organisation_id": uuid.NewString()}, {"user_id": n.AdviserC.ID}},
		"deny": []map[string]any{{"user_id": uuid.NewString()}, {"user_id": n.HelpdeskB.ID}}})
	p := r.invalid(t, "allow[0].user_id")
	var fields []string
	for _, f := range p.Errors {
		fields = append(fields, f.Field)
		if f.Field == "allow[3].role" && (strings.Contains(f.Message, "refused by role") || !strings.Contains(f.Message, "cannot be allowed")) {
			t.Errorf("the allow list's role error: %q", f.Message)
		}
		if f.Field == "allow[0].user_id" && !strings.Contains(f.Message, "helpdesk") {
			t.Errorf("the helpdesk entry's error: %q", f.Message)
		}
	}
	slices.Sort(fields)
	if wantFields := []string{"allow[0].user_id", "allow[1].user_id", "allow[3].role", "allow[4].organisation_id", "deny[0].user_id"}; !slices.Equal(fields, wantFields) {
		t.Fatalf("error fields %q, want %q: %s", fields, wantFields, r.Body)
	}
	if got := n.countEvents(t, domain.LockRequestedType); got != 0 {
		t.Fatalf("a refused request recorded %d lock requests", got)
	}
	n.lock(t, n.Client, map[string]any{"allow": []map[string]any{{"team": "nobody-in-it-yet"}, {"user_id": n.AdviserC.ID}},
		"deny": []map[string]any{{"user_id": n.HelpdeskB.ID}}})
}

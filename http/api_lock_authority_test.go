package http

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// lockNetA adds managers to the referring organisation, which holds the
// locked client too but does not own the lock.
type lockNetA struct {
	*lockNet
	TeamManagerA, ServiceManagerA testUser
}

func newLockNetA(tb testing.TB) *lockNetA {
	tb.Helper()
	n := &lockNetA{lockNet: newLockNet(tb)}
	n.TeamManagerA = n.addUser(tb, n.OrgA, "manager.a", domain.RoleTeamManager)
	n.ServiceManagerA = n.addUser(tb, n.OrgA, "service.a", domain.RoleServiceManager)
	return n
}

// addTeamMember opens an adviser account in a team of org, as the org lead
// with token.
func (n *lockNet) addTeamMember(tb testing.TB, token, org, username, team string) testUser {
	tb.Helper()
	want(tb, n.do(tb, http.MethodPost, "/v1/organisations/"+org+"/users", token, map[string]any{
		"username": username, "display_name": "Member " + username, "email": username + "@example.org",
		"roles": []string{"adviser"}, "team": team, "password": testInitialPassword}), http.StatusCreated)
	return n.firstSignIn(tb, username, testInitialPassword)
}

// newClient makes a referral from A to B for a new client and returns the
// referral and client ids.
func (n *lockNet) newClient(tb testing.TB, name string) (referral, client string) {
	tb.Helper()
	referral = n.makeReferral(tb, n.AdviserA.Token, n.OrgB, name)
	return referral, want(tb, n.do(tb, http.MethodGet, "/v1/referrals/"+referral, n.AdviserB.Token, nil), http.StatusOK).str("client_id")
}

// TestTeamOfAnotherOrganisation_LOCK11: {"team": "duty"} on a lock is the
// owning organisation's duty team; another organisation's lead making a
// "duty" adviser gets nothing by it. A team of another organisation is
// named with organisation_id, which must exist.
func TestTeamOfAnotherOrganisation_LOCK11(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil) // allow: [{"team": "duty"}]
	dutyA := n.addTeamMember(t, n.LeadA.Token, n.OrgA, "duty.a", "duty")
	path := "/v1/referrals/" + n.Referral
	want(t, n.do(t, http.MethodGet, path, n.DutyMember.Token, nil), http.StatusOK)
	if r := n.do(t, http.MethodGet, path, dutyA.Token, nil); r.Status != http.StatusForbidden {
		t.Fatalf("a duty adviser of another (involved) organisation: %d %s", r.Status, r.Body)
	}

	referral, client := n.newClient(t, "Client Teams")
	n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "r",
		"allow": []map[string]any{{"team": "duty", "organisation_id": uuid.NewString()}}}).invalid(t, "allow[0].organisation_id")
	n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "r",
		"allow": []map[string]any{{"user_id": n.AdviserA.ID, "organisation_id": n.OrgA}}}).invalid(t, "allow[0].organisation_id")
	n.lock(t, client, map[string]any{"allow": []map[string]any{{"team": "duty", "organisation_id": n.OrgA}}})
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+referral, dutyA.Token, nil), http.StatusOK)
	if r := n.do(t, http.MethodGet, "/v1/referrals/"+referral, n.DutyMember.Token, nil); r.Status != http.StatusForbidden {
		t.Fatalf("the owning organisation's duty team when the lock names A's: %d", r.Status)
	}
	report := want(t, n.do(t, http.MethodGet, "/v1/locked-cases", n.Admin.Token, nil), http.StatusOK)
	var body struct {
		Cases []struct {
			ClientID       string `json:"client_id"`
			OrganisationID string `json:"organisation_id"`
			Access         []struct {
				Kind           string `json:"kind"`
				Team           string `json:"team"`
				OrganisationID string `json:"organisation_id"`
			} `json:"access"`
		} `json:"cases"`
	}
	decodeInto(t, report, &body)
	for _, c := range body.Cases {
		if c.OrganisationID != n.OrgB {
			t.Errorf("case %s: owning organisation %s, want B's", c.ClientID, c.OrganisationID)
		}
		for _, a := range c.Access {
			if a.Kind == "allowed_team" && (c.ClientID == client) != (a.OrganisationID == n.OrgA) {
				t.Errorf("case %s: team entry %+v", c.ClientID, a)
			}
		}
	}
}

// TestLockAuthority_LOCK10: another organisation holding the client cannot
// review, ask to lift, lift or complete the review of B's lock; nobody
// decides their own request, even holding both manager roles; the
// responsible person is an active caseworker or manager of B, never
// helpdesk.
func TestLockAuthority_LOCK10(t *testing.T) {
	n := newLockNetA(t)
	lockPath := "/v1/clients/" + n.Client + "/lock-requests"
	for _, tc := range []struct {
		name        string
		responsible string
	}{
		{"helpdesk", n.HelpdeskB.ID},
		{"another organisation's adviser", n.AdviserA.ID},
		{"nobody", uuid.NewString()},
	} {
		n.do(t, http.MethodPost, lockPath, n.TeamManager.Token, map[string]any{"responsible_user_id": tc.responsible, "reason": "r"}).
			invalid(t, "responsible_user_id")
	}
	// A's own lock request is A's to decide: B's service manager may not.
	aRequest := want(t, n.do(t, http.MethodPost, lockPath, n.TeamManagerA.Token, map[string]any{"responsible_user_id": n.AdviserA.ID,
		"reason": "r", "serious_case_review": true}), http.StatusCreated).str("id")
	decide := func(request string, u testUser, approve bool) *response {
		return n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", u.Token, map[string]any{"approve": approve, "reason": "r"})
	}
	decide(aRequest, n.ServiceManager, true).problem(t, http.StatusForbidden)
	want(t, decide(aRequest, n.ServiceManagerA, false), http.StatusOK)

	// Self-approval, with both roles in one account.
	both := n.addUser(t, n.OrgB, "both.b", domain.RoleTeamManager, domain.RoleServiceManager)
	req := want(t, n.do(t, http.MethodPost, lockPath, both.Token, map[string]any{"responsible_user_id": n.AdviserB.ID,
		"reason": "r", "serious_case_review": true}), http.StatusCreated).str("id")
	decide(req, both, true).problem(t, http.StatusForbidden)
	decide(req, n.ServiceManagerA, true).problem(t, http.StatusForbidden)
	want(t, decide(req, n.ServiceManager, true), http.StatusOK)

	// Another involved organisation cannot touch B's lock: it is told the
	// case is locked, as on the case's own pages (R-LOCK-3).
	client := "/v1/clients/" + n.Client
	n.do(t, http.MethodPost, client+"/unlock-requests", n.TeamManagerA.Token, map[string]any{"reason": "lift"}).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, client+"/lock-reviews", n.TeamManagerA.Token, map[string]any{"keep_locked": false, "notes": "lift"}).
		problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, client+"/serious-case-review-completion", n.ServiceManagerA.Token, map[string]any{}).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, client+"/serious-case-review-completion", both.Token, map[string]any{}).problem(t, http.StatusForbidden)
	want(t, n.do(t, http.MethodPost, client+"/serious-case-review-completion", n.ServiceManager.Token, map[string]any{}), http.StatusOK)

	unlock := want(t, n.do(t, http.MethodPost, client+"/unlock-requests", both.Token, map[string]any{"reason": "over"}), http.StatusCreated).str("id")
	decide(unlock, n.ServiceManagerA, true).problem(t, http.StatusForbidden)
	decide(unlock, both, true).problem(t, http.StatusForbidden)
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.LeadB.Token, nil), http.StatusForbidden)
	if d := want(t, decide(unlock, n.ServiceManager, true), http.StatusOK); d.str("status") != "unlocked" {
		t.Fatalf("unlock: %s", d.Body)
	}
}

// sameAsUnknown checks that what u gets from method path (with the client
// or request id in it) is exactly what they get for an id that does not
// exist: same status, same problem body but for its instance and
// request id (R-LOCK-12).
func (n *lockNet) sameAsUnknown(tb testing.TB, u testUser, method, real, unknown string, body any) *response {
	tb.Helper()
	got := n.do(tb, method, real, u.Token, body)
	none := n.do(tb, method, unknown, u.Token, body)
	if got.Status != http.StatusNotFound || none.Status != http.StatusNotFound || got.withoutRequest(tb) != none.withoutRequest(tb) {
		tb.Fatalf("%s %s tells a caller without access something:\n real    %d %s\n unknown %d %s", method, real,
			got.Status, got.Body, none.Status, none.Body)
	}
	return got
}

// TestNothingLeaksAboutAHiddenLock_LOCK12: for someone without access (an
// involved organisation kept out of a hidden lock, an organisation not
// involved, helpdesk, another organisation's managers), every lock route
// on the locked client answers byte for byte as for a client (or lock
// request) that does not exist; so does temporary access on an unlocked
// client for an organisation not involved. Messages stay 202.
func TestNothingLeaksAboutAHiddenLock_LOCK12(t *testing.T) {
	n := newLockNetA(t)
	_, unlocked := n.newClient(t, "Client Open")
	n.lock(t, n.Client, map[string]any{"hide_notification": true, "serious_case_review": true})
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "over"}), http.StatusCreated).str("id")
	unknown := uuid.NewString()
	routes := []struct {
		name, method, path string
		body               any
	}{
		{"temporary access", http.MethodPost, "/v1/clients/%s/temporary-access", map[string]any{"user_id": n.LeadB.ID, "reason": "r", "hours": 2}},
		{"access log", http.MethodGet, "/v1/clients/%s/access-log", nil},
		{"lock review", http.MethodPost, "/v1/clients/%s/lock-reviews", map[string]any{"keep_locked": false, "notes": "lift"}},
		{"unlock request", http.MethodPost, "/v1/clients/%s/unlock-requests", map[string]any{"reason": "lift"}},
		{"serious case review", http.MethodPost, "/v1/clients/%s/serious-case-review-completion", map[string]any{}},
		{"lock request", http.MethodPost, "/v1/clients/%s/lock-requests", map[string]any{"responsible_user_id": n.AdviserA.ID, "reason": "r"}},
		{"ending temporary access", http.MethodDelete, "/v1/clients/%s/temporary-access/" + n.AdviserB.ID, nil},
	}
	for _, u := range []struct {
		name string
		user testUser
	}{
		{"involved org lead", n.LeadB},
		{"involved referrer", n.AdviserA},
		{"other organisation's team manager", n.TeamManagerA},
		{"other organisation's service manager", n.ServiceManagerA},
		{"helpdesk", n.HelpdeskB},
		{"not involved", n.AdviserC},
	} {
		t.Run(u.name, func(t *testing.T) {
			for _, r := range routes {
				n.sameAsUnknown(t, u.user, r.method, fmt.Sprintf(r.path, n.Client), fmt.Sprintf(r.path, unknown), r.body)
			}
			for _, approve := range []bool{true, false} {
				n.sameAsUnknown(t, u.user, http.MethodPost, "/v1/lock-requests/"+unlock+"/decision", "/v1/lock-requests/"+unknown+"/decision",
					map[string]any{"approve": approve, "reason": "r"})
			}
			for _, client := range []string{n.Client, unknown} {
				r := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/messages", u.user.Token, map[string]any{"text": "news"}), http.StatusAccepted)
				if string(r.Body) != `{"status":"accepted"}` {
					t.Fatalf("message answer: %s", r.Body)
				}
			}
		})
	}
	t.Run("unlocked client, organisation not involved", func(t *testing.T) {
		for _, r := range routes {
			n.sameAsUnknown(t, n.AdviserC, r.method, fmt.Sprintf(r.path, unlocked), fmt.Sprintf(r.path, unknown), r.body)
		}
	})
	t.Run("visible lock, organisation not involved", func(t *testing.T) {
		_, client := n.newClient(t, "Client Visible")
		n.lock(t, client, nil)
		for _, r := range routes {
			n.sameAsUnknown(t, n.AdviserC, r.method, fmt.Sprintf(r.path, client), fmt.Sprintf(r.path, unknown), r.body)
		}
		// An involved organisation is told whom it is locked to (R-LOCK-3).
		if p := n.do(t, http.MethodPost, "/v1/clients/"+client+"/temporary-access", n.LeadB.Token,
			map[string]any{"user_id": n.LeadB.ID, "reason": "r", "hours": 2}).problem(t, http.StatusForbidden); !strings.Contains(p.Detail, "Test adviser.b") {
			t.Fatalf("403 does not name the responsible person: %+v", p)
		}
	})
	// Those the lock lets in still get their answers.
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", n.AdviserB.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/temporary-access", n.AdviserB.Token,
		map[string]any{"user_id": n.LeadB.ID, "reason": "complaint", "hours": 2}), http.StatusCreated)
	n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/temporary-access", n.DutyMember.Token,
		map[string]any{"user_id": n.LeadB.ID, "reason": "r", "hours": 2}).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, "/v1/clients/"+unlocked+"/temporary-access", n.AdviserB.Token,
		map[string]any{"user_id": n.LeadB.ID, "reason": "r", "hours": 2}).problem(t, http.StatusConflict)
}

// TestNewReferralNamingALockedClient_LOCK12: a locked-out adviser of an
// involved organisation cannot name the locked client in a new referral:
// the refusal is the one for a made-up client_id, so nothing is made and
// their organisation does not become "involved" by it.
func TestNewReferralNamingALockedClient_LOCK12(t *testing.T) {
	n := newLockNet(t)
	_, visible := n.newClient(t, "Client Visible")
	n.lock(t, n.Client, map[string]any{"hide_notification": true})
	n.lock(t, visible, nil)
	naming := func(client string) map[string]any {
		body := validReferral(n.OrgC, "")
		body["client"] = map[string]any{"client_id": client}
		return body
	}
	before := n.countEvents(t, domain.ReferralMadeType)
	for _, client := range []string{n.Client, visible} {
		for _, u := range []testUser{n.AdviserA, n.LeadB} {
			got := n.do(t, http.MethodPost, "/v1/referrals", u.Token, naming(client))
			made := n.do(t, http.MethodPost, "/v1/referrals", u.Token, naming(uuid.NewString()))
			got.invalid(t, "client.client_id")
			if got.withoutRequest(t) != made.withoutRequest(t) {
				t.Fatalf("a locked client named by %s:\n %s\nvs a made-up id:\n %s", u.ID, got.Body, made.Body)
			}
		}
	}
	if after := n.countEvents(t, domain.ReferralMadeType); after != before {
		t.Fatalf("referrals made: %d", after-before)
	}
	// Whoever the lock lets in still may.
	want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserB.Token, naming(n.Client)), http.StatusCreated)
}

// TestTeamNamesIgnoreSpelling_LOCK2_LOCK11: a lock names teams as people
// type them; a member whose account spells the team with other case or
// spacing is in it all the same, so the allow list lets them in and the
// deny list, which wins, keeps them out.
func TestTeamNamesIgnoreSpelling_LOCK2_LOCK11(t *testing.T) {
	n := newLockNet(t) // DutyMember is in team "duty" of B
	referral, client := n.newClient(t, "Client Spelling")
	n.lock(t, client, map[string]any{"allow": []map[string]any{{"team": " Duty "}}})
	path := "/v1/referrals/" + referral
	want(t, n.do(t, http.MethodGet, path, n.DutyMember.Token, nil), http.StatusOK)

	// System support is in by role, until a deny list names their team.
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.CoordinatorOrg+"/users/"+n.SystemSupport.ID, n.Admin.Token,
		map[string]any{"team": "Out of  Hours"}), http.StatusOK)
	referral2, client2 := n.newClient(t, "Client Spelling Two")
	n.lock(t, client2, map[string]any{"deny": []map[string]any{{"team": "out of hours", "organisation_id": n.CoordinatorOrg}}})
	if r := n.do(t, http.MethodGet, "/v1/referrals/"+referral2, n.SystemSupport.Token, nil); r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
		t.Fatalf("system support in a refused team spelt otherwise: %d %s", r.Status, r.Body)
	}
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+referral2, n.EmergencyDuty.Token, nil), http.StatusOK)
}

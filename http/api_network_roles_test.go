package http

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// recordLegacyUser appends, as by, the account an org lead could open
// before R-AUTH-7 covered system support and emergency duty: the decision
// would refuse it today, so the event goes to the store directly, as an
// older ledger wrote it.
func (a *testAPI) recordLegacyUser(tb testing.TB, by testUser, username string, roles ...domain.Role) testUser {
	tb.Helper()
	hash, err := auth.Hasher{}.Hash(testUserPassword)
	if err != nil {
		tb.Fatal(err)
	}
	ev := &domain.OrganisationUserAdded{UserID: uuid.New(), Username: username, DisplayName: "Legacy " + username,
		Email: username + "@example.org", Roles: roles, PasswordHash: hash}
	org := uuid.MustParse(by.OrgID)
	data, err := ledger.NewPublicCodec().Encode(context.Background(), uuid.New(), ev, eventstore.Metadata{
		ActorUserID: by.ID, ActorOrganisationID: by.OrgID, RecordedAt: a.Clock.Now()})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := a.Store.Append(context.Background(), ledger.OrganisationStream(org), eventstore.Any(), data); err != nil {
		tb.Fatal(err)
	}
	return a.signInUser(tb, username, testUserPassword)
}

// TestNetworkRoles_AUTH7 covers R-AUTH-7 and R-LOCK-11: system support and
// emergency duty are network roles, which only the coordinator grants,
// removes, or closes the accounts of; one an org lead recorded before the
// rule stays in history and grants no access to locked cases (R-LOCK-2)
// until the coordinator grants it.
func TestNetworkRoles_AUTH7(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	path := "/v1/referrals/" + n.Referral
	users := "/v1/organisations/" + n.OrgB + "/users"

	t.Run("LeadCannotGrant", func(t *testing.T) {
		// The reproduction: an org lead creates a system_support user.
		for _, role := range []string{"system_support", "emergency_duty"} {
			body := map[string]any{"username": "lead.made." + role, "display_name": "Made by lead", "email": "m@example.org",
				"roles": []string{role}, "password": testUserPassword}
			if p := n.do(t, http.MethodPost, users, n.LeadB.Token, body).problem(t, http.StatusForbidden); !p.hasField("roles") {
				t.Errorf("%s: 403 does not name roles: %+v", role, p)
			}
		}
		if p := n.do(t, http.MethodPatch, users+"/"+n.AdviserB.ID, n.LeadB.Token,
			map[string]any{"roles": []string{"adviser", "system_support"}}).problem(t, http.StatusForbidden); !p.hasField("roles") {
			t.Errorf("PATCH: 403 does not name roles: %+v", p)
		}
	})

	t.Run("LegacyGrantByLeadIsVoid", func(t *testing.T) {
		// A system_support account an org lead opened before the rule reads
		// the locked case: refused.
		legacy := n.recordLegacyUser(t, n.LeadB, "legacy.support", domain.RoleAdviser, domain.RoleSystemSupport)
		if r := n.do(t, http.MethodGet, path, legacy.Token, nil); r.Status == http.StatusOK {
			t.Fatalf("a void system_support grant reads the locked case: %s", r.Body)
		}
		// The org lead may neither edit nor close it: it is the coordinator's.
		n.do(t, http.MethodPatch, users+"/"+legacy.ID, n.LeadB.Token, map[string]any{"roles": []string{"adviser"}}).
			problem(t, http.StatusForbidden)
		n.do(t, http.MethodDelete, users+"/"+legacy.ID, n.LeadB.Token, nil).problem(t, http.StatusForbidden)
		// The coordinator naming the role grants it; then it counts.
		r := want(t, n.do(t, http.MethodPatch, users+"/"+legacy.ID, n.Admin.Token,
			map[string]any{"roles": []string{"adviser", "system_support"}}), http.StatusOK)
		if roles, _ := r.get("roles").([]any); len(roles) != 2 {
			t.Errorf("roles after the grant: %s", r.Body)
		}
		want(t, n.do(t, http.MethodGet, path, legacy.Token, nil), http.StatusOK)
	})

	t.Run("LegacyGrantByCoordinatorCounts", func(t *testing.T) {
		legacy := n.recordLegacyUser(t, n.Admin, "legacy.duty", domain.RoleEmergencyDuty)
		want(t, n.do(t, http.MethodGet, path, legacy.Token, nil), http.StatusOK)
	})

	t.Run("CoordinatorRemovesAndCloses", func(t *testing.T) {
		support := "/v1/organisations/" + n.CoordinatorOrg + "/users/" + n.SystemSupport.ID
		want(t, n.do(t, http.MethodGet, path, n.SystemSupport.Token, nil), http.StatusOK)
		n.do(t, http.MethodPatch, support, n.LeadB.Token, map[string]any{"display_name": "x"}).problem(t, http.StatusForbidden)
		want(t, n.do(t, http.MethodPatch, support, n.Admin.Token, map[string]any{"roles": []string{"adviser"}}), http.StatusOK)
		if r := n.do(t, http.MethodGet, path, n.SystemSupport.Token, nil); r.Status == http.StatusOK {
			t.Fatalf("system support removed, still reads the locked case")
		}
		duty := n.addUser(t, n.OrgB, "duty.net", domain.RoleEmergencyDuty)
		n.do(t, http.MethodDelete, users+"/"+duty.ID, n.LeadB.Token, nil).problem(t, http.StatusForbidden)
		want(t, n.do(t, http.MethodDelete, users+"/"+duty.ID, n.Admin.Token, nil), http.StatusNoContent)
	})
}

// TestEditUser_ORG3 covers PATCH /v1/organisations/{id}/users/{user_id}
// (R-ORG-3, R-AUTH-7): the org lead of the organisation, or the
// coordinator, changes display name, email, roles and team; the answer is
// the user.
func TestEditUser_ORG3(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/organisations/" + n.OrgB + "/users/" + n.AdviserB.ID

	r := want(t, n.do(t, http.MethodPatch, path, n.LeadB.Token, map[string]any{"display_name": "Bea Adviser",
		"email": "bea@example.org", "roles": []string{"team_manager", "adviser"}, "team": "debt"}), http.StatusOK)
	if r.str("display_name") != "Bea Adviser" || r.str("email") != "bea@example.org" || r.str("team") != "debt" ||
		r.str("id") != n.AdviserB.ID {
		t.Errorf("edited user: %s", r.Body)
	}
	if roles, _ := r.get("roles").([]any); len(roles) != 2 || roles[0] != "adviser" || roles[1] != "team_manager" {
		t.Errorf("roles: %s", r.Body)
	}
	// The new roles count from the next request.
	me := want(t, n.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "adviser.b",
		"password": testUserPassword}), http.StatusCreated)
	if me.str("user", "team") != "debt" || me.str("user", "email") != "bea@example.org" {
		t.Errorf("signed in after the edit: %s", me.Body)
	}

	for _, tc := range []struct {
		name   string
		token  string
		path   string
		body   map[string]any
		status int
	}{
		{"LeadOfAnotherOrganisation", n.LeadA.Token, path, map[string]any{"display_name": "x"}, http.StatusForbidden},
		{"Adviser", n.AdviserB.Token, path, map[string]any{"display_name": "x"}, http.StatusForbidden},
		{"UserOfAnotherOrganisation", n.LeadB.Token, "/v1/organisations/" + n.OrgB + "/users/" + n.AdviserA.ID,
			map[string]any{"display_name": "x"}, http.StatusNotFound},
		{"BadEmail", n.LeadB.Token, path, map[string]any{"email": "nope"}, http.StatusUnprocessableEntity},
		{"NoRoles", n.LeadB.Token, path, map[string]any{"roles": []string{}}, http.StatusUnprocessableEntity},
		{"UnknownField", n.LeadB.Token, path, map[string]any{"password": "x"}, http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n.do(t, http.MethodPatch, tc.path, tc.token, tc.body).problem(t, tc.status)
		})
	}

	t.Run("ClosedAccount", func(t *testing.T) {
		want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+n.HelpdeskB.ID, n.LeadB.Token, nil), http.StatusNoContent)
		n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.HelpdeskB.ID, n.LeadB.Token,
			map[string]any{"display_name": "x"}).problem(t, http.StatusConflict)
	})

	t.Run("BootstrapCoordinatorEmail", func(t *testing.T) {
		// The first coordinator's address changes the same way.
		admin := "/v1/organisations/" + n.CoordinatorOrg + "/users/" + n.Admin.ID
		r := want(t, n.do(t, http.MethodPatch, admin, n.Admin.Token, map[string]any{"email": "lead@network.example"}), http.StatusOK)
		if r.str("email") != "lead@network.example" {
			t.Errorf("admin after the edit: %s", r.Body)
		}
		// The coordinator may not drop their own coordinator role.
		n.do(t, http.MethodPatch, admin, n.Admin.Token, map[string]any{"roles": []string{"org_lead"}}).invalid(t, "roles")
	})
}

// TestOrganisationNames_ORG1 covers R-ORG-1: organisation names are unique
// ignoring case and spacing, on registration and on rename (409 naming the
// field name).
func TestOrganisationNames_ORG1(t *testing.T) {
	n := newNetwork(t)
	register := func(name string) *response {
		return n.do(t, http.MethodPost, "/v1/organisations", n.Admin.Token, map[string]any{"name": name,
			"admin_email": "x@example.org", "description": "d", "services": []any{}})
	}
	rename := func(org, token, name string) *response {
		return n.do(t, http.MethodPatch, "/v1/organisations/"+org, token, map[string]any{"name": name})
	}
	for _, name := range []string{"Alpha Advice", " alpha  ADVICE", "AlphaAdvice", "Network coordinator"} {
		if p := register(name).problem(t, http.StatusConflict); !p.hasField("name") {
			t.Errorf("register %q: 409 does not name name: %+v", name, p)
		}
	}
	if p := rename(n.OrgB, n.LeadB.Token, "ALPHA advice").problem(t, http.StatusConflict); !p.hasField("name") {
		t.Errorf("rename: 409 does not name name: %+v", p)
	}
	// Its own name in another case is no conflict.
	want(t, rename(n.OrgB, n.LeadB.Token, "BETA Housing"), http.StatusOK)
	// A name given up is free again, and the new one is held.
	want(t, rename(n.OrgA, n.LeadA.Token, "Alpha Advice Ltd"), http.StatusOK)
	want(t, register("alpha advice"), http.StatusCreated)
	register("Alpha Advice LTD").problem(t, http.StatusConflict)
	rename(n.OrgC, n.Admin.Token, "alpha advice ltd").problem(t, http.StatusConflict)
}

// TestCoordinatorCannotCloseOwnAccount_AUTH7: the coordinator may not drop
// their own coordinator role, and so may not close their own account
// either (403, nothing recorded, still signed in); another coordinator
// may close it.
func TestCoordinatorCannotCloseOwnAccount_AUTH7(t *testing.T) {
	n := newNetwork(t)
	admin := "/v1/organisations/" + n.CoordinatorOrg + "/users/" + n.Admin.ID
	before := n.head(t)
	n.do(t, http.MethodDelete, admin, n.Admin.Token, nil).problem(t, http.StatusForbidden)
	if after := n.head(t); after != before {
		t.Fatalf("a refused closure recorded something: head %d → %d", before, after)
	}
	want(t, n.do(t, http.MethodGet, "/v1/directory", n.Admin.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": n.Admin.Username, "password": testAdminPassword}), http.StatusCreated)

	second := n.addUser(t, n.CoordinatorOrg, "second.coordinator", domain.RoleCoordinator)
	want(t, n.do(t, http.MethodDelete, admin, second.Token, nil), http.StatusNoContent)
	want(t, n.do(t, http.MethodGet, "/v1/directory", n.Admin.Token, nil), http.StatusUnauthorized)
}

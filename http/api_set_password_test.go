package http

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// setPasswordPath is the route that sets a user's one-time password.
func setPasswordPath(org, user string) string {
	return "/v1/organisations/" + org + "/users/" + user + "/password"
}

// TestSetUserPassword_AUTH6_AUTH7: a user who forgot their password gets
// a new one-time password from their organisation's lead, or from the
// coordinator, while the server runs. It must meet the policy (422
// naming password); it is recorded as the hash alone, by whoever set it,
// flagged for change; every session of the user ends, and at their next
// sign-in they must change it before anything else (R-AUTH-6). An org
// lead cannot for another organisation, for an account holding a network
// role (R-AUTH-7), for a closed account or for themselves; nobody else
// can at all; a refusal writes nothing and ends no session.
func TestSetUserPassword_AUTH6_AUTH7(t *testing.T) {
	n := newNetwork(t)
	support := n.addUser(t, n.OrgA, "support.a", domain.RoleSystemSupport) // a network role, granted by the coordinator
	legacy := n.recordLegacyUser(t, n.LeadA, "legacy.duty.a", domain.RoleAdviser, domain.RoleEmergencyDuty)
	leaver := n.addUser(t, n.OrgA, "leaver.a", domain.RoleAdviser)
	want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgA+"/users/"+leaver.ID, n.LeadA.Token, nil), http.StatusNoContent)
	const fresh = "Lantern#Otter-Path58"

	t.Run("RefusedWritesNothing", func(t *testing.T) {
		body := map[string]string{"password": fresh}
		for _, tc := range []struct {
			name, path, token string
			status            int
		}{
			{"LeadOfAnotherOrganisation", setPasswordPath(n.OrgB, n.AdviserB.ID), n.LeadA.Token, http.StatusForbidden},
			{"UserOfAnotherOrganisationThroughOwn", setPasswordPath(n.OrgA, n.AdviserB.ID), n.LeadA.Token, http.StatusNotFound},
			{"Adviser", setPasswordPath(n.OrgA, n.LeadA.ID), n.AdviserA.Token, http.StatusForbidden},
			{"Auditor", setPasswordPath(n.OrgA, n.AdviserA.ID), n.Auditor.Token, http.StatusForbidden},
			{"LeadForNetworkRoleAccount", setPasswordPath(n.OrgA, support.ID), n.LeadA.Token, http.StatusForbidden},
			{"LeadForVoidNetworkRoleAccount", setPasswordPath(n.OrgA, legacy.ID), n.LeadA.Token, http.StatusForbidden},
			{"LeadForThemselves", setPasswordPath(n.OrgA, n.LeadA.ID), n.LeadA.Token, http.StatusForbidden},
			{"CoordinatorForThemselves", setPasswordPath(n.CoordinatorOrg, n.Admin.ID), n.Admin.Token, http.StatusForbidden},
			{"ClosedAccount", setPasswordPath(n.OrgA, leaver.ID), n.LeadA.Token, http.StatusConflict},
			{"ClosedAccountByCoordinator", setPasswordPath(n.OrgA, leaver.ID), n.Admin.Token, http.StatusConflict},
			{"NoSuchUser", setPasswordPath(n.OrgA, uuid.NewString()), n.LeadA.Token, http.StatusNotFound},
			{"NoSuchOrganisation", setPasswordPath(uuid.NewString(), n.AdviserA.ID), n.Admin.Token, http.StatusNotFound},
			{"NotSignedIn", setPasswordPath(n.OrgA, n.AdviserA.ID), "", http.StatusUnauthorized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := n.head(t)
				n.do(t, http.MethodPut, tc.path, tc.token, body).problem(t, tc.status)
				if after := n.head(t); after != before {
					t.Fatalf("a refused password was recorded: head %d → %d", before, after)
				}
			})
		}
		// Nobody refused was signed out.
		for _, u := range []testUser{n.AdviserA, n.AdviserB, n.LeadA, support, legacy} {
			want(t, n.do(t, http.MethodGet, "/v1/directory", u.Token, nil), http.StatusOK)
		}
		n.signIn(t, "support.a", testUserPassword)
	})

	t.Run("PolicyRefusalNamesPassword", func(t *testing.T) {
		// R-AUTH-2 through the same check as any new password: too short,
		// missing a class, on the common-password list however dressed,
		// built on the username or the organisation's name; or missing.
		before := n.head(t)
		path := setPasswordPath(n.OrgA, n.AdviserA.ID)
		for _, pw := range []string{"Sh0rt!", "alllowercase", "Password1!", "P@ssw0rd", "adviser.a#Z9", "AlphaAdvice#2026"} {
			n.do(t, http.MethodPut, path, n.LeadA.Token, map[string]string{"password": pw}).invalid(t, "password")
		}
		n.do(t, http.MethodPut, path, n.LeadA.Token, map[string]string{}).invalid(t, "password")
		n.do(t, http.MethodPut, path, n.LeadA.Token, map[string]string{"password": ""}).invalid(t, "password")
		if after := n.head(t); after != before {
			t.Fatalf("a refused password was recorded: head %d → %d", before, after)
		}
		want(t, n.do(t, http.MethodGet, "/v1/directory", n.AdviserA.Token, nil), http.StatusOK)
	})

	t.Run("LeadSetsOneTimePassword", func(t *testing.T) {
		other := n.signIn(t, "adviser.a", testUserPassword)
		for _, token := range []string{n.AdviserA.Token, other} {
			want(t, n.do(t, http.MethodGet, "/v1/directory", token, nil), http.StatusOK)
		}
		events := len(n.readStream(t, ledger.OrganisationStream(uuid.MustParse(n.OrgA))))
		want(t, n.do(t, http.MethodPut, setPasswordPath(n.OrgA, n.AdviserA.ID), n.LeadA.Token,
			map[string]string{"password": fresh}), http.StatusNoContent)

		// Every session of the user has ended (R-AUTH-6).
		for _, token := range []string{n.AdviserA.Token, other} {
			n.do(t, http.MethodGet, "/v1/directory", token, nil).problem(t, http.StatusUnauthorized)
		}
		// Recorded once, by the lead, as the hash alone, flagged for change.
		stream := n.readStream(t, ledger.OrganisationStream(uuid.MustParse(n.OrgA)))
		if len(stream) != events+1 {
			t.Fatalf("%d events recorded, want 1", len(stream)-events)
		}
		ev := stream[len(stream)-1]
		if ev.Type != domain.OrganisationPasswordChangedType || ev.Metadata.ActorUserID != n.LeadA.ID {
			t.Fatalf("recorded %s by %s, want %s by the lead %s", ev.Type, ev.Metadata.ActorUserID,
				domain.OrganisationPasswordChangedType, n.LeadA.ID)
		}
		var data domain.OrganisationPasswordChanged
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatalf("event data %s: %v", ev.Data, err)
		}
		if data.UserID.String() != n.AdviserA.ID || !data.PasswordChangeRequired {
			t.Fatalf("event data %s: want the adviser's password, flagged for change", ev.Data)
		}
		if ok, err := auth.VerifyPassword(data.PasswordHash, fresh); err != nil || !ok {
			t.Fatalf("the recorded hash does not verify the password set: %v %v", ok, err)
		}
		for _, where := range []string{string(ev.Data), n.Logs.String()} {
			if strings.Contains(where, fresh) {
				t.Fatal("the password itself was recorded or logged")
			}
		}

		// The old password no longer works; the new one must be changed
		// before anything else, and then the user carries on.
		n.signInAttempt(t, "adviser.a", testUserPassword).problem(t, http.StatusUnauthorized)
		r := want(t, n.signInAttempt(t, "adviser.a", fresh), http.StatusCreated)
		if due, _ := r.get("password_change_due").(bool); !due {
			t.Fatalf("password_change_due is not true after a reset: %s", r.Body)
		}
		token := r.str("token")
		n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, token, nil).problem(t, http.StatusForbidden)
		want(t, n.do(t, http.MethodPut, "/v1/users/me/password", token, map[string]string{
			"current_password": fresh, "new_password": testUserPassword + "2"}), http.StatusNoContent)
		r = want(t, n.signInAttempt(t, "adviser.a", testUserPassword+"2"), http.StatusCreated)
		if due, _ := r.get("password_change_due").(bool); due {
			t.Fatalf("password_change_due still true once the user chose their own: %s", r.Body)
		}
		n.AdviserA.Token = r.str("token")
		want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK)
	})

	t.Run("CoordinatorForAnyAccount", func(t *testing.T) {
		// The coordinator, for any organisation's user and for an account
		// holding a network role (R-AUTH-7), another org lead included.
		for _, u := range []testUser{support, legacy, n.LeadB} {
			want(t, n.do(t, http.MethodPut, setPasswordPath(u.OrgID, u.ID), n.Admin.Token,
				map[string]string{"password": fresh}), http.StatusNoContent)
			n.do(t, http.MethodGet, "/v1/directory", u.Token, nil).problem(t, http.StatusUnauthorized)
			r := want(t, n.signInAttempt(t, u.Username, fresh), http.StatusCreated)
			if due, _ := r.get("password_change_due").(bool); !due {
				t.Fatalf("%s: password_change_due is not true after a reset: %s", u.Username, r.Body)
			}
		}
	})

	t.Run("LeadForAnotherLead", func(t *testing.T) {
		// Another org lead of the same organisation is one of its users.
		lead2 := n.addUser(t, n.OrgA, "lead2.a", domain.RoleOrgLead)
		want(t, n.do(t, http.MethodPut, setPasswordPath(n.OrgA, lead2.ID), n.LeadA.Token,
			map[string]string{"password": fresh}), http.StatusNoContent)
		n.do(t, http.MethodGet, "/v1/directory", lead2.Token, nil).problem(t, http.StatusUnauthorized)
	})
}

// keptSessions is a session store that does not learn of a deletion, as
// the session cache of another node would not.
type keptSessions struct{ ledger.Sessions }

func (keptSessions) DeleteForUser(string) error { return nil }

// TestSetUserPasswordEndsSessionsOnEveryNode_AUTH6: a session survives
// in a store (another node's cache) that never heard the reset, and
// still ends on its very next request, because it was opened with
// another password than the one now recorded (R-AUTH-6).
func TestSetUserPasswordEndsSessionsOnEveryNode_AUTH6(t *testing.T) {
	n := newTestAPI(t, withFaults(nil, func(s ledger.Sessions) ledger.Sessions { return keptSessions{s} }))
	org := n.registerOrg(t, "Delta Advice")
	u := n.addUser(t, org, "delta.adviser", domain.RoleAdviser)
	want(t, n.do(t, http.MethodGet, "/v1/directory", u.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodPut, setPasswordPath(org, u.ID), n.Admin.Token,
		map[string]string{"password": "Lantern#Otter-Path58"}), http.StatusNoContent)
	n.do(t, http.MethodGet, "/v1/directory", u.Token, nil).problem(t, http.StatusUnauthorized)
}

// TestSetPasswordLiftsLockout_AUTH3_AUTH6: an account locked out by failed
// sign-ins (someone forgot their password and kept trying) can sign in at
// once with the one-time password its organisation's lead then sets; the
// lead does not have to tell them to wait out the lockout. The lockout of
// the client address is not the lead's to lift.
func TestSetPasswordLiftsLockout_AUTH3_AUTH6(t *testing.T) {
	n := newNetwork(t)
	signIn := func(password string) *response {
		return n.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": n.AdviserA.Username, "password": password})
	}
	for range 5 {
		want(t, signIn("Not-The-Password#1"), http.StatusUnauthorized)
	}
	want(t, signIn(testUserPassword), http.StatusTooManyRequests)

	const fresh = "Lantern#Otter-Path58"
	want(t, n.do(t, http.MethodPut, setPasswordPath(n.OrgA, n.AdviserA.ID), n.LeadA.Token, map[string]string{"password": fresh}), http.StatusNoContent)
	r := want(t, signIn(fresh), http.StatusCreated)
	if due, _ := r.get("password_change_due").(bool); !due {
		t.Fatalf("a password set by the lead is not due for change: %s", r.Body)
	}
}

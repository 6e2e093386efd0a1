package http

import (
	"net/http"
	"slices"
	"testing"
)

// emptyCreate sends a create with an empty object and checks that one 422
// names every field in fields (API.md "Conventions": errors list the
// fields at fault, not only the first the handler looks at) and that
// nothing is written.
func emptyCreate(t *testing.T, n *network, path, token string, fields ...string) {
	t.Helper()
	before := n.head(t)
	p := n.do(t, http.MethodPost, path, token, map[string]any{}).problem(t, http.StatusUnprocessableEntity)
	var got []string
	for _, f := range p.Errors {
		got = append(got, f.Field)
	}
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Errorf("the 422 does not name %s; it names %v", f, got)
		}
	}
	if after := n.head(t); after != before {
		t.Errorf("a refused create appended: head %d → %d", before, after)
	}
}

// TestEmptyReferralNamesEveryMissingField_REF1_REF10: a referral or a
// forward sent without its receiver used to be answered with that field
// alone; the reason, the consent and the rest missing too were left for
// the next attempt.
func TestEmptyReferralNamesEveryMissingField_REF1_REF10(t *testing.T) {
	n := newNetwork(t)
	emptyCreate(t, n, "/v1/referrals", n.AdviserA.Token,
		"to_organisation_id", "client.name", "reason", "consent", "privacy_notice_given")
	emptyCreate(t, n, "/v1/referrals/"+n.Referral+"/forward", n.AdviserB.Token,
		"to_organisation_id", "comment", "consent")
}

// TestEmptyAccountNamesEveryMissingField_ORG3: an account sent without a
// password used to be answered with the password alone, even to someone
// who may not open accounts at all; now every missing field is named, and
// who may not gets 403 first.
func TestEmptyAccountNamesEveryMissingField_ORG3(t *testing.T) {
	n := newNetwork(t)
	emptyCreate(t, n, "/v1/organisations/"+n.OrgA+"/users", n.LeadA.Token,
		"username", "display_name", "email", "roles", "password")
	n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.AdviserA.Token, map[string]any{}).
		problem(t, http.StatusForbidden)
}

// TestEmptyLockRequestNamesEveryMissingField_LOCK1_LOCK4: a lock request
// without its responsible person, and a grant of short-term access without
// its user, used to be answered with that field alone; the reason and the
// hours missing too are now named in the same 422.
func TestEmptyLockRequestNamesEveryMissingField_LOCK1_LOCK4(t *testing.T) {
	n := newLockNet(t)
	emptyCreate(t, n.network, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token,
		"responsible_user_id", "reason")
	n.lock(t, n.Client, nil)
	emptyCreate(t, n.network, "/v1/clients/"+n.Client+"/temporary-access", n.AdviserB.Token,
		"user_id", "reason", "hours")
}

// TestMalformedIdNamedWithEveryOtherField_REF1_REF10: an id in a referral
// or a forward that is no UUID used to be answered alone; it is now named
// with every other field at fault, in one 422 that writes nothing, and
// is not also reported as missing.
func TestMalformedIdNamedWithEveryOtherField_REF1_REF10(t *testing.T) {
	n := newNetwork(t)
	for _, tc := range []struct {
		name, path, token string
		body              map[string]any
		fields            []string
	}{
		{"MakeReferral", "/v1/referrals", n.AdviserA.Token,
			map[string]any{"to_organisation_id": "not-an-id", "client": map[string]any{"client_id": "nor-this"}},
			[]string{"to_organisation_id", "client.client_id", "reason", "consent", "privacy_notice_given"}},
		{"Forward", "/v1/referrals/" + n.Referral + "/forward", n.AdviserB.Token,
			map[string]any{"to_organisation_id": "not-an-id"},
			[]string{"to_organisation_id", "comment", "consent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := n.head(t)
			p := n.do(t, http.MethodPost, tc.path, tc.token, tc.body).problem(t, http.StatusUnprocessableEntity)
			var got []string
			for _, f := range p.Errors {
				got = append(got, f.Field)
			}
			for _, f := range tc.fields {
				if !slices.Contains(got, f) {
					t.Errorf("the 422 does not name %s; it names %v", f, got)
				}
			}
			if slices.Contains(got, "client.name") {
				t.Errorf("a client named by an id was asked for a name too: %v", p.Errors)
			}
			for _, f := range p.Errors {
				if f.Field == "to_organisation_id" && f.Message != "must be a UUID" {
					t.Errorf("to_organisation_id named twice or wrongly: %v", p.Errors)
				}
			}
			if after := n.head(t); after != before {
				t.Errorf("a refused create appended: head %d → %d", before, after)
			}
		})
	}
}

// TestMalformedIdInLockRequestNamedWithEveryOtherField_LOCK1_LOCK12: a
// lock request naming a responsible person or an allowed user by an id
// that is no UUID used to be answered with those alone, before the lock's
// gate; now they are named with every other field at fault, each once,
// and only to someone the gate lets that far: anyone else learns nothing
// more than for a client that does not exist (R-LOCK-12).
func TestMalformedIdInLockRequestNamedWithEveryOtherField_LOCK1_LOCK12(t *testing.T) {
	n := newLockNet(t)
	body := map[string]any{"responsible_user_id": "not-an-id", "allow": []map[string]any{{"user_id": "nor-this"}},
		"deny": []map[string]any{{"team": "duty", "organisation_id": "nor-that"}}}
	before := n.head(t)
	p := n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token, body).
		problem(t, http.StatusUnprocessableEntity)
	got := map[string]int{}
	for _, f := range p.Errors {
		got[f.Field]++
	}
	for _, f := range []string{"responsible_user_id", "allow[0].user_id", "deny[0].organisation_id", "reason"} {
		if got[f] != 1 {
			t.Errorf("the 422 names %s %d times: %v", f, got[f], p.Errors)
		}
	}
	if got["allow[0]"]+got["deny[0]"] != 0 {
		t.Errorf("an entry whose id is malformed is named again as a whole: %v", p.Errors)
	}
	outsider := n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.AdviserC.Token, body).
		problem(t, http.StatusNotFound)
	nobody := n.do(t, http.MethodPost, "/v1/clients/11111111-1111-4111-8111-111111111111/lock-requests", n.AdviserC.Token, body).
		problem(t, http.StatusNotFound)
	if outsider.Detail != nobody.Detail {
		t.Errorf("an outsider is told %q about the client, %q about none", outsider.Detail, nobody.Detail)
	}
	if after := n.head(t); after != before {
		t.Errorf("a refused lock request appended: head %d → %d", before, after)
	}
}

// TestSetPasswordWithoutOneRefusedToWhoMayNot_AUTH7: setting someone's
// one-time password without giving one was answered 422 before the check
// of who may set it, so whoever may not learnt only that the body was
// short; they now get 403 whatever the body, and the lead 422.
func TestSetPasswordWithoutOneRefusedToWhoMayNot_AUTH7(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/organisations/" + n.OrgA + "/users/" + n.AdviserA.ID + "/password"
	before := n.head(t)
	for _, user := range []testUser{n.AdviserA, n.LeadB, n.AdviserC} {
		n.do(t, http.MethodPut, path, user.Token, map[string]any{}).problem(t, http.StatusForbidden)
	}
	n.do(t, http.MethodPut, path, n.LeadA.Token, map[string]any{}).invalid(t, "password")
	if after := n.head(t); after != before {
		t.Errorf("a refused password appended: head %d → %d", before, after)
	}
}

// TestAssignmentWithoutUserRefusedAfterNeedToKnow_REF5_AUTH4: an
// assignment sent without user_id was answered 422 to anyone, before the
// check of who may assign the referral or even see it; now whoever may not
// see it gets 404 and whoever may see but not assign it 403, as for any
// body, and the receiver 422 naming user_id.
func TestAssignmentWithoutUserRefusedAfterNeedToKnow_REF5_AUTH4(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/referrals/" + n.Referral + "/assignment"
	before := n.head(t)
	n.do(t, http.MethodPost, path, n.AdviserC.Token, map[string]any{}).problem(t, http.StatusNotFound)
	n.do(t, http.MethodPost, path, n.AdviserA.Token, map[string]any{}).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{}).invalid(t, "user_id")
	if after := n.head(t); after != before {
		t.Errorf("a refused assignment appended: head %d → %d", before, after)
	}
	want(t, n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{"user_id": n.AdviserB.ID}), http.StatusOK)
}

package http

import (
	"net/http"
	"slices"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// fieldsOf returns the fields a problem names, in order.
func fieldsOf(p apiProblem) []string {
	var got []string
	for _, f := range p.Errors {
		got = append(got, f.Field)
	}
	return got
}

// refusedWhole sends body and checks that one 422 names exactly the fields
// in want, each once, and that nothing is written.
func refusedWhole(t *testing.T, a *testAPI, method, path, token string, body any, want ...string) apiProblem {
	t.Helper()
	before := a.head(t)
	p := a.do(t, method, path, token, body).problem(t, http.StatusUnprocessableEntity)
	got := fieldsOf(p)
	for _, f := range want {
		if n := countOf(got, f); n != 1 {
			t.Errorf("the 422 names %s %d times; it names %v", f, n, p.Errors)
		}
	}
	for _, f := range got {
		if !slices.Contains(want, f) {
			t.Errorf("the 422 names %s too: %v", f, p.Errors)
		}
	}
	if after := a.head(t); after != before {
		t.Errorf("a refused request appended: head %d → %d", before, after)
	}
	return p
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestWrongTypeNamedWithEveryOtherField_REF1: a referral whose urgency was
// sent as a string was answered 422 naming urgent alone; the reason missing
// and the client's email malformed were told only once the urgency was put
// right. One 422 now names all three, and writes nothing.
func TestWrongTypeNamedWithEveryOtherField_REF1(t *testing.T) {
	n := newNetwork(t)
	body := withField(withField(withField(validReferral(n.OrgB, "Client Typed"),
		"urgent", "yes"), "reason", deleteField), "client.email", "not an address")
	p := refusedWhole(t, n.testAPI, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body,
		"urgent", "reason", "client.email")
	for _, f := range p.Errors {
		if f.Field == "urgent" && f.Message != "must be true or false" {
			t.Errorf("urgent: %q, want the type it must have", f.Message)
		}
	}

	// An unknown field joins the list in the same way, and a value of the
	// wrong type is named as such, not also as missing: a consent sent as
	// a string is not "required" as well.
	body = withField(withField(withField(validReferral(n.OrgB, "Client Typed"),
		"consent", "yes"), "colour", "blue"), "reason", "")
	refusedWhole(t, n.testAPI, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body,
		"consent", "body", "reason")

	// A body whose only fault is a type is still refused, and writes
	// nothing, though the rest would make a referral.
	refusedWhole(t, n.testAPI, http.MethodPost, "/v1/referrals", n.AdviserA.Token,
		withField(validReferral(n.OrgB, "Client Typed"), "privacy_notice_given", "yes"), "privacy_notice_given")

	// A body that is no JSON is answered as before: 400, no field errors.
	p = n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, jsonText(`{"urgent": "yes", "reason": `)).
		problem(t, http.StatusBadRequest)
	if len(p.Errors) != 0 {
		t.Errorf("a body that is no JSON is answered with field errors: %v", p.Errors)
	}
}

// TestWrongTypeNamedWithEveryOtherFieldOnEveryBody_REF10_ORG3_LOCK1: the
// same holds for every JSON body, whatever its handler: a forward, an
// account, a lock request, a referral action and a sign-in each answer
// one 422 naming the type errors with the other fields at fault.
func TestWrongTypeNamedWithEveryOtherFieldOnEveryBody_REF10_ORG3_LOCK1(t *testing.T) {
	n := newLockNet(t)
	t.Run("Forward", func(t *testing.T) {
		refusedWhole(t, n.testAPI, http.MethodPost, "/v1/referrals/"+n.Referral+"/forward", n.AdviserB.Token,
			map[string]any{"to_organisation_id": 7, "consent": map[string]any{"method": "written", "confirmed": "yes"}},
			"to_organisation_id", "consent.confirmed", "comment")
	})
	t.Run("Account", func(t *testing.T) {
		refusedWhole(t, n.testAPI, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.LeadA.Token,
			map[string]any{"username": "typed.user", "display_name": "Typed", "email": "not an address", "roles": "adviser"},
			"roles", "email", "password")
	})
	t.Run("LockRequest", func(t *testing.T) {
		refusedWhole(t, n.testAPI, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token,
			map[string]any{"responsible_user_id": n.AdviserB.ID, "hide_notification": "yes", "allow": []any{"duty"}},
			"hide_notification", "allow[0]", "reason")
	})
	t.Run("Closure", func(t *testing.T) {
		refusedWhole(t, n.testAPI, http.MethodPost, "/v1/referrals/"+n.Referral+"/closure", n.AdviserB.Token,
			map[string]any{"outcome": "maybe", "comment": 3}, "outcome", "comment")
	})
	t.Run("SignIn", func(t *testing.T) {
		refusedWhole(t, n.testAPI, http.MethodPost, "/v1/sessions", "",
			map[string]any{"password": 1234}, "username", "password")
	})
	// A body whose only fault is a type or an unknown field, where nothing
	// is written to the ledger (a client search, a sign-in), is refused
	// too, not run on what was left of it.
	t.Run("SearchOnlyUnknownField", func(t *testing.T) {
		refusedWhole(t, n.testAPI, http.MethodPost, "/v1/clients/search", n.AdviserA.Token,
			map[string]any{"name": "Client Zero", "date_of_birth": "1980-02-29", "colour": "blue"}, "body")
	})
	t.Run("SignInOnlyWrongType", func(t *testing.T) {
		refusedWhole(t, n.testAPI, http.MethodPost, "/v1/sessions", "",
			map[string]any{"username": n.AdviserA.Username, "password": n.AdviserA.Password, "code": 123456}, "code")
	})
}

// TestWrongTypeRefusedAfterAccessChecks_AUTH4_LOCK12: a type error is
// now reported where every other field error is, after the checks of who
// may act: whoever may not open accounts gets 403, whoever may not see a
// referral 404, and someone a hidden lock keeps out learns no more than
// for a client that does not exist (R-LOCK-12).
func TestWrongTypeRefusedAfterAccessChecks_AUTH4_LOCK12(t *testing.T) {
	n := newLockNet(t)
	before := n.head(t)
	n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.AdviserA.Token,
		map[string]any{"roles": "adviser"}).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/closure", n.AdviserC.Token,
		map[string]any{"outcome": "positive", "comment": 3}).problem(t, http.StatusNotFound)
	if after := n.head(t); after != before {
		t.Errorf("refused requests appended: head %d → %d", before, after)
	}
	n.lock(t, n.Client, map[string]any{"hide_notification": true})
	before = n.head(t)
	body := map[string]any{"reason": 5}
	outsider := n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.AdviserC.Token, body).
		problem(t, http.StatusNotFound)
	nobody := n.do(t, http.MethodPost, "/v1/clients/11111111-1111-4111-8111-111111111111/unlock-requests", n.AdviserC.Token, body).
		problem(t, http.StatusNotFound)
	if outsider.Detail != nobody.Detail {
		t.Errorf("an outsider is told %q about the client, %q about none", outsider.Detail, nobody.Detail)
	}
	refusedWhole(t, n.testAPI, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token, body, "reason")
	if after := n.head(t); after != before {
		t.Errorf("refused requests appended: head %d → %d", before, after)
	}
}

// TestDecodeJSONKeepsTheRestOfABodyWithFieldErrors: a body whose faults
// are field errors alone is decoded for everything else, so that the
// handler can name the rest of what is wrong in the same answer; a value
// at fault is left unset (an array element at fault becomes its zero
// value, keeping the others' indexes).
func TestDecodeJSONKeepsTheRestOfABodyWithFieldErrors(t *testing.T) {
	var dst decodeTarget
	err := decodeJSONBytes([]byte(`{"urgent":"yes","Reason":"x","reason":"Kept.","colour":{"a":1},`+
		`"client":{"name":7,"date_of_birth":"1980-02-29"},"services":[{"name":"A"},3,{"name":"C"}],"count":300,`+
		`"consent":{"method":"written","method":"verbal"}}`), &dst)
	want := []string{"urgent", "body", "client.name", "services[1]", "count", "consent.method"}
	got := domain.ErrorFields(err)
	if domain.ErrorCode(err) != domain.Invalid || len(got) != len(want) {
		t.Fatalf("err = %v, fields %v", err, got)
	}
	for i, f := range got {
		if f.Field != want[i] {
			t.Errorf("field %d: %s, want %s", i, f.Field, want[i])
		}
	}
	if dst.Reason != "Kept." || dst.Client.DateOfBirth != "1980-02-29" || dst.Client.Name != "" || dst.Urgent || dst.Count != 0 {
		t.Errorf("the rest decoded as %+v", dst)
	}
	if len(dst.Services) != 3 || dst.Services[0].Name != "A" || dst.Services[1].Name != "" || dst.Services[2].Name != "C" {
		t.Errorf("services decoded as %+v", dst.Services)
	}
	if dst.Consent == nil || dst.Consent.Method != "" {
		t.Errorf("a duplicated key is kept: %+v", dst.Consent)
	}
}

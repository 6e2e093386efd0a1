package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestUnknownKeyNeverEchoed_PRIV7: a key a request does not take may be
// client data typed in the wrong place (a name sent as a key), so the 422
// never repeats it, however much it looks like a field name: it names the
// object that holds it ("body" for the body itself) as having a field the
// request does not accept, in the detail and in the errors alike. An
// object holding such a key still has its own members checked.
func TestUnknownKeyNeverEchoed_PRIV7(t *testing.T) {
	const marker = "zzmarkerzz"
	n := newNetwork(t)
	good := validReferral(n.OrgB, "Client Keyed")
	for _, tc := range []struct {
		name, path string
		token      string
		body       any
		want       []domain.FieldError
	}{
		{name: "TopLevel", path: "/v1/referrals", token: n.AdviserA.Token, body: withField(good, marker, "x"),
			want: []domain.FieldError{{Field: "body", Message: "has a field this request does not accept"}}},
		{name: "Nested", path: "/v1/referrals", token: n.AdviserA.Token, body: withField(good, "client."+marker, "x"),
			want: []domain.FieldError{{Field: "client", Message: "has a field this request does not accept"}}},
		{name: "NestedWithAnotherFault", path: "/v1/referrals", token: n.AdviserA.Token,
			body: withField(withField(good, "client."+marker, "x"), "client.email", "not an address"),
			want: []domain.FieldError{{Field: "client", Message: "has a field this request does not accept"},
				{Field: "client.email", Message: ""}}},
		{name: "Repeated", path: "/v1/referrals", token: n.AdviserA.Token,
			body: jsonText(`{"` + marker + `":1,"` + marker + `":2,"` + strings.ToUpper(marker) + `":3,` + string(mustJSON(t, good)[1:])),
			want: []domain.FieldError{{Field: "body", Message: "has a field this request does not accept"}}},
		{name: "SearchNothingWritten", path: "/v1/clients/search", token: n.AdviserA.Token,
			body: map[string]any{"name": "Client Keyed", "date_of_birth": "1980-02-29", marker: "x"},
			want: []domain.FieldError{{Field: "body", Message: "has a field this request does not accept"}}},
		{name: "SignIn", path: "/v1/sessions",
			body: map[string]any{"username": n.AdviserA.Username, "password": n.AdviserA.Password, marker: "x"},
			want: []domain.FieldError{{Field: "body", Message: "has a field this request does not accept"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := n.do(t, http.MethodPost, tc.path, tc.token, tc.body)
			p := r.problem(t, http.StatusUnprocessableEntity)
			if strings.Contains(strings.ToLower(string(r.Body)), marker) {
				t.Errorf("the answer repeats the key: %s", r.Body)
			}
			for k, vs := range r.Header {
				for _, v := range vs {
					if strings.Contains(strings.ToLower(v), marker) {
						t.Errorf("header %s repeats the key: %q", k, v)
					}
				}
			}
			for _, w := range tc.want {
				found := false
				for _, f := range p.Errors {
					found = found || f.Field == w.Field && (w.Message == "" || f.Message == w.Message)
				}
				if !found {
					t.Errorf("the 422 does not name %s %q: %s", w.Field, w.Message, r.Body)
				}
			}
			if len(p.Errors) != len(tc.want) {
				t.Errorf("the 422 names %d fields, want %d: %s", len(p.Errors), len(tc.want), r.Body)
			}
		})
	}
}

package http

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
)

// withField returns a copy of a referral body with the value at a dotted
// path set, or removed when value is deleteField.
func withField(body map[string]any, path string, value any) map[string]any {
	out := maps.Clone(body)
	keys := strings.Split(path, ".")
	m := out
	for _, k := range keys[:len(keys)-1] {
		inner := maps.Clone(m[k].(map[string]any))
		m[k] = inner
		m = inner
	}
	last := keys[len(keys)-1]
	if value == deleteField {
		delete(m, last)
	} else {
		m[last] = value
	}
	return out
}

// deleteField tells withField to remove the field.
var deleteField = &struct{ name string }{"delete"}

// TestBadInput sends requests that must be refused, each with a problem
// (RFC 9457) saying why, and checks that a refused request writes nothing:
// the store's head does not move (R-LEDGER-1, R-REF-2, R-REF-3, R-REF-4).
func TestBadInput(t *testing.T) {
	n := newNetwork(t)
	good := validReferral(n.OrgB, "Client Careful")
	tooBig := withField(good, "reason", strings.Repeat("a", 1<<20+1))

	tests := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		user    *testUser // AdviserA when nil
		setup   func(t *testing.T)
		status  int
		field   string // for 422: the field errors must name it
		detail  string // the detail must contain it
	}{
		{name: "MalformedJSON", body: jsonText(`{"to_organisation_id": "x", `), status: http.StatusBadRequest, detail: "not valid JSON"},
		{name: "NotAnObject", body: jsonText(`["a referral"]`), status: http.StatusBadRequest},
		{name: "TrailingData", body: jsonText(`{} {}`), status: http.StatusBadRequest},
		{name: "EmptyBody", body: jsonText(``), status: http.StatusBadRequest},
		{name: "UnknownField", body: withField(good, "colour", "blue"), status: http.StatusUnprocessableEntity, field: "body"},
		{name: "UnknownNestedField", body: withField(good, "client.nickname", "Bob"), status: http.StatusUnprocessableEntity, field: "client"},
		{name: "WrongType", body: withField(good, "urgent", "yes"), status: http.StatusUnprocessableEntity, field: "urgent"},
		{name: "WrongEnum", body: withField(good, "consent.method", "telepathy"), status: http.StatusUnprocessableEntity, field: "consent.method"},
		{name: "ConsentNotConfirmed", body: withField(good, "consent.confirmed", false), status: http.StatusUnprocessableEntity, field: "consent.confirmed"},
		{name: "MissingConsent", body: withField(good, "consent", deleteField), status: http.StatusUnprocessableEntity, field: "consent"},
		{name: "PrivacyNoticeNotGiven", body: withField(good, "privacy_notice_given", false), status: http.StatusUnprocessableEntity, field: "privacy_notice_given"},
		{name: "InvalidUUIDInBody", body: withField(good, "to_organisation_id", "not-a-uuid"), status: http.StatusUnprocessableEntity, field: "to_organisation_id"},
		{name: "UnknownOrganisation", body: withField(good, "to_organisation_id", "00000000-0000-4000-8000-000000000000"), status: http.StatusUnprocessableEntity, field: "to_organisation_id"},
		{name: "OwnOrganisation", body: withField(good, "to_organisation_id", n.OrgA), status: http.StatusUnprocessableEntity, field: "to_organisation_id"},
		{name: "OverlongReason", body: withField(good, "reason", strings.Repeat("a", 4001)), status: http.StatusUnprocessableEntity, field: "reason"},
		{name: "MissingReason", body: withField(good, "reason", deleteField), status: http.StatusUnprocessableEntity, field: "reason"},
		{name: "BadEmail", body: withField(good, "client.email", "not an address"), status: http.StatusUnprocessableEntity, field: "client.email"},
		{name: "FutureDateOfBirth", body: withField(good, "client.date_of_birth", "2099-01-01"), status: http.StatusUnprocessableEntity, field: "client.date_of_birth"},
		{name: "BodyOver1MiB", body: tooBig, status: http.StatusRequestEntityTooLarge},
		{name: "InvalidUTF8", body: rawBody{contentType: "application/json", data: []byte("{\"reason\": \"caf\xe9\"}")}, status: http.StatusBadRequest, detail: "UTF-8"},
		{name: "WrongContentType", body: rawBody{contentType: "text/plain", data: mustJSON(t, good)}, status: http.StatusUnsupportedMediaType},
		{name: "FormContentType", body: rawBody{contentType: "application/x-www-form-urlencoded", data: []byte("reason=x")}, status: http.StatusUnsupportedMediaType},
		{name: "InvalidUUIDInPath", method: http.MethodPost, path: "/v1/referrals/not-a-uuid/acknowledgement", body: map[string]any{}, status: http.StatusBadRequest, detail: "id"},
		{name: "InvalidUUIDInPathGet", method: http.MethodGet, path: "/v1/referrals/12345", status: http.StatusBadRequest},
		{name: "InvalidUserIDInBody", method: http.MethodPost, path: "/v1/referrals/" + n.Referral + "/assignment",
			body: map[string]any{"user_id": "someone"}, status: http.StatusUnprocessableEntity, field: "user_id"},
		{name: "NoteWithBadDate", method: http.MethodPost, path: "/v1/referrals/" + n.Referral + "/notes",
			body: map[string]any{"text": "Soon.", "agreed_close_by": "next week"}, status: http.StatusUnprocessableEntity, field: "agreed_close_by"},
		{name: "ClosureWithBadOutcome", method: http.MethodPost, path: "/v1/referrals/" + n.Referral + "/closure",
			body: map[string]any{"outcome": "maybe", "comment": "Hmm."}, user: &n.AdviserB, status: http.StatusUnprocessableEntity, field: "outcome"},
		{name: "NoToken", body: good, headers: []string{"Authorization", ""}, status: http.StatusUnauthorized},
		{name: "BadToken", body: good, headers: []string{"Authorization", "Bearer not-a-token"}, status: http.StatusUnauthorized},
		{name: "UnknownPath", method: http.MethodGet, path: "/v1/nothing-here", status: http.StatusNotFound},
		{name: "WrongMethod", method: http.MethodDelete, path: "/v1/referrals", status: http.StatusMethodNotAllowed},
		// Last: switches B's intake off for good.
		{name: "IntakeOff", body: good, status: http.StatusConflict, detail: "not accepting referrals",
			setup: func(t *testing.T) {
				want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgB+"/intake", n.LeadB.Token,
					map[string]any{"accepting": false, "reason": "Closed for refurbishment."}), http.StatusOK)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			method, path := tt.method, tt.path
			if method == "" {
				method, path = http.MethodPost, "/v1/referrals"
			}
			user := n.AdviserA
			if tt.user != nil {
				user = *tt.user
			}
			before := n.head(t)
			r := n.do(t, method, path, user.Token, tt.body, tt.headers...)
			p := r.problem(t, tt.status)
			if tt.field != "" && !p.hasField(tt.field) {
				t.Errorf("problem does not name field %q: %s", tt.field, r.Body)
			}
			if tt.status == http.StatusUnprocessableEntity {
				if len(p.Errors) == 0 {
					t.Errorf("validation problem without errors: %s", r.Body)
				}
				for _, f := range p.Errors {
					if f.Field == "" || f.Message == "" {
						t.Errorf("field error without field or message: %s", r.Body)
					}
				}
			}
			if tt.detail != "" && !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tt.detail)
			}
			if after := n.head(t); after != before {
				t.Errorf("a refused request appended events: head %d → %d", before, after)
			}
		})
	}

	// Referrals already made carry on while intake is off (R-ORG-2).
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
}

// mustJSON returns v as JSON.
func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

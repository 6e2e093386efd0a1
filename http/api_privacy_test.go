package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestNoClientDataInLogsErrorsOrMetrics runs a whole referral with client
// data carrying a marker, and requests that put the marker in bad fields,
// then looks for the marker everywhere the API writes that is not the
// referral itself: the log, every problem body and /metrics (R-PRIV-7).
func TestNoClientDataInLogsErrorsOrMetrics(t *testing.T) {
	n := newNetwork(t)
	const marker = "zzmarkerzz" // compared case-insensitively
	const phone = "07700 900461"
	leaks := func(s string) bool {
		s = strings.ToLower(s)
		return strings.Contains(s, marker) || strings.Contains(s, phone) || strings.Contains(s, strings.ReplaceAll(phone, " ", ""))
	}
	var problems []*response
	expectProblem := func(r *response, status int) {
		t.Helper()
		r.problem(t, status)
		problems = append(problems, r)
	}

	body := validReferral(n.OrgB, "ZZMARKERZZ-Name Surname")
	body["urgent"] = true
	body["client"] = map[string]any{
		"name": "ZZMARKERZZ-Name Surname", "date_of_birth": "1975-05-05", "phone": phone,
		"email": "zzmarkerzz-email@example.org", "address": "ZZMARKERZZ-Address, 2 Hidden Lane",
	}
	body["reason"] = "ZZMARKERZZ-Reason: eviction notice served"

	// Requests that fail with the marker in bad places.
	bad := func(path, value string) map[string]any { return withField(body, path, value) }
	for _, b := range []map[string]any{
		bad("client.email", "ZZMARKERZZ not an email"),
		bad("client.phone", "ZZMARKERZZ"),
		bad("client.date_of_birth", "ZZMARKERZZ"),
		bad("consent.method", "ZZMARKERZZ"),
		bad("to_organisation_id", "ZZMARKERZZ"),
		bad("reason", "ZZMARKERZZ"+strings.Repeat(" very long", 500)),
		withField(body, "ZZMARKERZZ Jane Doe", "ZZMARKERZZ"),
		withField(body, "urgent", "ZZMARKERZZ"),
		withField(body, "consent", deleteField),
	} {
		expectProblem(n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, b), http.StatusUnprocessableEntity)
	}
	expectProblem(n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, jsonText(`{"reason": "ZZMARKERZZ`)), http.StatusBadRequest)
	expectProblem(n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token,
		rawBody{contentType: "text/zzmarkerzz", data: mustJSON(t, body)}), http.StatusUnsupportedMediaType)
	expectProblem(n.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "ZZMARKERZZ", "password": "ZZMARKERZZ"}),
		http.StatusUnauthorized)
	expectProblem(n.do(t, http.MethodGet, "/v1/directory", "ZZMARKERZZ", nil), http.StatusUnauthorized)

	// The lifecycle, with the marker in every free-text field, a request id
	// that is not ours to log and an idempotency key.
	r := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body,
		"Idempotency-Key", "ZZMARKERZZ-key", "X-Request-Id", "ZZMARKERZZ"), http.StatusCreated)
	id := r.str("id")
	if r.str("client", "name") != "ZZMARKERZZ-Name Surname" {
		t.Fatalf("the referral itself should hold the client's data: %s", r.Body)
	}
	ref := "/v1/referrals/" + id
	want(t, n.do(t, http.MethodPost, ref+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, ref+"/assignment", n.AdviserB.Token, map[string]any{"user_id": n.AdviserB.ID}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, ref+"/urgency-review", n.AdviserB.Token,
		map[string]any{"urgent": false, "feedback": "ZZMARKERZZ-Feedback"}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, ref+"/notes", n.AdviserA.Token,
		map[string]any{"text": "ZZMARKERZZ-Note: client moved", "agreed_close_by": "2027-01-15"}), http.StatusCreated)
	expectProblem(n.do(t, http.MethodPost, ref+"/notes", n.AdviserA.Token,
		map[string]any{"text": "ZZMARKERZZ-Note", "agreed_close_by": "ZZMARKERZZ"}), http.StatusUnprocessableEntity)
	expectProblem(n.do(t, http.MethodPost, ref+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "ZZMARKERZZ", "comment": "ZZMARKERZZ-Comment"}), http.StatusUnprocessableEntity)
	expectProblem(n.do(t, http.MethodPost, ref+"/closure", n.AdviserC.Token,
		map[string]any{"outcome": "positive", "comment": "ZZMARKERZZ-Comment"}), http.StatusNotFound)
	want(t, n.do(t, http.MethodPost, ref+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": "ZZMARKERZZ-Comment: housed"}), http.StatusOK)
	expectProblem(n.do(t, http.MethodPost, ref+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": "ZZMARKERZZ-Comment again"}), http.StatusConflict)
	want(t, n.do(t, http.MethodGet, ref+"/history", n.Auditor.Token, nil), http.StatusOK)
	expectProblem(n.do(t, http.MethodGet, ref+"/history?as_of=ZZMARKERZZ", n.Auditor.Token, nil), http.StatusBadRequest)

	for _, p := range problems {
		if leaks(string(p.Body)) {
			t.Errorf("a problem holds client data: %s", p.Body)
		}
	}
	m := want(t, n.do(t, http.MethodGet, "/metrics", "", nil), http.StatusOK)
	if leaks(string(m.Body)) {
		t.Errorf("/metrics holds client data")
	}
	logs := n.Logs.String()
	if strings.Count(logs, `"message":"request"`) < len(problems)+8 {
		t.Fatalf("the log has too few request lines to mean anything:\n%s", logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		if leaks(line) {
			t.Errorf("a log line holds client data: %s", line)
		}
	}
}

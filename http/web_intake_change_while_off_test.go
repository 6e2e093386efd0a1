package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestWebIntakeChangeWhileOff_ORG2: while intake is off, the lead can
// change its reason and the date it switches back on by itself from the
// intake page, as PUT /v1/organisations/{id}/intake allows, without
// switching it on in between (which would let referrals in); the form
// starts from the reason and date in force, a mistake comes back with an
// error summary whose links reach the fields, and intake stays off since
// the first switch-off.
func TestWebIntakeChangeWhileOff_ORG2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	lead := n.web(t, n.LeadB)
	intake := "/organisations/" + n.OrgB + "/intake"
	p := lead.post(intake, formOf(t, lead.get(intake).body, intake, url.Values{"intake-reason": {"Staff shortage."}, "resume-on": {"4 1 2099"}}))
	wantPage(t, lead.follow(p), http.StatusOK, "Not accepting referrals", "Staff shortage.", "4 January 2099")
	intakeOf := func() map[string]any {
		t.Helper()
		return n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgB, n.LeadB.Token, nil).JSON["intake"].(map[string]any)
	}
	since := intakeOf()["switched_off_at"]
	n.Clock.Advance(26 * time.Hour)

	page := lead.get(intake)
	wantPage(t, page, http.StatusOK, "Change the reason or the date", ">Staff shortage.</textarea>", `value="4 1 2099"`)
	change := url.Values{"intake-reason": {"Office move."}, "resume-on": {"31 2 2099"}}
	changeForm := func(body string) string { return body[strings.Index(body, "Change the reason or the date"):] }
	bad := lead.post(intake, formOf(t, changeForm(page.body), intake, change))
	wantPage(t, bad, http.StatusUnprocessableEntity, `href="#resume-on"`, `id="resume-on"`, ">Office move.</textarea>")

	change.Set("resume-on", "11 1 2099")
	done := lead.follow(lead.post(intake, formOf(t, changeForm(lead.get(intake).body), intake, change)))
	wantPage(t, done, http.StatusOK, "Intake stays off", "Not accepting referrals", "Office move.", "11 January 2099")
	in := intakeOf()
	if in["accepting"] != false || in["reason"] != "Office move." || in["resume_on"] != "2099-01-11" {
		t.Errorf("after the change the intake is %v", in)
	}
	if in["switched_off_at"] != since || since == nil {
		t.Errorf("intake switched off at %v, want %v: a change while off is not a new switch-off", in["switched_off_at"], since)
	}
	wantPage(t, done, http.StatusOK, "1 day")
}

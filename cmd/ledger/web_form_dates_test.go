package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var errorMessage = regexp.MustCompile(`<p id="([a-z-]+)-error" class="error-message"><span class="visually-hidden">Error:</span> ([^<]*)</p>`)

// TestWebDateErrorsInPlainWords_UI2: a date the forms ask for as day,
// month and year ("For example, 27 3 1980") that is not a real date is
// refused with a message that says so in those words, in the summary and
// by the field, and the date typed is kept; never the API's
// "YYYY-MM-DD" (GOV.UK date input pattern).
func TestWebDateErrorsInPlainWords_UI2(t *testing.T) {
	n := newWebNetwork(t)
	ann := n.browser(t)
	ann.signIn("ann", annPassword, "/incoming")
	p := ann.get("/make-a-referral")
	form := validReferralForm(n.orgB, formKeyField.FindStringSubmatch(p.body)[1])
	form.Set("client-dob", "31 2 1980")
	p = ann.post("/make-a-referral", form)
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#client-dob"`, `value="31 2 1980"`)
	wantPlainDateError(t, p, "client-dob", "for example 27 3 1980")

	good := validReferralForm(n.orgB, formKeyField.FindStringSubmatch(ann.get("/make-a-referral").body)[1])
	made := ann.post("/make-a-referral", good)
	if made.status != http.StatusSeeOther {
		t.Fatalf("make: %d\n%s", made.status, made.body)
	}
	ben := n.browser(t)
	ben.signIn("ben", benPassword, "/incoming")
	p = ben.post(made.location+"/notes", url.Values{"note-text": {"Agreed more time."}, "agreed-close-by": {"30 2 2099"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#agreed-close-by"`, `value="30 2 2099"`, "Agreed more time.")
	wantPlainDateError(t, p, "agreed-close-by", "for example 30 3 2027")
}

// wantPlainDateError checks the field's message asks for a real date as
// day, month and year, with the example the field's hint gives.
func wantPlainDateError(t *testing.T, p page, field, example string) {
	t.Helper()
	for _, m := range errorMessage.FindAllStringSubmatch(p.body, -1) {
		if m[1] != field {
			continue
		}
		if !strings.Contains(m[2], "real date") || !strings.Contains(m[2], example) || strings.Contains(m[2], "YYYY") {
			t.Errorf("%s's message: %q", field, m[2])
		}
		if strings.Contains(p.body, "YYYY-MM-DD") {
			t.Errorf("the page speaks the API's date format")
		}
		return
	}
	t.Errorf("no message by %s", field)
}
